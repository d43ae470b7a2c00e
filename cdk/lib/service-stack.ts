import { join } from 'node:path';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { AccountRootPrincipal, Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, Tracing, type Code } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogLevel as BundleLogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
  type IChainable,
  type INextable,
  type State,
  type TaskStateBase,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, SqsSendMessage } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { SERVICE_ENV } from '../../src/service/jobs';
import { EVIDENCE_PREFIX, GRADING_HEARTBEAT_SECONDS, SERVICE_STACK_ENV, SERVICE_TABLE_KEYS } from '../../src/service/stack-contract';
import { acknowledge, wildcardFindings } from './nag-findings';
import { SKILLPROOF_IAM_PATH } from './sandbox-naming';

export { EVIDENCE_PREFIX, SERVICE_STACK_ENV, SERVICE_TABLE_KEYS } from '../../src/service/stack-contract';

/** The attempt lifecycle's state names (stable: operators read them in the console and alarms). */
export const LIFECYCLE_STATES = {
  deploy: 'DeploySandbox',
  awaitSubmit: 'AwaitSubmitOrExpiry',
  waitUntilExpiry: 'WaitUntilExpiry',
  settle: 'SettleAttempt',
  route: 'SubmittedOrExpired',
  freeze: 'FreezeSandbox',
  freezeExpired: 'FreezeExpiredSandbox',
  finalGrade: 'FinalGrading',
  gradeTask: 'GradeTask',
  finalize: 'RecordResult',
  passed: 'PassedAssessment',
  issue: 'IssueCredential',
  recordIncomplete: 'RecordIncomplete',
  incomplete: 'Incomplete',
  credentialIssued: 'CredentialIssued',
  graded: 'Graded',
  expired: 'Expired',
  closed: 'Closed',
} as const;

/** Lambda errors worth retrying (the Lambda service's own and throttling), and the handlers' TransientError. */
export const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'TransientError',
];

/** What each Lambda function runs: the module, from the repository root, that exports `handler`. */
export const SERVICE_ENTRIES = {
  api: 'src/service/handlers/api.ts',
  lifecycle: 'src/service/handlers/lifecycle.ts',
  worker: 'src/service/worker/lambda.ts',
} as const;
export type ServiceEntry = keyof typeof SERVICE_ENTRIES;

const REPO_ROOT = join(__dirname, '..', '..');

export interface ServiceStackProps extends StackProps {
  /** The sandbox account pool: the only accounts whose admin and grader roles the service may assume. */
  poolAccountIds: readonly string[];
  /** The role assumed in a pool account to deploy, freeze and destroy sandboxes (default OrganizationAccountAccessRole). */
  adminRoleName?: string;
  /** Grading Lambda functions running at once: reserved concurrency, the service's global bound on grading. */
  workerConcurrency?: number;
  /**
   * At most this many AWS calls per second from all workers together into one sandbox account (a
   * token bucket per account in the table; src/service/worker/token-bucket.ts). Default 10.
   */
  accountCallsPerSecond?: number;
  /** Addresses subscribed to the operations topic (alarms). */
  alarmEmails?: readonly string[];
  /** The address people reach the portal at, when it is not the API's own URL (a custom domain). */
  publicUrl?: string;
  /** Code for a function instead of an esbuild bundle of its SERVICE_ENTRIES module (undefined: bundle it). */
  code?: (entry: ServiceEntry) => Code | undefined;
  /**
   * The issuer id credentials name (did:web:… or an https URL); default: did:web of `publicUrl`'s host.
   * Credentials keep it for life, so it is never derived from the API's generated URL: without either,
   * the key exists but nothing is signed, and an administrator issues credentials once one is set.
   */
  issuerId?: string;
  /** The issuer's display name (default SkillProof). */
  issuerName?: string;
}

/**
 * Key administration for the account (the key policy must let the account manage the key, or KMS
 * refuses it): everything but using the key. No IAM policy in the account can grant kms:Sign on it;
 * only the key policy's own statement for the issuing roles does.
 */
export const ISSUER_KEY_ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

const ACCOUNT_ID = /^\d{12}$/;

/** Deliveries of a grading job before it goes to the dead-letter queue. */
export const GRADING_MAX_RECEIVES = 5;

/**
 * SkillProof as a service: the portal and API on Lambda behind an HTTP API, grading jobs on a FIFO
 * queue drained by a bounded Lambda worker, the attempt lifecycle on Step Functions, state in one
 * DynamoDB table and evidence in S3. See docs/service.md for the decisions behind each part.
 */
export class ServiceStack extends Stack {
  readonly table: Table;
  readonly evidenceBucket: Bucket;
  readonly gradingQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly alarmTopic: Topic;
  readonly apiFunction: NodejsFunction;
  readonly lifecycleFunction: NodejsFunction;
  readonly workerFunction: NodejsFunction;
  readonly stateMachine: StateMachine;
  readonly httpApi: HttpApi;
  /** The issuer's signing key (ES256): credentials, status lists and evidence are signed in KMS. */
  readonly issuerKey: Key;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    const { poolAccountIds, adminRoleName, workerConcurrency, accountCallsPerSecond = 10, alarmEmails, publicUrl, code, issuerId, issuerName, ...stackProps } = props;
    super(scope, id, { description: 'SkillProof service: portal/API, grading queue and worker, attempt lifecycle, store, evidence', analyticsReporting: false, ...stackProps });
    if (poolAccountIds.length === 0) throw new Error('poolAccountIds must name at least one sandbox account (the service assumes roles only there)');
    const badAccount = poolAccountIds.find((a) => !ACCOUNT_ID.test(a));
    if (badAccount !== undefined) throw new Error(`poolAccountIds must be 12-digit account ids, got "${badAccount}"`);
    const concurrency = workerConcurrency ?? 10;
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new Error(`workerConcurrency must be a whole number of at least 1, got ${concurrency}`);

    // Server access logs are delivered under a bucket policy for logging.s3.amazonaws.com, not the
    // LogDeliveryWrite ACL, so both buckets keep ACLs disabled (bucket owner enforced).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: SERVICE_TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: SERVICE_TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: SERVICE_TABLE_KEYS.timeToLiveAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The store's list queries (src/store/dynamodb/table.ts): overloaded string-keyed indexes, ALL projected.
    for (const index of SERVICE_TABLE_KEYS.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(accessLogs, 'This bucket receives the evidence bucket\'s server access logs; logging it into itself would recurse, and into another bucket only moves the question.', ['AwsSolutions-S1']);
    this.evidenceBucket = new Bucket(this, 'EvidenceBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'evidence-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.alarmTopic = new Topic(this, 'OperationsTopic', { displayName: 'SkillProof service alarms', enforceSSL: true });
    acknowledge(
      this.alarmTopic,
      'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and a customer managed key costs 1 USD a month at idle; alarm notifications carry metric names and thresholds, no candidate data.',
      ['AwsSolutions-SNS2'],
    );
    for (const address of alarmEmails ?? []) this.alarmTopic.addSubscription(new EmailSubscription(address));

    this.deadLetterQueue = new Queue(this, 'GradingDeadLetterQueue', {
      fifo: true,
      contentBasedDeduplication: false,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const workerTimeout = Duration.minutes(5);
    this.gradingQueue = new Queue(this, 'GradingQueue', {
      fifo: true,
      // Deduplication ids are explicit (the lifecycle sends a fresh one per task token): two sends of the
      // same job body with different tokens must both be delivered.
      contentBasedDeduplication: false,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS recommends at least six times the function timeout for a queue a Lambda function consumes.
      visibilityTimeout: Duration.minutes(30),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: GRADING_MAX_RECEIVES },
    });

    this.addAlarm('GradingDeadLetters', {
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      description: 'A grading job failed five deliveries and waits in the dead-letter queue: inspect it, fix the cause, redrive it.',
    });
    this.addAlarm('GradingQueueBacklog', {
      metric: this.gradingQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 15 * 60,
      description: 'The oldest grading job has waited more than 15 minutes: the worker is failing or its concurrency is too low.',
    });

    const env = {
      [SERVICE_ENV.store]: `dynamodb:${this.table.tableName}`,
      [SERVICE_ENV.evidenceBucket]: this.evidenceBucket.bucketName,
      [SERVICE_ENV.gradingQueueUrl]: this.gradingQueue.queueUrl,
      [SERVICE_STACK_ENV.sandboxPool]: poolAccountIds.join(','),
      [SERVICE_STACK_ENV.adminRoleName]: adminRoleName ?? 'OrganizationAccountAccessRole',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };

    this.workerFunction = this.serviceFunction('Worker', 'worker', code, {
      timeout: workerTimeout,
      memorySize: 1024,
      reservedConcurrentExecutions: concurrency,
      // The worker fails a waiting lifecycle task on the last delivery, so it must know which one that is.
      environment: { ...env, [SERVICE_ENV.gradingMaxReceives]: String(GRADING_MAX_RECEIVES), [SERVICE_ENV.accountCallsPerSecond]: String(accountCallsPerSecond) },
      description: 'Grades one task of one attempt per grading job (SQS FIFO, partial batch failures)',
      statements: [
        ...this.tableItemStatements(),
        this.evidenceStatement('EvidenceObjects', ['s3:GetObject', 's3:PutObject']),
        new PolicyStatement({
          sid: 'AssumeGraderRoles',
          actions: ['sts:AssumeRole'],
          resources: poolAccountIds.map((account) => `arn:${Aws.PARTITION}:iam::${account}:role${SKILLPROOF_IAM_PATH}skillproof-*-grader`),
          // A grader role trusts the grading principal only with its attempt's external id; never ask without one.
          conditions: { Null: { 'sts:ExternalId': 'false' } },
        }),
        taskResponseStatement(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']),
      ],
    });
    this.workerFunction.addEventSource(
      new SqsEventSource(this.gradingQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );

    this.lifecycleFunction = this.serviceFunction('Lifecycle', 'lifecycle', code, {
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: { ...env, [SERVICE_STACK_ENV.graderPrincipal]: this.workerFunction.role!.roleArn },
      description: 'Task functions of the attempt lifecycle: deploy, await submit, settle, freeze, record result, issue, record incomplete',
      statements: [
        ...this.tableItemStatements(),
        new PolicyStatement({
          sid: 'AssumeSandboxAdminRoles',
          actions: ['sts:AssumeRole'],
          resources: poolAccountIds.map((account) => `arn:${Aws.PARTITION}:iam::${account}:role/${adminRoleName ?? 'OrganizationAccountAccessRole'}`),
        }),
        taskResponseStatement(['states:SendTaskSuccess']),
      ],
    });

    this.stateMachine = this.lifecycle();

    this.apiFunction = this.serviceFunction('Api', 'api', code, {
      timeout: Duration.seconds(29),
      memorySize: 1024,
      // The portal serves its stylesheet, script and icon from files beside its code.
      files: [{ from: 'src/server/assets', to: 'assets' }],
      environment: {
        ...env,
        [SERVICE_STACK_ENV.lifecycleStateMachineArn]: this.stateMachine.stateMachineArn,
        ...(publicUrl ? { [SERVICE_STACK_ENV.publicUrl]: publicUrl } : {}),
      },
      description: 'The portal and JSON API (node:http handler behind an API Gateway HTTP API)',
      statements: [
        ...this.tableItemStatements(),
        this.evidenceStatement('EvidenceRead', ['s3:GetObject']),
        new PolicyStatement({ sid: 'EnqueueGrading', actions: ['sqs:SendMessage'], resources: [this.gradingQueue.queueArn] }),
        new PolicyStatement({ sid: 'StartLifecycle', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
        taskResponseStatement(['states:SendTaskSuccess']),
      ],
    });
    this.httpApi = this.api(this.apiFunction);

    // The functions name the key by its alias, a string known before the key exists: its ARN would make
    // the lifecycle function depend on the key, whose policy names the API role, whose policy names the
    // state machine, which invokes the lifecycle function.
    const issuerKeyAlias = `alias/${this.stackName}-issuer`;
    this.issuerKey = this.issuerSigningKey(issuerKeyAlias, [this.workerFunction.role!, this.lifecycleFunction.role!, this.apiFunction.role!]);
    const issuer = issuerId ?? (publicUrl ? `did:web:${encodeURIComponent(new URL(publicUrl).host)}` : undefined);
    if (issuer !== undefined && !/^(did:web:[^:#?/]+(:[^:#?/]+)*|https:\/\/[^\s]+)$/.test(issuer)) throw new Error(`issuerId must be did:web:<host>[:path] or an https URL, got "${issuer}"`);
    for (const fn of [this.workerFunction, this.lifecycleFunction, this.apiFunction]) {
      fn.addEnvironment(SERVICE_STACK_ENV.issuerKeyId, issuerKeyAlias);
      if (issuer) fn.addEnvironment(SERVICE_STACK_ENV.issuerId, issuer);
      if (issuerName) fn.addEnvironment(SERVICE_STACK_ENV.issuerName, issuerName);
    }

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.apiEndpoint, description: 'The portal and API (until a custom domain is mapped)' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: `The store: --store dynamodb:<this>` });
    new CfnOutput(this, 'EvidenceBucketName', { value: this.evidenceBucket.bucketName, description: 'Evidence bundles, by sha256' });
    new CfnOutput(this, 'GradingQueueUrl', { value: this.gradingQueue.queueUrl, description: 'Grading jobs (FIFO, one message group per attempt)' });
    new CfnOutput(this, 'LifecycleStateMachineArn', { value: this.stateMachine.stateMachineArn, description: 'The attempt lifecycle' });
    new CfnOutput(this, 'OperationsTopicArn', { value: this.alarmTopic.topicArn, description: 'Alarms: dead letters, grading backlog, lifecycle failures' });
    Tags.of(this).add('skillproof:component', 'service');
  }

  /**
   * The issuer's key: ECC_NIST_P256 for SIGN_VERIFY (ES256), retained (issued credentials must stay
   * verifiable against its public key). Its key policy alone decides who signs: the issuing roles may
   * kms:Sign, only ECDSA_SHA_256 over a digest (how src/credentials/kms-signer.ts signs), and read the
   * public key for the JWKS. The API is one of them: it signs status lists on request and the
   * credentials an administrator issues. Asymmetric keys have no automatic rotation in KMS.
   */
  private issuerSigningKey(alias: string, signers: IRole[]): Key {
    return new Key(this, 'IssuerKey', {
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      alias,
      description: 'SkillProof issuer: signs credentials, status lists and evidence (ES256)',
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({ sid: 'KeyAdministration', principals: [new AccountRootPrincipal()], actions: ISSUER_KEY_ADMIN_ACTIONS, resources: ['*'] }),
          new PolicyStatement({
            sid: 'IssuerSigns',
            principals: signers,
            actions: ['kms:Sign'],
            resources: ['*'],
            conditions: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' } },
          }),
          new PolicyStatement({ sid: 'PublishPublicKey', principals: signers, actions: ['kms:GetPublicKey'], resources: ['*'] }),
        ],
      }),
    });
  }

  /** Evidence objects only: bundles are named by their sha256, so the names are not known in advance. */
  private evidenceStatement(sid: string, actions: string[]): PolicyStatement {
    return new PolicyStatement({ sid, actions, resources: [this.evidenceBucket.arnForObjects(`${EVIDENCE_PREFIX}*`)] });
  }

  /** Item-level DynamoDB actions on the table itself: no scans of other tables, no table management. */
  private tableItemStatements(): PolicyStatement[] {
    return [
      new PolicyStatement({
        sid: 'StoreItems',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
        ],
        resources: [this.table.tableArn],
      }),
      // The store lists records through its two indexes; Query is all it does there.
      new PolicyStatement({
        sid: 'StoreIndexes',
        actions: ['dynamodb:Query'],
        resources: SERVICE_TABLE_KEYS.globalSecondaryIndexes.map((index) => `${this.table.tableArn}/index/${index.indexName}`),
      }),
    ];
  }

  private addAlarm(id: string, props: { metric: import('aws-cdk-lib/aws-cloudwatch').IMetric; threshold: number; description: string }): Alarm {
    const alarm = new Alarm(this, id, {
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: props.description,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    return alarm;
  }

  /**
   * One Lambda function with its own role: its log group (retention set), X-Ray, and exactly `statements`.
   * Roles are written out rather than taken from CDK's defaults, whose AWSLambdaBasicExecutionRole grants
   * every log group in the account.
   */
  private serviceFunction(
    id: string,
    entry: ServiceEntry,
    code: ServiceStackProps['code'],
    options: {
      timeout: Duration;
      memorySize: number;
      reservedConcurrentExecutions?: number;
      environment: Record<string, string>;
      description: string;
      statements: PolicyStatement[];
      /** Files the code reads beside itself at run time (`__dirname`), copied into the bundle. */
      files?: Array<{ from: string; to: string }>;
    },
  ): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `SkillProof ${entry} function`,
      inlinePolicies: {
        [entry]: new PolicyDocument({
          statements: [
            new PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
            ...options.statements,
          ],
        }),
      },
    });
    const prebuilt = code?.(entry);
    const fn = new NodejsFunction(this, id, {
      entry: join(REPO_ROOT, SERVICE_ENTRIES[entry]),
      handler: prebuilt ? 'index.handler' : 'handler',
      ...(prebuilt ? { code: prebuilt } : {}),
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.X86_64,
      timeout: options.timeout,
      memorySize: options.memorySize,
      ...(options.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: options.reservedConcurrentExecutions } : {}),
      environment: options.environment,
      description: options.description,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      bundling: {
        format: OutputFormat.CJS,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // better-sqlite3 is native and only the local (sqlite:) store loads it; the service uses DynamoDB.
        externalModules: ['better-sqlite3'],
        bundleAwsSDK: true,
        // Mappings without the sources: the lifecycle's map would otherwise be larger than its 40 MB bundle.
        sourcesContent: false,
        logLevel: BundleLogLevel.WARNING,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) =>
            (options.files ?? []).map((f) => `cp -R "${join(inputDir, f.from)}" "${join(outputDir, f.to)}"`),
        },
      },
    });
    acknowledge(
      role,
      'X-Ray accepts trace segments only on Resource "*" (PutTraceSegments and PutTelemetryRecords have no resource type in the Service Authorization Reference); Step Functions task responses likewise have no resource type.',
      ['AwsSolutions-IAM5[Resource::*]'],
    );
    const named = (sid: string) => options.statements.filter((st) => st.sid === sid);
    acknowledge(role, 'Evidence bundles are content-addressed (evidence/<sha256>.json): their names are known only when a run is recorded; the grant stops at the evidence prefix.', wildcardFindings(this, [...named('EvidenceObjects'), ...named('EvidenceRead')]));
    acknowledge(
      role,
      "Grader roles are per attempt (/skillproof/skillproof-<attempt>-grader) in the pool's accounts only, and each trusts the grading principal only with its attempt's sts:ExternalId.",
      wildcardFindings(this, named('AssumeGraderRoles')),
    );
    return fn;
  }

  /** The attempt lifecycle (Standard workflow): deploy → await submit or expiry → freeze → final grading → result → credential. */
  private lifecycle(): StateMachine {
    const fn = this.lifecycleFunction;
    const S = LIFECYCLE_STATES;
    const call = (id: string, action: string, extra: Record<string, unknown> = {}, resultPath = '$.attempt'): LambdaInvoke =>
      new LambdaInvoke(this, id, {
        lambdaFunction: fn,
        payload: TaskInput.fromObject({ action, attemptId: JsonPath.stringAt('$.attemptId'), ...extra }),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: false,
        taskTimeout: Timeout.duration(Duration.minutes(15)),
      });

    const recordIncomplete = call(S.recordIncomplete, 'incomplete', { error: JsonPath.objectAt('$.error') }, JsonPath.DISCARD);
    retryTransient(recordIncomplete, 6);
    const incomplete = recordIncomplete.next(new Fail(this, S.incomplete, { error: 'AttemptIncomplete', cause: 'A lifecycle step failed; the attempt is marked for an administrator (see the attempt audit log).' }));
    const guard = <T extends TaskStateBase>(task: T, attempts = 4): T => {
      retryTransient(task, attempts);
      task.addCatch(incomplete, { errors: [Errors.ALL], resultPath: '$.error' });
      return task;
    };

    const deploy = guard(call(S.deploy, 'deploy'));
    const awaitSubmit = new LambdaInvoke(this, S.awaitSubmit, {
      lambdaFunction: fn,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ action: 'await-submit', attemptId: JsonPath.stringAt('$.attemptId'), taskToken: JsonPath.taskToken }),
      // The candidate's time left: past it the task times out and the attempt is settled as expired.
      taskTimeout: Timeout.at('$.attempt.secondsLeft'),
      resultPath: JsonPath.DISCARD,
      retryOnServiceExceptions: false,
    });
    retryTransient(awaitSubmit, 4);
    const waitUntilExpiry = new Wait(this, S.waitUntilExpiry, { time: WaitTime.timestampPath('$.attempt.expiresAt') });
    awaitSubmit.addCatch(waitUntilExpiry, { errors: [Errors.TIMEOUT], resultPath: JsonPath.DISCARD });
    awaitSubmit.addCatch(incomplete, { errors: [Errors.ALL], resultPath: '$.error' });

    const settle = guard(call(S.settle, 'settle'));
    const freeze = guard(call(S.freeze, 'freeze', {}, '$.final'));
    const freezeExpired = guard(call(S.freezeExpired, 'freeze', {}, JsonPath.DISCARD));

    const gradeTask = new SqsSendMessage(this, S.gradeTask, {
      queue: this.gradingQueue,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      messageGroupId: JsonPath.stringAt('$.attemptId'),
      // A fresh id per send: a retried send carries a new task token, and must not be dropped as a duplicate.
      messageDeduplicationId: JsonPath.uuid(),
      messageBody: TaskInput.fromObject({
        v: 1,
        jobId: JsonPath.format('{}/final/{}/{}', JsonPath.stringAt('$.attemptId'), JsonPath.stringAt('$.round'), JsonPath.stringAt('$.taskId')),
        attemptId: JsonPath.stringAt('$.attemptId'),
        taskId: JsonPath.stringAt('$.taskId'),
        scope: 'final',
        round: JsonPath.numberAt('$.round'),
        accountId: JsonPath.stringAt('$.accountId'),
        enqueuedAt: JsonPath.stringAt('$$.State.EnteredTime'),
        taskToken: JsonPath.taskToken,
      }),
      // The worker sends SendTaskHeartbeat well inside this while it grades (WORKER_HEARTBEAT_INTERVAL_SECONDS).
      heartbeatTimeout: Timeout.duration(Duration.seconds(GRADING_HEARTBEAT_SECONDS)),
      taskTimeout: Timeout.duration(Duration.hours(2)),
    });
    gradeTask.addRetry({ errors: [Errors.TIMEOUT, Errors.HEARTBEAT_TIMEOUT, 'SQS.SdkClientException', 'SQS.AmazonSQSException'], maxAttempts: 2, interval: Duration.seconds(30), backoffRate: 2 });
    const finalGrading = new MapState(this, S.finalGrade, {
      itemsPath: '$.final.taskIds',
      itemSelector: {
        attemptId: JsonPath.stringAt('$.attemptId'),
        taskId: JsonPath.stringAt('$$.Map.Item.Value'),
        round: JsonPath.numberAt('$.final.round'),
        accountId: JsonPath.stringAt('$.final.accountId'),
      },
      maxConcurrency: 10,
      resultPath: JsonPath.DISCARD,
    });
    finalGrading.itemProcessor(gradeTask);
    finalGrading.addCatch(incomplete, { errors: [Errors.ALL], resultPath: '$.error' });

    const finalize = guard(call(S.finalize, 'finalize'));
    const issue = guard(call(S.issue, 'issue', {}, '$.credential'));

    const definition = deploy
      .next(awaitSubmit)
      .next(settle)
      .next(
        new Choice(this, S.route)
          .when(Condition.stringEquals('$.attempt.state', 'submitted'), freeze.next(finalGrading).next(finalize).next(
            new Choice(this, S.passed)
              .when(
                Condition.and(Condition.stringEquals('$.attempt.kind', 'assessment'), Condition.stringEquals('$.attempt.result', 'passed')),
                issue.next(new Succeed(this, S.credentialIssued)),
              )
              .otherwise(new Succeed(this, S.graded, { comment: 'Failed, incomplete (an administrator may re-run it) or a practice attempt' })),
          ))
          .when(Condition.stringEquals('$.attempt.state', 'active'), awaitSubmit)
          .when(Condition.stringEquals('$.attempt.state', 'expired'), freezeExpired.next(new Succeed(this, S.expired)))
          .otherwise(new Succeed(this, S.closed, { comment: 'Cancelled, or graded by another path' })),
      );
    waitUntilExpiry.next(settle);

    const logs = new LogGroup(this, 'AttemptLifecycleLogs', {
      // Step Functions' vended logs: a /aws/vendedlogs/ name keeps the log resource policy small.
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-lifecycle`,
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const machine = new StateMachine(this, 'AttemptLifecycle', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition as IChainable),
      tracingEnabled: true,
      // Execution data holds task tokens; the log keeps the states' order and errors without them.
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
      comment: 'The life of one attempt: sandbox, candidate time, freeze, final grading, result, credential',
    });
    acknowledge(
      machine.role,
      'Step Functions needs the log delivery actions (CreateLogDelivery, PutResourcePolicy, DescribeLogGroups…) and X-Ray on Resource "*": they have no resource type in the Service Authorization Reference.',
      ['AwsSolutions-IAM5[Resource::*]'],
    );
    acknowledge(
      machine.role,
      'Invoking the lifecycle function by its versions and aliases (ARN:*) is how CDK grants a LambdaInvoke task; the function is this stack\'s own.',
      [`AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as import('aws-cdk-lib').CfnElement)}.Arn>:*]`],
    );
    this.addAlarm('LifecycleFailures', {
      metric: machine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      description: 'An attempt lifecycle failed even to record itself incomplete: look at the execution, then at the attempt.',
    });
    return machine;
  }

  private api(fn: NodejsFunction): HttpApi {
    const api = new HttpApi(this, 'HttpApi', {
      description: 'SkillProof portal and API',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Portal', fn),
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    acknowledge(
      api,
      'The portal authenticates every non-public route itself (access-code sessions, admin bearer tokens, rate-limited sign-in); verification, JWKS, DID and status lists are public by design.',
      ['AwsSolutions-APIG4'],
    );
    return api;
  }
}

/** Step Functions task responses: the Service Authorization Reference lists no resource type, so only "*" matches. */
function taskResponseStatement(actions: string[]): PolicyStatement {
  return new PolicyStatement({ sid: 'LifecycleTaskResponses', effect: Effect.ALLOW, actions, resources: ['*'] });
}

function retryTransient(task: State & INextable & { addRetry: TaskStateBase['addRetry'] }, maxAttempts: number): void {
  task.addRetry({ errors: TRANSIENT_LAMBDA_ERRORS, maxAttempts, interval: Duration.seconds(2), backoffRate: 2, maxDelay: Duration.minutes(1) });
}
