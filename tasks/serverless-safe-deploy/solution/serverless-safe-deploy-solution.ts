import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The function's code: it answers any event with a price and the version that served it. */
export const PRICING_CODE = `
exports.handler = async (event) => {
  const version = process.env.AWS_LAMBDA_FUNCTION_VERSION;
  const sku = (event && typeof event.sku === 'string' && event.sku) || 'coffee-beans';
  console.info('priced', { sku, version, release: process.env.RELEASE });
  return { sku, price: { amount: 12.5, currency: 'EUR' }, version, release: process.env.RELEASE };
};`;

export interface ServerlessSafeDeploySolutionProps {
  /** The release name the function reports. Changing it changes the function, so a new version is published. */
  release: string;
  /**
   * The published version that serves most of live's traffic. Leave it out on the first deployment
   * (live then sends everything to the first version); on the next one, name the version that
   * deployment published, and the new release becomes the canary.
   */
  stableVersion?: string;
  /** The canary's share of live's traffic, between 0 and 1 exclusive (default 0.1). */
  canaryWeight?: number;
  /** Reserved concurrency (default 5). */
  reservedConcurrency?: number;
}

/**
 * The reference solution of serverless-safe-deploy. A canary needs two releases, so it is deployed
 * twice: `{ release: 'r1' }` publishes version 1 behind alias live; `{ release: 'r2', stableVersion: '1' }`
 * publishes version 2 and shifts `canaryWeight` of live's traffic to it. Published versions are
 * retained when the next release replaces them in the template, so version 1 keeps serving.
 */
export class ServerlessSafeDeploySolution extends Construct {
  readonly fn: lambda.Function;
  readonly alias: lambda.Alias;
  readonly alarm: cloudwatch.Alarm;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServerlessSafeDeploySolutionProps) {
    super(scope, id);
    const weight = props.canaryWeight ?? 0.1;
    if (!(weight > 0 && weight < 1)) throw new Error(`canaryWeight must be between 0 and 1 (exclusive), not ${weight}`);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: '/aws/lambda/pricing-service',
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new lambda.Function(this, 'Function', {
      functionName: 'pricing-service',
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(PRICING_CODE),
      timeout: Duration.seconds(5),
      environment: { RELEASE: props.release },
      reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup: this.logGroup,
      // Keep each published version when the next release replaces its Version resource: live still routes to it.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
    });

    const release = this.fn.currentVersion;
    const stable = props.stableVersion ? lambda.Version.fromVersionAttributes(this, 'Stable', { lambda: this.fn, version: props.stableVersion }) : undefined;
    this.alias = new lambda.Alias(this, 'Live', {
      aliasName: 'live',
      version: stable ?? release,
      ...(stable ? { additionalVersions: [{ version: release, weight }] } : {}),
    });

    // FunctionName + Resource "pricing-service:live": the errors callers of live see, whichever version served them.
    this.alarm = new cloudwatch.Alarm(this, 'LiveErrors', {
      alarmName: 'pricing-service-live-errors',
      alarmDescription: 'Errors seen by callers of pricing-service:live',
      metric: this.alias.metricErrors({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
