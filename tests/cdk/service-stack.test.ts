import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LIFECYCLE_STATES as S, SERVICE_TABLE_KEYS, ServiceStack, TRANSIENT_LAMBDA_ERRORS } from '../../cdk/lib/service-stack';
import { gradingJobSchema, SERVICE_ENV } from '../../src/service/jobs';

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
type StateJson = Record<string, unknown> & { Type: string; Retry?: Array<{ ErrorEquals: string[] }>; Catch?: Array<{ ErrorEquals: string[]; Next: string }> };

const POOL = ['444455556666', '777788889999'];
let stack: ServiceStack;
let template: Template;
let resources: Record<string, Resource>;
let codeDir: string;

beforeAll(() => {
  // One prebuilt asset for every function: bundling is exercised by `service synth`, not here.
  codeDir = mkdtempSync(join(tmpdir(), 'service-code-'));
  writeFileSync(join(codeDir, 'index.js'), 'exports.handler = async () => ({});\n');
  const app = new App();
  stack = new ServiceStack(app, 'Service', { env: { account: '111122223333', region: 'eu-west-1' }, poolAccountIds: POOL, alarmEmails: ['ops@example.com'], code: () => Code.fromAsset(codeDir) });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
});

afterAll(() => rmSync(codeDir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

/** Renders a CloudFormation value to a string, naming references as <Logical.Attr> / <Ref>. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v) return `<${String(v.Ref)}>`;
  if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  return JSON.stringify(value);
}

/** Every statement a role holds: its inline policies and the AWS::IAM::Policy resources attached to it. */
function roleStatements(roleLogicalId: string): Statement[] {
  const role = resources[roleLogicalId]!;
  const inline = ((role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) => p.PolicyDocument.Statement);
  const attached = ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties?.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId))
    .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

/** Statements as `action → resources`, sorted, for exact comparison. */
function grants(roleLogicalId: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of roleStatements(roleLogicalId)) {
    expect(s.Effect).toBe('Allow');
    for (const action of [s.Action].flat()) out[action] = [...(out[action] ?? []), ...[s.Resource].flat().map(render)].sort();
  }
  return out;
}

function definition(): { StartAt: string; States: Record<string, StateJson> } {
  const [, machine] = ofType('AWS::StepFunctions::StateMachine')[0]!;
  return JSON.parse(render(machine.Properties?.DefinitionString)) as { StartAt: string; States: Record<string, StateJson> };
}

describe('ServiceStack', () => {
  describe('grading queue', () => {
    it('is FIFO with explicit deduplication ids, encrypted, TLS-only, and redrives to a FIFO dead-letter queue after 5 receives', () => {
      const dlq = logicalId(stack.deadLetterQueue);
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        ContentBasedDeduplication: false,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 5 },
      });
      expect(resources[dlq]!.Properties).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
      for (const [, policy] of ofType('AWS::SQS::QueuePolicy')) {
        expect((policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    });

    it('gives the worker at least six times its timeout before a message becomes visible again', () => {
      const queue = resources[logicalId(stack.gradingQueue)]!.Properties!;
      const worker = resources[logicalId(stack.workerFunction)]!.Properties!;
      expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * (worker.Timeout as number));
    });

    it('feeds the worker with partial batch failures, bounded by reserved concurrency', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.gradingQueue), 'Arn'] },
        FunctionName: { Ref: logicalId(stack.workerFunction) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
      });
      expect(resources[logicalId(stack.workerFunction)]!.Properties!.ReservedConcurrentExecutions).toBe(10);
    });

    it('tells the worker the redrive count (it fails a waiting lifecycle task on the last delivery) and the per-account call rate', () => {
      const queue = resources[logicalId(stack.gradingQueue)]!.Properties as { RedrivePolicy: { maxReceiveCount: number } };
      const variables = (resources[logicalId(stack.workerFunction)]!.Properties!.Environment as { Variables: Record<string, string> }).Variables;
      expect(variables['SKILLPROOF_GRADING_MAX_RECEIVES']).toBe(String(queue.RedrivePolicy.maxReceiveCount));
      expect(variables['SKILLPROOF_ACCOUNT_CALLS_PER_SECOND']).toBe('10');
    });
  });

  describe('alarms', () => {
    it('alarm to the operations topic on any dead letter and on a grading job older than 15 minutes', () => {
      const topic = { Ref: logicalId(stack.alarmTopic) };
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.deadLetterQueue), 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: [topic],
        TreatMissingData: 'notBreaching',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.gradingQueue), 'QueueName'] } }],
        Threshold: 900,
        AlarmActions: [topic],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', AlarmActions: [topic] });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topic });
    });
  });

  describe('store and evidence', () => {
    it('has one on-demand table keyed pk/sk, with PITR, deletion protection, TTL, retained on delete', () => {
      expect(ofType('AWS::DynamoDB::Table')).toHaveLength(1);
      const [, table] = ofType('AWS::DynamoDB::Table')[0]!;
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        KeySchema: [
          { AttributeName: SERVICE_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: SERVICE_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        // The store's own table definition (src/store/dynamodb/table.ts): keys and its two list indexes.
        AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        GlobalSecondaryIndexes: ['gsi1', 'gsi2'].map((IndexName) => ({
          IndexName,
          KeySchema: [
            { AttributeName: `${IndexName}pk`, KeyType: 'HASH' },
            { AttributeName: `${IndexName}sk`, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      });
    });

    it('keeps evidence in a versioned, encrypted, private, TLS-only bucket with access logs, retained on delete', () => {
      const id = logicalId(stack.evidenceBucket);
      expect(resources[id]!.DeletionPolicy).toBe('Retain');
      expect(resources[id]!.Properties).toMatchObject({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogsBucket/) }, LogFilePrefix: 'evidence-bucket/' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      // Access logs are delivered under a bucket policy, so no bucket needs ACLs.
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]) },
      });
      for (const [, bucket] of ofType('AWS::S3::Bucket')) expect(bucket.Properties?.AccessControl).toBeUndefined();
    });

    it('tells every function where the store, evidence and queue are', () => {
      for (const fn of [stack.apiFunction, stack.lifecycleFunction, stack.workerFunction]) {
        const vars = (resources[logicalId(fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(render(vars[SERVICE_ENV.store])).toBe(`dynamodb:<${logicalId(stack.table)}>`);
        expect(render(vars[SERVICE_ENV.evidenceBucket])).toBe(`<${logicalId(stack.evidenceBucket)}>`);
        expect(render(vars[SERVICE_ENV.gradingQueueUrl])).toBe(`<${logicalId(stack.gradingQueue)}>`);
        expect(vars.SKILLPROOF_SANDBOX_POOL).toBe(POOL.join(','));
      }
      // Sandboxes the lifecycle deploys trust the worker's role to assume their grader role.
      const lifecycleVars = (resources[logicalId(stack.lifecycleFunction)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(render(lifecycleVars.SKILLPROOF_GRADER_PRINCIPAL)).toBe(`<${logicalId(stack.workerFunction.role as never)}.Arn>`);
      const apiVars = (resources[logicalId(stack.apiFunction)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(render(apiVars.SKILLPROOF_LIFECYCLE_STATE_MACHINE_ARN)).toBe(`<${logicalId(stack.stateMachine)}>`);
    });
  });

  describe('attempt lifecycle state machine', () => {
    it('is a Standard workflow with X-Ray tracing and ALL-level logging that leaves execution data (task tokens) out', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      });
    });

    it('runs deploy → await submit or expiry → settle → freeze → final grading → result → credential', () => {
      const { StartAt, States } = definition();
      expect(StartAt).toBe(S.deploy);
      expect(States[S.deploy]!.Next).toBe(S.awaitSubmit);
      expect(States[S.awaitSubmit]!.Next).toBe(S.settle);
      expect(States[S.settle]!.Next).toBe(S.route);
      const route = States[S.route] as unknown as { Choices: Array<{ Variable: string; StringEquals: string; Next: string }>; Default: string };
      expect(route.Choices.map((c) => [c.StringEquals, c.Next])).toEqual([
        ['submitted', S.freeze],
        ['active', S.awaitSubmit],
        ['expired', S.freezeExpired],
      ]);
      expect(route.Default).toBe(S.closed);
      expect(States[S.freeze]!.Next).toBe(S.finalGrade);
      expect(States[S.finalGrade]!.Next).toBe(S.finalize);
      expect(States[S.finalize]!.Next).toBe(S.passed);
      expect(States[S.issue]!.Next).toBe(S.credentialIssued);
      expect(States[S.freezeExpired]!.Next).toBe(S.expired);
      expect(States[S.recordIncomplete]!.Next).toBe(S.incomplete);
      expect(States[S.incomplete]).toMatchObject({ Type: 'Fail', Error: 'AttemptIncomplete' });
      for (const end of [S.credentialIssued, S.graded, S.expired, S.closed]) expect(States[end]!.Type).toBe('Succeed');
    });

    it('waits for submit with a task token until the time left runs out, then until expiresAt', () => {
      const { States } = definition();
      const wait = States[S.awaitSubmit]!;
      expect(wait.Resource).toMatch(/:states:::lambda:invoke\.waitForTaskToken$/);
      expect(wait.TimeoutSecondsPath).toBe('$.attempt.secondsLeft');
      expect(wait.Parameters).toMatchObject({ Payload: { action: 'await-submit', 'attemptId.$': '$.attemptId', 'taskToken.$': '$$.Task.Token' } });
      expect(wait.Catch![0]).toEqual({ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: S.waitUntilExpiry });
      expect(States[S.waitUntilExpiry]).toEqual({ Type: 'Wait', TimestampPath: '$.attempt.expiresAt', Next: S.settle });
    });

    it('retries every task on transient errors and sends every failure to RecordIncomplete', () => {
      const { States } = definition();
      const tasks = Object.entries(States).filter(([, s]) => s.Type === 'Task');
      expect(tasks.map(([name]) => name).sort()).toEqual([S.awaitSubmit, S.deploy, S.freezeExpired, S.freeze, S.issue, S.recordIncomplete, S.finalize, S.settle].sort());
      for (const [name, state] of tasks) {
        expect({ name, errors: state.Retry?.[0]?.ErrorEquals }).toEqual({ name, errors: TRANSIENT_LAMBDA_ERRORS });
        if (name === S.recordIncomplete) {
          expect(state.Catch).toBeUndefined();
          continue;
        }
        expect({ name, catch: state.Catch?.at(-1) }).toEqual({ name, catch: { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.recordIncomplete } });
      }
      expect(States[S.finalGrade]!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.recordIncomplete }]);
      expect(States[S.recordIncomplete]!.Parameters).toMatchObject({ action: 'incomplete', 'error.$': '$.error' });
    });

    it('grades each task by a FIFO message carrying its task token, one message group per attempt, with heartbeat and timeout', () => {
      const map = definition().States[S.finalGrade] as StateJson & { ItemsPath: string; ItemSelector: Record<string, string>; ItemProcessor: { StartAt: string; States: Record<string, StateJson> } };
      expect(map.Type).toBe('Map');
      expect(map.ItemsPath).toBe('$.final.taskIds');
      expect(map.ItemSelector).toEqual({ 'attemptId.$': '$.attemptId', 'taskId.$': '$$.Map.Item.Value', 'round.$': '$.final.round', 'accountId.$': '$.final.accountId' });
      const task = map.ItemProcessor.States[map.ItemProcessor.StartAt]!;
      expect(task.Resource).toMatch(/:states:::sqs:sendMessage\.waitForTaskToken$/);
      expect(task).toMatchObject({ HeartbeatSeconds: 1800, TimeoutSeconds: 7200 });
      expect(task.Retry![0]!.ErrorEquals).toEqual(expect.arrayContaining(['States.Timeout', 'States.HeartbeatTimeout']));
      const params = task.Parameters as Record<string, unknown> & { MessageBody: Record<string, unknown> };
      expect(params['QueueUrl']).toBe(`<${logicalId(stack.gradingQueue)}>`);
      expect(params['MessageGroupId.$']).toBe('$.attemptId');
      expect(params['MessageDeduplicationId.$']).toBe('States.UUID()');
      // The message body is a grading job (src/service/jobs.ts): the same fields, and the same job id.
      const fields = Object.keys(params.MessageBody).map((k) => k.replace(/\.\$$/, ''));
      expect(fields.sort()).toEqual(Object.keys(gradingJobSchema.shape).filter((k) => k !== 'requestedAt').sort());
      expect(params.MessageBody).toMatchObject({ v: 1, scope: 'final', 'jobId.$': "States.Format('{}/final/{}/{}', $.attemptId, $.round, $.taskId)", 'taskToken.$': '$$.Task.Token' });
    });
  });

  describe('least privilege', () => {
    const TABLE_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];
    const XRAY = { 'xray:PutTelemetryRecords': ['*'], 'xray:PutTraceSegments': ['*'] };
    const role = (fn: ServiceStack['workerFunction']) => logicalId(fn.role as never);
    // Items of the table; Query also on its two indexes (the store's list queries).
    const tableGrants = () =>
      Object.fromEntries(
        TABLE_ACTIONS.map((a) => [
          a,
          a === 'dynamodb:Query'
            ? [`<${logicalId(stack.table)}.Arn>`, `<${logicalId(stack.table)}.Arn>/index/gsi1`, `<${logicalId(stack.table)}.Arn>/index/gsi2`]
            : [`<${logicalId(stack.table)}.Arn>`],
        ]),
      );
    const logsOf = (fn: ServiceStack['workerFunction']) => {
      const group = render((resources[logicalId(fn)]!.Properties!.LoggingConfig as { LogGroup: unknown }).LogGroup);
      return { 'logs:CreateLogStream': [group.replace(/>$/, '.Arn>')], 'logs:PutLogEvents': [group.replace(/>$/, '.Arn>')] };
    };

    it('the worker: its log group, table items, evidence objects, grader roles of the pool with an external id, task responses, its queue', () => {
      const id = role(stack.workerFunction);
      expect(grants(id)).toEqual({
        ...logsOf(stack.workerFunction),
        ...tableGrants(),
        's3:GetObject': [`<${logicalId(stack.evidenceBucket)}.Arn>/evidence/*`],
        's3:PutObject': [`<${logicalId(stack.evidenceBucket)}.Arn>/evidence/*`],
        'sts:AssumeRole': POOL.map((a) => `arn:<AWS::Partition>:iam::${a}:role/skillproof/skillproof-*-grader`),
        'states:SendTaskSuccess': ['*'],
        'states:SendTaskFailure': ['*'],
        'states:SendTaskHeartbeat': ['*'],
        ...XRAY,
        ...Object.fromEntries(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'].map((a) => [a, [`<${logicalId(stack.gradingQueue)}.Arn>`]])),
      });
      expect(roleStatements(id).find((s) => s.Sid === 'AssumeGraderRoles')!.Condition).toEqual({ Null: { 'sts:ExternalId': 'false' } });
    });

    it('the lifecycle function: its log group, table items, the pool admin role, and submit callbacks', () => {
      expect(grants(role(stack.lifecycleFunction))).toEqual({
        ...logsOf(stack.lifecycleFunction),
        ...tableGrants(),
        'sts:AssumeRole': POOL.map((a) => `arn:<AWS::Partition>:iam::${a}:role/OrganizationAccountAccessRole`),
        'states:SendTaskSuccess': ['*'],
        ...XRAY,
      });
    });

    it('the API function: its log group, table items, evidence reads, enqueueing, starting lifecycles, submit callbacks', () => {
      expect(grants(role(stack.apiFunction))).toEqual({
        ...logsOf(stack.apiFunction),
        ...tableGrants(),
        's3:GetObject': [`<${logicalId(stack.evidenceBucket)}.Arn>/evidence/*`],
        'sqs:SendMessage': [`<${logicalId(stack.gradingQueue)}.Arn>`],
        'states:StartExecution': [`<${logicalId(stack.stateMachine)}>`],
        'states:SendTaskSuccess': ['*'],
        ...XRAY,
      });
    });

    it('the state machine: invoke the lifecycle function, send grading jobs, vended logs and X-Ray', () => {
      const fn = logicalId(stack.lifecycleFunction);
      expect(grants(logicalId(stack.stateMachine.role as never))).toEqual({
        'lambda:InvokeFunction': [`<${fn}.Arn>`, `<${fn}.Arn>:*`],
        'sqs:SendMessage': [`<${logicalId(stack.gradingQueue)}.Arn>`],
        ...Object.fromEntries(
          ['logs:CreateLogDelivery', 'logs:DeleteLogDelivery', 'logs:DescribeLogGroups', 'logs:DescribeResourcePolicies', 'logs:GetLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:UpdateLogDelivery'].map((a) => [a, ['*']]),
        ),
        ...XRAY,
        'xray:GetSamplingRules': ['*'],
        'xray:GetSamplingTargets': ['*'],
      });
    });

    it('grants no wildcard action anywhere, and Resource "*" only for actions that have no resource type', () => {
      // Service Authorization Reference: these actions list no resource type, so "*" is the only resource that matches.
      const resourceless = /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|states:SendTask(Success|Failure|Heartbeat)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/;
      for (const [id] of ofType('AWS::IAM::Role')) {
        for (const s of roleStatements(id)) {
          for (const action of [s.Action].flat()) {
            expect(action).not.toContain('*');
            if ([s.Resource].flat().includes('*')) expect({ id, action }).toEqual({ id, action: expect.stringMatching(resourceless) });
          }
        }
      }
    });

    it('uses no managed policy (AWSLambdaBasicExecutionRole would grant every log group)', () => {
      for (const [, r] of ofType('AWS::IAM::Role')) expect(r.Properties?.ManagedPolicyArns).toBeUndefined();
    });
  });

  describe('issuer key', () => {
    const keyResource = () => {
      const [[id, key]] = ofType('AWS::KMS::Key') as [[string, Resource]];
      return { id, key, policy: key.Properties!.KeyPolicy as { Statement: Array<Statement & { Principal: { AWS: unknown } }> } };
    };
    const principals = (s: { Principal: { AWS: unknown } }) => [s.Principal.AWS].flat().map(render).sort();
    const signers = () => [stack.workerFunction, stack.lifecycleFunction, stack.apiFunction].map((fn) => `<${logicalId(fn.role as never)}.Arn>`).sort();

    it('is an ECC_NIST_P256 SIGN_VERIFY key (ES256), aliased, retained with the longest deletion window', () => {
      const { id, key } = keyResource();
      expect(key.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', PendingWindowInDays: 30 });
      expect(key.Properties!.EnableKeyRotation).toBeUndefined();
      expect(key).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/Service-issuer', TargetKeyId: { 'Fn::GetAtt': [id, 'Arn'] } });
    });

    it('lets only the issuing roles sign (ECDSA_SHA_256 over a digest) and read the public key; the account only administers it', () => {
      const { policy } = keyResource();
      expect(policy.Statement.map((s) => s.Sid)).toEqual(['KeyAdministration', 'IssuerSigns', 'PublishPublicKey']);
      const [admin, sign, publicKey] = policy.Statement;
      expect(render(admin!.Principal.AWS)).toMatch(/^arn:<AWS::Partition>:iam::111122223333:root$/);
      expect([admin!.Action].flat()).not.toContainEqual(expect.stringMatching(/^kms:(\*|Sign|Verify|GetPublicKey)$/));
      expect(sign).toMatchObject({ Effect: 'Allow', Action: 'kms:Sign', Resource: '*', Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' } } });
      expect(principals(sign!)).toEqual(signers());
      expect(publicKey).toMatchObject({ Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: '*' });
      expect(principals(publicKey!)).toEqual(signers());
      // No role's own policy names the key: the key policy is the one place signing is granted.
      for (const [roleId] of ofType('AWS::IAM::Role')) expect(Object.keys(grants(roleId)).filter((a) => a.startsWith('kms:'))).toEqual([]);
    });

    it('tells the worker, the lifecycle and the API the key (by alias) and the issuer id, which is never made up', () => {
      const issuerEnv = (service: ServiceStack) => {
        const out = service === stack ? resources : (Template.fromStack(service).toJSON().Resources as Record<string, Resource>);
        return [service.workerFunction, service.lifecycleFunction, service.apiFunction].map((fn) => {
          const vars = (out[service.getLogicalId(fn.node.defaultChild as never)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
          return { key: vars.SKILLPROOF_ISSUER_KEY_ID, id: vars.SKILLPROOF_ISSUER_ID };
        });
      };
      // No public URL, no issuer id: the API's generated URL would be a poor identity for credentials that last years.
      expect(issuerEnv(stack)).toEqual(Array(3).fill({ key: 'alias/Service-issuer', id: undefined }));
      const build = (id: string, props: Partial<ConstructorParameters<typeof ServiceStack>[2]>) => new ServiceStack(new App(), id, { poolAccountIds: POOL, code: () => Code.fromAsset(codeDir), ...props });
      expect(issuerEnv(build('Custom', { publicUrl: 'https://badges.example.com' }))).toEqual(Array(3).fill({ key: 'alias/Custom-issuer', id: 'did:web:badges.example.com' }));
      expect(issuerEnv(build('Own', { publicUrl: 'https://badges.example.com', issuerId: 'did:web:example.com:badges' }))[0]).toEqual({ key: 'alias/Own-issuer', id: 'did:web:example.com:badges' });
      expect(() => build('Bad', { issuerId: 'http://example.com' })).toThrow(/issuerId must be did:web/);
    });
  });

  describe('API', () => {
    it('sends every route to the API function through an HTTP API whose $default stage logs access and is throttled', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] }, Format: Match.stringLikeRegexp('\\$context.requestId') },
        DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
      });
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has no finding left unexplained', () => {
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
    });
  });

  describe('input checks', () => {
    it('refuses an empty or malformed sandbox pool and a worker concurrency below 1', () => {
      const build = (props: Partial<ConstructorParameters<typeof ServiceStack>[2]>) => () =>
        new ServiceStack(new App(), 'S', { poolAccountIds: POOL, code: () => Code.fromAsset(codeDir), ...props });
      expect(build({ poolAccountIds: [] })).toThrow(/at least one sandbox account/);
      expect(build({ poolAccountIds: ['12345'] })).toThrow(/12-digit account ids, got "12345"/);
      expect(build({ workerConcurrency: 0 })).toThrow(/workerConcurrency must be/);
    });
  });
});
