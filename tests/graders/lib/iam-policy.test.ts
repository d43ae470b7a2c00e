import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import {
  ACTION_CATALOG,
  type Allowance,
  actionCanReach,
  evaluate,
  expandActionPattern,
  findExcessGrants,
  findMissingGrants,
  isPatternCoveredBy,
  matchesPattern,
  parsePolicyDocument,
  PolicyParseError,
  type PolicyStatement,
  resourcePolicyStatements,
  unrecognisedActions,
} from '../../../graders/lib/iam-policy';

const TABLE = 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders';
const TABLE_INDEXES = `${TABLE}/index/*`;
const QUEUE = 'arn:aws:sqs:eu-west-1:111122223333:orders-queue';

const WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
];
const WRITE_ALLOWANCE: Allowance = [{ actions: WRITE_ACTIONS, resources: [TABLE, TABLE_INDEXES] }];

/** A policy document as a grader would receive it: JSON text, statements written inline. */
function policy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

function statementsOf(...statements: object[]): PolicyStatement[] {
  return parsePolicyDocument(policy(...statements), 'inline:test');
}

/** Resolves the intrinsics CDK puts in a policy (GetAtt Arn, Join, pseudo parameters) to concrete text. */
function resolveIntrinsics(value: unknown, arns: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, arns));
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const getAtt = obj['Fn::GetAtt'];
  if (Array.isArray(getAtt)) {
    const arn = arns[String(getAtt[0])];
    if (getAtt[1] !== 'Arn' || arn === undefined) throw new Error(`unresolvable ${JSON.stringify(obj)}`);
    return arn;
  }
  const join = obj['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join as [string, unknown[]];
    return parts.map((p) => resolveIntrinsics(p, arns)).join(separator);
  }
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '111122223333' };
  if (typeof obj.Ref === 'string' && pseudo[obj.Ref] !== undefined) return pseudo[obj.Ref];
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(v, arns)]));
}

/**
 * Synthesises a role whose grants are added by `grant`, and returns its policy as IAM would hand it
 * back from GetRolePolicy: URL-encoded JSON with every resource's ARN filled in.
 */
function synthesisedRolePolicy(grant: (stack: Stack, role: Role) => void, arnsByType: Record<string, string>): string {
  const stack = new Stack(new App(), 'Sandbox', { env: { account: '111122223333', region: 'eu-west-1' } });
  const role = new Role(stack, 'FunctionRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  grant(stack, role);
  const template = Template.fromStack(stack);
  const arns: Record<string, string> = {};
  for (const [type, arn] of Object.entries(arnsByType)) {
    for (const logicalId of Object.keys(template.findResources(type))) arns[logicalId] = arn;
  }
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  expect(policies).toHaveLength(1);
  const document = resolveIntrinsics((policies[0] as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument, arns);
  return encodeURIComponent(JSON.stringify(document));
}

describe('parsePolicyDocument', () => {
  const document = policy({
    Sid: 'WriteOrders',
    Effect: 'Allow',
    Action: 'dynamodb:PutItem',
    Resource: [TABLE, TABLE_INDEXES],
  });

  it.each([
    ['plain JSON', document],
    ['URL-encoded JSON, as GetRolePolicy and GetPolicyVersion return it', encodeURIComponent(document)],
    ['JSON with surrounding whitespace', `\n  ${document}  \n`],
  ])('reads %s', (_name, text) => {
    expect(parsePolicyDocument(text, 'inline:orders-writer')).toEqual([
      {
        sid: 'WriteOrders',
        effect: 'Allow',
        actions: ['dynamodb:PutItem'],
        resources: [TABLE, TABLE_INDEXES],
        hasCondition: false,
        source: 'inline:orders-writer',
      },
    ]);
  });

  it('reads a single-statement object, NotAction, NotResource and a Condition', () => {
    const text = JSON.stringify({
      Version: '2012-10-17',
      Statement: {
        Effect: 'Deny',
        NotAction: ['iam:*', 'sts:*'],
        NotResource: TABLE,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    });
    expect(parsePolicyDocument(text, 'managed:guard')).toEqual([
      { effect: 'Deny', notActions: ['iam:*', 'sts:*'], notResources: [TABLE], hasCondition: true, source: 'managed:guard' },
    ]);
  });

  it('treats an empty Condition block as no condition', () => {
    const [stmt] = statementsOf({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: {} });
    expect(stmt?.hasCondition).toBe(false);
  });

  it.each([
    ['malformed JSON', '{"Statement": [', /inline:broken: document is not valid JSON/],
    ['bad URL encoding', '%7B%E0%A4%A', /neither JSON nor valid URL-encoded JSON/],
    ['a JSON array', '[]', /must be a JSON object, got an array/],
    ['no Statement', '{"Version":"2012-10-17"}', /has no Statement/],
    ['a lower-case Effect', policy({ Effect: 'allow', Action: '*', Resource: '*' }), /Statement\[0\]\.Effect must be "Allow" or "Deny", got "allow"/],
    ['both Action and NotAction', policy({ Effect: 'Allow', Action: '*', NotAction: 's3:*', Resource: '*' }), /both Action and NotAction/],
    ['no Action', policy({ Effect: 'Allow', Resource: '*' }), /needs Action or NotAction/],
    ['no Resource', policy({ Effect: 'Allow', Action: 's3:GetObject' }), /needs Resource or NotResource/],
    ['a non-string action', policy({ Effect: 'Allow', Action: ['s3:GetObject', 7], Resource: '*' }), /Action\[1\] must be a non-empty string, got a number/],
    ['an action without a service prefix', policy({ Effect: 'Allow', Action: 'GetObject', Resource: '*' }), /action "GetObject"; expected "service:Action"/],
    ['an empty Resource list', policy({ Effect: 'Allow', Action: '*', Resource: [] }), /Resource is an empty list/],
    ['a string Condition', policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: 'yes' }), /Condition must be an object/],
  ])('rejects %s with a PolicyParseError naming the source', (_name, text, message) => {
    expect(() => parsePolicyDocument(text, 'inline:broken')).toThrow(PolicyParseError);
    expect(() => parsePolicyDocument(text, 'inline:broken')).toThrow(message);
    expect(() => parsePolicyDocument(text, 'inline:broken')).toThrow(/^Policy inline:broken: /);
  });
});

describe('matchesPattern', () => {
  it.each([
    ['dynamodb:*', 'dynamodb:PutItem', true, true],
    ['dynamodb:*Item', 'dynamodb:BatchWriteItem', true, true],
    ['dynamodb:*Item', 'dynamodb:DescribeTable', true, false],
    ['s3:Get?bject', 's3:GetObject', true, true],
    ['DynamoDB:putitem', 'dynamodb:PutItem', true, true],
    ['*', '', false, true],
    [`${TABLE}*`, `${TABLE}-archive`, false, true],
    [TABLE, `${TABLE}/index/byDate`, false, false],
    ['arn:aws:s3:::Bucket/*', 'arn:aws:s3:::bucket/key', false, false],
    ['a*b*c', 'aXbYbZc', false, true],
    ['a*b*c', 'aXbYcZ', false, false],
  ])('%s matches %s (caseInsensitive %s): %s', (pattern, value, caseInsensitive, expected) => {
    expect(matchesPattern(pattern, value, { caseInsensitive })).toBe(expected);
  });
});

describe('isPatternCoveredBy', () => {
  it.each([
    [`${TABLE}/index/*`, `${TABLE}/*`, true],
    [`${TABLE}/index/*`, `${TABLE}/index/*`, true],
    [TABLE, `${TABLE}*`, true],
    [`${TABLE}*`, TABLE, false],
    ['*', '*', true],
    ['*', 'arn:*', false],
    ['arn:aws:sqs:*:*:q', 'arn:aws:sqs:?:*:q', false],
    ['arn:aws:sqs:?:1:q', 'arn:aws:sqs:?:*:q', true],
  ])('%s is covered by %s: %s', (narrow, broad, expected) => {
    expect(isPatternCoveredBy(narrow, broad, { caseInsensitive: false })).toBe(expected);
  });
});

describe('evaluate', () => {
  const writer = { Effect: 'Allow', Action: WRITE_ACTIONS, Resource: [TABLE, TABLE_INDEXES] };

  it.each([
    ['allows a granted action', [writer], 'dynamodb:PutItem', TABLE, 'allow'],
    ['compares actions case-insensitively', [writer], 'DynamoDB:putitem', TABLE, 'allow'],
    ['compares resources case-sensitively', [writer], 'dynamodb:PutItem', TABLE.replace('orders', 'Orders'), 'implicit-deny'],
    ['denies implicitly what no statement grants', [writer], 'dynamodb:Scan', TABLE, 'implicit-deny'],
    ['lets an explicit Deny win', [writer, { Effect: 'Deny', Action: 'dynamodb:Delete*', Resource: '*' }], 'dynamodb:DeleteItem', TABLE, 'explicit-deny'],
    ['honours NotAction in an Allow', [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }], 'sqs:SendMessage', QUEUE, 'allow'],
    ['excludes what NotAction names', [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }], 'iam:PassRole', '*', 'implicit-deny'],
    ['honours NotResource in a Deny', [writer, { Effect: 'Deny', Action: '*', NotResource: TABLE }], 'dynamodb:PutItem', `${TABLE}/index/byDate`, 'explicit-deny'],
  ] as const)('%s', (_name, statements, action, resource, decision) => {
    expect(evaluate(statementsOf(...statements), action, resource).decision).toBe(decision);
  });

  it('names the allowing statements by source and Sid', () => {
    const statements = parsePolicyDocument(
      policy({ Sid: 'Write', ...writer }, { Effect: 'Allow', Action: 'dynamodb:*', Resource: TABLE }),
      'inline:orders',
    );
    expect(evaluate(statements, 'dynamodb:PutItem', TABLE)).toEqual({
      decision: 'allow',
      conditional: false,
      allowedBy: ['inline:orders', 'inline:orders#Write'],
    });
  });

  it('flags an allow that rests on a Condition as conditional', () => {
    const statements = statementsOf({ ...writer, Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } });
    expect(evaluate(statements, 'dynamodb:PutItem', TABLE)).toMatchObject({ decision: 'allow', conditional: true });
  });

  it('flags an allow as conditional when a conditional Deny may cancel it', () => {
    const statements = statementsOf(writer, {
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(evaluate(statements, 'dynamodb:PutItem', TABLE)).toMatchObject({ decision: 'allow', conditional: true });
  });
});

describe('ACTION_CATALOG', () => {
  it.each(Object.entries(ACTION_CATALOG))('lists %s actions once each, prefixed with the service', (service, actions) => {
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions.map((a) => a.toLowerCase())).size).toBe(actions.length);
    for (const action of actions) expect(action).toMatch(new RegExp(`^${service}:[A-Za-z0-9-]+$`));
  });

  it('covers the services SkillProof tasks use', () => {
    expect(Object.keys(ACTION_CATALOG).sort()).toEqual([
      'bedrock', 'cloudwatch', 'dynamodb', 'events', 'iam', 'kms', 'lambda', 'logs',
      's3', 'secretsmanager', 'sns', 'sqs', 'ssm', 'states', 'xray',
    ]);
  });

  it.each([
    'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:PartiQLInsert',
    'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueUrl',
    'lambda:InvokeFunction', 'lambda:InvokeFunctionUrl', 'logs:PutLogEvents', 'xray:PutTraceSegments',
    'states:StartExecution', 'states:StartSyncExecution', 'events:PutEvents', 's3:GetObject', 's3:PutObject',
    'sns:Publish', 'iam:PassRole', 'iam:CreateRole', 'kms:Decrypt', 'kms:GenerateDataKey',
    'cloudwatch:PutMetricData', 'bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream',
    'bedrock:InvokeAgent', 'bedrock:CreateAgent', 'bedrock:CreateAgentActionGroup', 'bedrock:PrepareAgent',
    'bedrock:Retrieve', 'bedrock:RetrieveAndGenerate', 'ssm:GetParameter', 'secretsmanager:GetSecretValue',
  ])('knows %s', (action) => {
    const service = action.split(':')[0] ?? '';
    expect(ACTION_CATALOG[service]).toContain(action);
  });

  it('does not invent per-API actions that IAM folds into one (SendMessageBatch is sqs:SendMessage)', () => {
    expect(ACTION_CATALOG.sqs).not.toContain('sqs:SendMessageBatch');
    expect(ACTION_CATALOG.sqs).not.toContain('sqs:DeleteMessageBatch');
  });
});

describe('expandActionPattern', () => {
  it('expands a suffix wildcard within a service', () => {
    expect(expandActionPattern('dynamodb:*Item')).toEqual({
      service: 'dynamodb',
      actions: [
        'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem',
        'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem',
      ],
      unknownService: false,
    });
  });

  it('expands a service wildcard to the whole service', () => {
    expect(expandActionPattern('dynamodb:*').actions).toEqual(ACTION_CATALOG.dynamodb);
  });

  it('expands a prefix wildcard case-insensitively, in catalog spelling', () => {
    const { actions } = expandActionPattern('S3:get*');
    expect(actions).toContain('s3:GetObject');
    expect(actions.every((a) => a.startsWith('s3:Get'))).toBe(true);
  });

  it.each(['*', '*:*'])('expands %s to every catalogued action and flags uncatalogued services', (pattern) => {
    const expansion = expandActionPattern(pattern);
    expect(expansion.unknownService).toBe(true);
    expect(expansion.actions).toHaveLength(Object.values(ACTION_CATALOG).flat().length);
  });

  it.each([
    ['ec2:*', { service: 'ec2', actions: [], unknownService: true }],
    ['ec2:RunInstances', { service: 'ec2', actions: ['ec2:RunInstances'], unknownService: true }],
  ])('keeps %s by name when the catalog cannot enumerate it', (pattern, expected) => {
    expect(expandActionPattern(pattern)).toEqual(expected);
  });

  it.each(['sqs:DeleteMessageBatch', 'sqs:ChangeMessageVisibilityBatch', 'dynamodb:PutItems'])('expands %s, a name its catalogued service does not define, to nothing', (pattern) => {
    expect(expandActionPattern(pattern)).toEqual({ service: pattern.split(':')[0], actions: [], unknownService: false });
  });
});

describe('findExcessGrants', () => {
  const source = 'inline:test';

  it('finds nothing in the policy CDK grantWriteData emits for a Table with an index', () => {
    const document = synthesisedRolePolicy(
      (stack, role) => {
        const table = new Table(stack, 'Orders', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
        table.addGlobalSecondaryIndex({ indexName: 'byDate', partitionKey: { name: 'date', type: AttributeType.STRING } });
        table.grantWriteData(role);
      },
      { 'AWS::DynamoDB::Table': TABLE },
    );
    const statements = parsePolicyDocument(document, 'inline:FunctionRoleDefaultPolicy');
    expect(statements).toEqual([
      expect.objectContaining({ effect: 'Allow', actions: WRITE_ACTIONS, resources: [TABLE, TABLE_INDEXES] }),
    ]);
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([]);
  });

  it('finds nothing in the policy CDK grantWriteData emits for a TableV2', () => {
    const document = synthesisedRolePolicy(
      (stack, role) => {
        new TableV2(stack, 'Orders', { partitionKey: { name: 'pk', type: AttributeType.STRING } }).grantWriteData(role);
      },
      { 'AWS::DynamoDB::GlobalTable': TABLE },
    );
    const statements = parsePolicyDocument(document, 'inline:FunctionRoleDefaultPolicy');
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([]);
  });

  it('finds SendMessage excess in CDK grantConsumeMessages plus grantSendMessages against a consume-only allowance', () => {
    const document = synthesisedRolePolicy(
      (stack, role) => {
        const queue = new Queue(stack, 'Queue');
        queue.grantConsumeMessages(role);
        queue.grantSendMessages(role);
      },
      { 'AWS::SQS::Queue': QUEUE },
    );
    const statements = parsePolicyDocument(document, 'inline:FunctionRoleDefaultPolicy');
    const consume: Allowance = [
      {
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [QUEUE],
      },
    ];
    expect(findExcessGrants(statements, consume).map((g) => g.action)).toEqual(['sqs:SendMessage']);
  });

  it('finds nothing in AWSLambdaBasicExecutionRole against an allowance of its three log actions on *', () => {
    const basicExecutionRole =
      '{ "Version" : "2012-10-17", "Statement" : [ { "Effect" : "Allow", "Action" : [ "logs:CreateLogGroup", ' +
      '"logs:CreateLogStream", "logs:PutLogEvents" ], "Resource" : "*" } ] }';
    const statements = parsePolicyDocument(
      encodeURIComponent(basicExecutionRole),
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    );
    const allowance: Allowance = [
      { actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: ['*'] },
    ];
    expect(findExcessGrants(statements, allowance)).toEqual([]);
  });

  it('reports dynamodb:* on the table as every action outside the write allowance that can act on a table', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: 'dynamodb:*', Resource: TABLE });
    const excess = findExcessGrants(statements, WRITE_ALLOWANCE);
    const expected = (ACTION_CATALOG.dynamodb ?? []).filter((a) => !WRITE_ACTIONS.includes(a) && actionCanReach(a, TABLE));
    expect(excess.map((g) => g.action)).toEqual([...expected].sort());
    expect(excess.map((g) => g.action)).toEqual(expect.arrayContaining(['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:ListTables']));
    // Stream reads act on `table/<name>/stream/<label>`, which the table's own ARN is not.
    expect(excess.map((g) => g.action)).not.toContain('dynamodb:GetRecords');
    expect(excess).toContainEqual({
      action: 'dynamodb:DeleteTable',
      resource: TABLE,
      source,
      reason: 'dynamodb:DeleteTable is not in the allowance',
    });
  });

  it('reports dynamodb:PutItem on * as a resource excess', () => {
    const statements = statementsOf({ Sid: 'Put', Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: '*' });
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([
      {
        action: 'dynamodb:PutItem',
        resource: '*',
        source,
        sid: 'Put',
        reason: `dynamodb:PutItem on * is broader than the allowed resources (${TABLE}, ${TABLE_INDEXES})`,
      },
    ]);
  });

  it.each([
    ['a prefix wildcard that also reaches other tables', `${TABLE}*`, 1],
    ['a sibling table', TABLE.replace('orders', 'payments'), 1],
    ['a named index', `${TABLE}/index/byDate`, 0],
    ['the table itself', TABLE, 0],
  ])('judges PutItem on %s against the table and its indexes', (_name, resource, excessCount) => {
    const statements = statementsOf({ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: resource });
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toHaveLength(excessCount);
  });

  it('accepts an index pattern when the allowance covers everything under the table', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: TABLE_INDEXES });
    expect(findExcessGrants(statements, [{ actions: ['dynamodb:PutItem'], resources: [`${TABLE}/*`] }])).toEqual([]);
  });

  it('matches granted actions case-insensitively and reports them in catalog spelling', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: ['DynamoDB:putitem', 'DYNAMODB:SCAN'], Resource: TABLE });
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([
      expect.objectContaining({ action: 'dynamodb:Scan', resource: TABLE }),
    ]);
  });

  it('reports NotAction in an Allow as excess', () => {
    const statements = statementsOf({ Effect: 'Allow', NotAction: 'iam:*', Resource: TABLE });
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([
      { action: '*', resource: TABLE, source, reason: 'NotAction iam:* in an Allow grants every other action' },
    ]);
  });

  it('judges NotResource in an Allow as a grant on *', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: 'dynamodb:PutItem', NotResource: `${TABLE}-archive` });
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([
      expect.objectContaining({ action: 'dynamodb:PutItem', resource: '*', reason: expect.stringContaining('NotResource') }),
    ]);
  });

  it('reports *:* as excess, including the uncatalogued services it reaches', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: '*:*', Resource: '*' });
    const excess = findExcessGrants(statements, WRITE_ALLOWANCE);
    expect(expandActionPattern('*:*').unknownService).toBe(true);
    expect(excess).toContainEqual({
      action: '*:*',
      resource: '*',
      source,
      reason: '*:* grants actions outside the catalogued services, none of them in the allowance',
    });
    expect(excess).toContainEqual(expect.objectContaining({ action: 'iam:PassRole' }));
    expect(excess).toContainEqual(expect.objectContaining({ action: 'dynamodb:PutItem', resource: '*' }));
  });

  it('reports an action of an uncatalogued service that the allowance does not name', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: ['ec2:RunInstances', 'dynamodb:PutItem'], Resource: TABLE });
    expect(findExcessGrants(statements, WRITE_ALLOWANCE).map((g) => g.action)).toEqual(['ec2:RunInstances']);
  });

  it('lets an unconditional explicit Deny remove the grants it covers', () => {
    const statements = statementsOf(
      { Effect: 'Allow', Action: 'dynamodb:*Item', Resource: TABLE },
      { Effect: 'Deny', Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem'], Resource: '*' },
    );
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([]);
  });

  it.each([
    ['has a Condition', { Effect: 'Deny', Action: 'dynamodb:Scan', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
    ['covers only part of the resource', { Effect: 'Deny', Action: 'dynamodb:Scan', Resource: `${TABLE}/index/*` }],
    ['names other actions', { Effect: 'Deny', Action: 'dynamodb:Query', Resource: '*' }],
  ])('keeps a grant when the Deny %s', (_name, deny) => {
    const statements = statementsOf({ Effect: 'Allow', Action: 'dynamodb:Scan', Resource: '*' }, deny);
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toHaveLength(1);
  });

  it('still judges a conditional Allow as granting', () => {
    const statements = statementsOf({
      Effect: 'Allow',
      Action: 'dynamodb:Scan',
      Resource: TABLE,
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    });
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toHaveLength(1);
  });

  it('accepts wildcard patterns in the allowance', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], Resource: QUEUE });
    expect(findExcessGrants(statements, [{ actions: ['sqs:Receive*', 'sqs:Delete*'], resources: ['arn:aws:sqs:*:*:orders-*'] }])).toEqual([]);
  });

  it('judges each action against the rules that allow it, not against any rule', () => {
    const allowance: Allowance = [
      { actions: ['dynamodb:PutItem'], resources: [TABLE] },
      { actions: ['logs:PutLogEvents'], resources: ['*'] },
    ];
    const statements = statementsOf({ Effect: 'Allow', Action: ['dynamodb:PutItem', 'logs:PutLogEvents'], Resource: '*' });
    expect(findExcessGrants(statements, allowance)).toEqual([
      expect.objectContaining({ action: 'dynamodb:PutItem', resource: '*' }),
    ]);
  });

  it('deduplicates repeated grants and sorts by action, then resource', () => {
    const statements = statementsOf(
      { Effect: 'Allow', Action: ['dynamodb:Scan', 'dynamodb:Query'], Resource: [TABLE, '*'] },
      { Effect: 'Allow', Action: ['dynamodb:scan'], Resource: TABLE },
    );
    expect(findExcessGrants(statements, WRITE_ALLOWANCE).map((g) => `${g.action} ${g.resource}`)).toEqual([
      'dynamodb:Query *',
      `dynamodb:Query ${TABLE}`,
      'dynamodb:Scan *',
      `dynamodb:Scan ${TABLE}`,
    ]);
  });
});

describe('findMissingGrants', () => {
  const statements = statementsOf(
    { Effect: 'Allow', Action: WRITE_ACTIONS, Resource: [TABLE, TABLE_INDEXES] },
    { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: '*' },
  );

  it('lists required permissions that are not allowed, with the reason', () => {
    expect(
      findMissingGrants(statements, [
        { action: 'dynamodb:PutItem', resource: TABLE },
        { action: 'dynamodb:GetItem', resource: TABLE },
        { action: 'dynamodb:DeleteItem', resource: TABLE },
      ]),
    ).toEqual([
      { action: 'dynamodb:GetItem', resource: TABLE, decision: 'implicit-deny' },
      { action: 'dynamodb:DeleteItem', resource: TABLE, decision: 'explicit-deny' },
    ]);
  });

  it('returns nothing when every required permission is granted', () => {
    expect(findMissingGrants(statements, [{ action: 'dynamodb:UpdateItem', resource: `${TABLE}/index/byDate` }])).toEqual([]);
  });
});

/** SAM's SQSPollerPolicy template for one queue (serverless-application-model, policy_templates.json). */
const SQS_POLLER_POLICY = {
  Effect: 'Allow',
  Action: ['sqs:ChangeMessageVisibility', 'sqs:ChangeMessageVisibilityBatch', 'sqs:DeleteMessage', 'sqs:DeleteMessageBatch', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
  Resource: QUEUE,
};
const CONSUME_ALLOWANCE: Allowance = [{ actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'], resources: [QUEUE] }];

describe('action names a service does not define', () => {
  it("finds nothing in SAM's SQSPollerPolicy against a consume-only allowance: the batch names grant nothing", () => {
    expect(findExcessGrants(statementsOf(SQS_POLLER_POLICY), CONSUME_ALLOWANCE)).toEqual([]);
  });

  it('lists them, so a message can say they grant nothing instead of asking for them', () => {
    expect(unrecognisedActions(statementsOf(SQS_POLLER_POLICY))).toEqual(['sqs:ChangeMessageVisibilityBatch', 'sqs:DeleteMessageBatch']);
  });

  it('does not let them satisfy a required permission either', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: 'sqs:DeleteMessageBatch', Resource: QUEUE });
    expect(findMissingGrants(statements, [{ action: 'sqs:DeleteMessage', resource: QUEUE }])).toEqual([{ action: 'sqs:DeleteMessage', resource: QUEUE, decision: 'implicit-deny' }]);
  });
});

describe('grants on ARNs an action cannot act on', () => {
  it.each([
    ['dynamodb:PutItem', `${TABLE}/*`, false],
    ['dynamodb:DescribeTable', `${TABLE}/index/*`, false],
    ['dynamodb:PutItem', `${TABLE}*`, true],
    ['dynamodb:PutItem', '*', true],
    ['dynamodb:Query', `${TABLE}/*`, true],
    ['dynamodb:GetRecords', `${TABLE}/*`, true],
    ['dynamodb:GetRecords', TABLE, false],
    ['sqs:SendMessage', `${QUEUE}/*`, false],
    ['sqs:SendMessage', 'arn:aws:sqs:*:*:orders-*', true],
    ['logs:PutLogEvents', 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/orders:*', true],
    ['xray:PutTraceSegments', 'arn:aws:xray:eu-west-1:111122223333:anything', true],
    ['ec2:RunInstances', 'arn:aws:ec2:eu-west-1:111122223333:instance/*', true],
  ])('%s on %s can reach something: %s', (action, resource, expected) => {
    expect(actionCanReach(action, resource)).toBe(expected);
  });

  it('finds nothing in [tableArn, tableArn + "/*"] with the write actions (the CDK/SAM/Terraform idiom)', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:DescribeTable'], Resource: [TABLE, `${TABLE}/*`] });
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([]);
  });

  it('still reports what the actions can reach under the table: stream reads on tableArn/*', () => {
    const statements = statementsOf({ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetRecords'], Resource: [TABLE, `${TABLE}/*`] });
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([expect.objectContaining({ action: 'dynamodb:GetRecords', resource: `${TABLE}/*` })]);
  });
});

describe('resourcePolicyStatements', () => {
  const ROLE = 'arn:aws:iam::111122223333:role/candidate/orders-handler-role';
  const scope = { resourceArn: TABLE, principalArn: ROLE };
  const source = 'resource policy of table orders';
  const read = (...statements: object[]) => resourcePolicyStatements(policy(...statements), source, scope);

  it('keeps what the policy grants the role itself, on the resource it is attached to when it names none', () => {
    const statements = read({ Sid: 'RoleScans', Effect: 'Allow', Principal: { AWS: ROLE }, Action: ['dynamodb:Scan', 'dynamodb:PutItem'] });
    expect(statements).toEqual([{ sid: 'RoleScans', effect: 'Allow', actions: ['dynamodb:Scan', 'dynamodb:PutItem'], resources: [TABLE], hasCondition: false, source }]);
    expect(findExcessGrants(statements, WRITE_ALLOWANCE)).toEqual([expect.objectContaining({ action: 'dynamodb:Scan', source, sid: 'RoleScans' })]);
  });

  it('keeps what it grants everyone, "*" or {"AWS": "*"}', () => {
    expect(read({ Effect: 'Allow', Principal: '*', Action: 'dynamodb:GetItem', Resource: TABLE }, { Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 'dynamodb:Scan', Resource: TABLE })).toHaveLength(2);
  });

  it.each([
    ['another role', { Principal: { AWS: 'arn:aws:iam::111122223333:role/candidate/reporting' } }],
    ['the account, which only delegates to IAM policies', { Principal: { AWS: 'arn:aws:iam::111122223333:root' } }],
    ['a service principal', { Principal: { Service: 'events.amazonaws.com' } }],
    ['everyone, but only on behalf of a source resource', { Principal: '*', Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:111122223333:orders' } } }],
    ['everyone whose PrincipalArn is another role', { Principal: '*', Condition: { StringEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/other' } } }],
  ])('leaves out a statement naming %s', (_name, who) => {
    expect(read({ Effect: 'Allow', Action: 'dynamodb:Scan', Resource: TABLE, ...who })).toEqual([]);
  });

  it('settles an aws:PrincipalArn condition naming the role, and keeps other conditions as conditions', () => {
    const [settled] = read({ Effect: 'Allow', Principal: '*', Action: 'dynamodb:Scan', Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/candidate/*' } } });
    const [open] = read({ Effect: 'Allow', Principal: '*', Action: 'dynamodb:Scan', Condition: { Bool: { 'aws:SecureTransport': 'true' } } });
    expect([settled?.hasCondition, open?.hasCondition]).toEqual([false, true]);
  });

  it('keeps a Deny that applies to the role, so it can cancel identity grants', () => {
    const identity = statementsOf({ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:Scan'], Resource: TABLE });
    const denies = read({ Effect: 'Deny', Principal: '*', Action: 'dynamodb:Scan' });
    expect(findExcessGrants([...identity, ...denies], WRITE_ALLOWANCE)).toEqual([]);
  });

  it('names the policy in its errors', () => {
    expect(() => resourcePolicyStatements('{"Statement": 3}', source, scope)).toThrow(/resource policy of table orders: Statement must be an object/);
  });
});
