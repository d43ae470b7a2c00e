import { Aws, CustomResource, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import { OAuthScope, ResourceServerScope, UserPool } from 'aws-cdk-lib/aws-cognito';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { SeedResource } from '../../src/model/task';
import { acknowledge, wildcardFindings } from './nag-findings';
import { ATTEMPT_TAG, SKILLPROOF_IAM_PATH, sandboxNames } from './sandbox-naming';
import { SEED_HANDLER_SOURCE } from './seed-handler';

type DynamoSeed = Extract<SeedResource, { kind: 'dynamodb-item' }>;
type S3Seed = Extract<SeedResource, { kind: 's3-object' }>;
type UserPoolSeed = Extract<SeedResource, { kind: 'cognito-user-pool' }>;
type AttributeValue = { S: string } | { N: string } | { BOOL: boolean } | { NULL: true } | { L: AttributeValue[] } | { M: Record<string, AttributeValue> };

/** Converts a plain JSON value to DynamoDB's attribute-value form (what PutItem expects). */
export function toAttributeValue(value: unknown, where: string): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number' && Number.isFinite(value)) return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map((v, i) => toAttributeValue(v, `${where}[${i}]`)) };
  if (typeof value === 'object') {
    return { M: Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toAttributeValue(v, `${where}.${k}`)])) };
  }
  throw new Error(`seed ${where}: ${typeof value} cannot be stored in DynamoDB; use a string, number, boolean, null, list or map`);
}

interface KeySchema {
  partitionKey: { name: string; type: AttributeType };
  sortKey?: { name: string; type: AttributeType };
}

function keyAttribute(seed: DynamoSeed, name: string): { name: string; type: AttributeType } {
  const value = seed.item[name];
  if (typeof value === 'string') return { name, type: AttributeType.STRING };
  if (typeof value === 'number') return { name, type: AttributeType.NUMBER };
  throw new Error(`seed dynamodb-item for table "${seed.tableLogicalId}": key attribute "${name}" must be a string or number in every item`);
}

/** A seeded table's key schema: declared on the items, or the first item's first attribute. */
function tableKeySchema(tableId: string, seeds: DynamoSeed[]): KeySchema {
  const first = seeds[0];
  const partitionName = first?.partitionKey ?? Object.keys(first?.item ?? {})[0];
  if (!first || !partitionName) throw new Error(`seed dynamodb-item for table "${tableId}" has an empty item; it needs at least its key`);
  const schema: KeySchema = { partitionKey: keyAttribute(first, partitionName) };
  if (first.sortKey) schema.sortKey = keyAttribute(first, first.sortKey);
  for (const seed of seeds) {
    if ((seed.partitionKey ?? partitionName) !== partitionName || seed.sortKey !== first.sortKey) {
      throw new Error(`seed dynamodb-items for table "${tableId}" declare different keys; every item of a table must use the same partitionKey and sortKey`);
    }
    for (const key of [schema.partitionKey, schema.sortKey]) {
      if (key && keyAttribute(seed, key.name).type !== key.type) {
        throw new Error(`seed dynamodb-items for table "${tableId}": key "${key.name}" is a string in one item and a number in another`);
      }
    }
  }
  return schema;
}

const groupBy = <T>(items: T[], key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
};

export interface SandboxSeedsProps {
  attemptId: string;
  seeds: readonly SeedResource[];
}

/**
 * The resources a task seeds: SSM parameters natively; S3 objects and DynamoDB items through an inline
 * custom resource (CloudFormation has no resource for either). Buckets and tables are created here, named
 * `skillproof-…`, so the candidate's boundary protects them.
 */
export class SandboxSeeds extends Construct {
  /** ARNs of seeded SSM parameters (their names come from the task, so they are protected one by one). */
  readonly parameterArns: string[] = [];
  readonly parameterNames: Record<string, string> = {};
  readonly bucketNames: Record<string, string> = {};
  readonly tableNames: Record<string, string> = {};
  readonly userPoolIds: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: SandboxSeedsProps) {
    super(scope, id);
    const names = sandboxNames(props.attemptId);

    for (const seed of props.seeds.filter((s): s is UserPoolSeed => s.kind === 'cognito-user-pool')) {
      this.userPoolIds[seed.logicalId] = this.addUserPool(seed, names.seedUserPool(seed.logicalId)).userPoolId;
    }

    props.seeds.forEach((seed, index) => {
      if (seed.kind !== 'ssm-parameter') return;
      const parameter = new StringParameter(this, `Parameter${index}`, {
        parameterName: seed.name,
        stringValue: seed.value,
        description: seed.description,
      });
      this.parameterArns.push(parameter.parameterArn);
      this.parameterNames[seed.name] = parameter.parameterArn;
    });

    const objects = props.seeds.filter((s): s is S3Seed => s.kind === 's3-object');
    const items = props.seeds.filter((s): s is DynamoSeed => s.kind === 'dynamodb-item');
    if (objects.length === 0 && items.length === 0) return;

    const buckets = new Map<string, Bucket>();
    for (const bucketId of groupBy(objects, (o) => o.bucketLogicalId).keys()) {
      const bucket = new Bucket(this, `Bucket-${bucketId}`, {
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        encryption: BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      acknowledge(bucket, 'Seed bucket: read-only fixture data for one attempt, which the candidate cannot change; it lives as long as the attempt.', ['AwsSolutions-S1']);
      buckets.set(bucketId, bucket);
      this.bucketNames[bucketId] = bucket.bucketName;
    }

    const tables = new Map<string, { table: Table; schema: KeySchema }>();
    for (const [tableId, tableSeeds] of groupBy(items, (i) => i.tableLogicalId)) {
      const schema = tableKeySchema(tableId, tableSeeds);
      const table = new Table(this, `Table-${tableId}`, {
        tableName: names.seedTable(tableId),
        ...schema,
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: RemovalPolicy.DESTROY,
      });
      tables.set(tableId, { table, schema });
      this.tableNames[tableId] = table.tableName;
    }

    const logGroup = new LogGroup(this, 'SeedLogs', {
      logGroupName: `/aws/lambda/${names.seedFunction}`,
      retention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const statements = [new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] })];
    if (buckets.size > 0) {
      statements.push(
        new PolicyStatement({
          actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'],
          resources: [...buckets.values()].map((b) => b.arnForObjects('*')),
        }),
      );
    }
    if (tables.size > 0) {
      statements.push(new PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [...tables.values()].map((t) => t.table.tableArn) }));
    }
    const role = new Role(this, 'SeedRole', {
      roleName: names.seedRole,
      path: SKILLPROOF_IAM_PATH,
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: { seed: new PolicyDocument({ statements }) },
    });
    acknowledge(role, 'Writes only the objects of the seed buckets and the streams of its own log group.', wildcardFindings(this, statements));

    const handler = new LambdaFunction(this, 'SeedFunction', {
      functionName: names.seedFunction,
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline(SEED_HANDLER_SOURCE),
      role,
      logGroup,
      timeout: Duration.seconds(60),
      memorySize: 256,
    });

    const tagging = `${encodeURIComponent(ATTEMPT_TAG)}=${encodeURIComponent(props.attemptId)}`;
    objects.forEach((seed, index) => {
      const bucket = buckets.get(seed.bucketLogicalId);
      if (!bucket) return;
      new CustomResource(this, `Object${index}`, {
        serviceToken: handler.functionArn,
        resourceType: 'Custom::SkillProofSeed',
        properties: { Kind: seed.kind, Bucket: bucket.bucketName, Key: seed.key, Body: seed.body, ContentType: seed.contentType ?? '', Tagging: tagging },
      });
    });
    items.forEach((seed, index) => {
      const entry = tables.get(seed.tableLogicalId);
      if (!entry) return;
      const where = `dynamodb-item ${seed.tableLogicalId}[${index}]`;
      const keyNames = [entry.schema.partitionKey.name, entry.schema.sortKey?.name].filter((k): k is string => k !== undefined);
      const key = Object.fromEntries(keyNames.map((k) => [k, toAttributeValue(seed.item[k], `${where}.${k}`)]));
      const item = Object.fromEntries(Object.entries(seed.item).map(([k, v]) => [k, toAttributeValue(v, `${where}.${k}`)]));
      new CustomResource(this, `Item${index}`, {
        serviceToken: handler.functionArn,
        resourceType: 'Custom::SkillProofSeed',
        properties: { Kind: seed.kind, Table: entry.table.tableName, Key: JSON.stringify(key), Item: JSON.stringify(item) },
      });
    });
  }

  /**
   * A machine-to-machine user pool: no users, no sign-up; a hosted domain for its token endpoint
   * (`https://<domain>.auth.<region>.amazoncognito.com/oauth2/token`); app clients with a secret and the
   * client-credentials grant. The domain prefix must be unique in the region across all accounts, so it
   * carries the first group of the stack's UUID.
   */
  private addUserPool(seed: UserPoolSeed, poolName: string): UserPool {
    const prefix = `skillproof-${seed.logicalId}-`;
    if (prefix.length + 8 > 63) throw new Error(`seed cognito-user-pool "${seed.logicalId}": the logical id is too long for a Cognito domain prefix (at most 63 characters with "skillproof-" and 8 more)`);
    const pool = new UserPool(this, `UserPool-${seed.logicalId}`, {
      userPoolName: poolName,
      selfSignUpEnabled: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(pool, 'Machine-to-machine pool for one attempt: it has no users, only app clients using the client-credentials grant, so password, MFA, threat-protection and Plus-plan settings never apply.', [
      'AwsSolutions-COG1',
      'AwsSolutions-COG2',
      'AwsSolutions-COG3',
      'AwsSolutions-COG8',
    ]);
    const scopes = new Map(seed.resourceServer.scopes.map((name) => [name, new ResourceServerScope({ scopeName: name, scopeDescription: name })]));
    const server = pool.addResourceServer('ResourceServer', { identifier: seed.resourceServer.identifier, scopes: [...scopes.values()] });
    const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    pool.addDomain('Domain', { cognitoDomain: { domainPrefix: `${prefix}${Fn.select(0, Fn.split('-', stackUuid))}` } });
    seed.clients.forEach((client, index) => {
      const granted = client.scopes.map((name) => {
        const scope = scopes.get(name);
        if (!scope) throw new Error(`seed cognito-user-pool "${seed.logicalId}": client "${client.name}" is granted scope "${name}", which resource server ${seed.resourceServer.identifier} does not define`);
        return OAuthScope.resourceServer(server, scope);
      });
      pool.addClient(`Client${index}`, { userPoolClientName: client.name, generateSecret: true, authFlows: {}, oAuth: { flows: { clientCredentials: true }, scopes: granted } });
    });
    return pool;
  }
}
