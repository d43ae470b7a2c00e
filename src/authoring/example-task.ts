import type { Track } from '../model/task';

/**
 * The files `skillproof task new` writes: a small, real task (one DynamoDB table, keyed and billed as
 * asked) whose grader, solution and fixtures agree, so `grader test` passes before the author has
 * changed a line. Authors then replace the example with their own task, file by file.
 */
export interface ExampleTaskFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

/** `orders-table` → `OrdersTable`. */
export function pascalCase(id: string): string {
  return id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

export function exampleTaskFiles(id: string, track: Track): ExampleTaskFile[] {
  const Solution = `${pascalCase(id)}Solution`;
  return [
    { path: `tasks/${id}/task.ts`, content: taskTs(id, track) },
    { path: `tasks/${id}/README.md`, content: readme(id) },
    { path: `graders/${track}/${id}.ts`, content: graderTs(id) },
    { path: `tasks/${id}/solution/${id}-solution.ts`, content: solutionTs(id, Solution) },
    { path: `tasks/${id}/solution/${id}-solution.test.ts`, content: solutionTestTs(id, Solution) },
    { path: `tasks/${id}/fixtures/scenarios.ts`, content: scenariosTs(id) },
  ];
}

const taskTs = (id: string, track: Track) => `import { defineTask } from '../../src';

// Scaffolded by \`skillproof task new\`: an example task to turn into your own (see graders/README.md).
export default defineTask({
  id: '${id}',
  title: 'An on-demand DynamoDB table keyed by itemId',
  track: '${track}',
  summary: 'Create the DynamoDB table items, keyed by a string itemId alone and billed on demand.',
  timeLimitMinutes: 30,
  blueprint: {
    candidate: {
      services: ['dynamodb', 'cloudformation'],
      // Actions the reference solution performs; the sandbox tests prove the candidate role allows each.
      solutionActions: ['dynamodb:CreateTable', 'dynamodb:DescribeTable', 'cloudformation:CreateStack'],
    },
    grader: {
      // Every call the grader makes must be allowed here: \`skillproof grader test\` checks each recorded call.
      reads: ['dynamodb:DescribeTable'],
      probes: [],
    },
    budgetUsd: 5,
  },
  passRule: { passMark: 1 },
});
`;

const readme = (id: string) => `# An on-demand DynamoDB table

<!-- Scaffolded by \`skillproof task new ${id}\`: replace this example with your task's instructions. -->

Your team needs a table to store items. Build it in your sandbox account, in the sandbox's region.

## What to build

- A DynamoDB table named \`items\`.
- Each item is identified by a string attribute \`itemId\`, and by nothing else.
- The table is billed per request (on-demand capacity), so nobody has to size it.

Build it any way you like: the console, the AWS CLI, CloudFormation, the CDK or Terraform.

## Constraints

- Your sandbox allows DynamoDB and CloudFormation only.
- The table must be usable: grading waits for nothing, so check once creation has finished.

## Checking your progress

Use **Check my progress** (or \`skillproof attempt check <attempt-id>\`) as you go: it shows the
visible checks, with a hint for each one that does not pass yet; the hint says where to look, never
the answer. When you are done, **submit**: the sandbox is frozen and graded once more.
`;

const graderTs = (id: string) => `import { defineGrader, fail, pass } from '../../src';
import { describeTable, judgeTableKey } from '../lib/dynamodb';

/** The table tasks/${id}/README.md asks for. */
const TABLE_NAME = 'items';

// Scaffolded by \`skillproof task new\`: an example grader to turn into your own (see graders/README.md).
export default defineGrader({
  task: '${id}',
  checks: [
    {
      // Passes when a DynamoDB table named items exists and serves requests (ACTIVE, or UPDATING).
      id: 'table-exists',
      title: 'Table items exists',
      points: 30,
      critical: true,
      hint: 'Create the table in the sandbox region with exactly the name the instructions give, and check again once it is active.',
      async run(ctx) {
        const table = await describeTable(ctx, TABLE_NAME);
        if (!table) return fail(\`no DynamoDB table named \${TABLE_NAME} in \${ctx.region}\`, { expected: \`table \${TABLE_NAME}\`, actual: 'none' });
        if (table.TableStatus !== 'ACTIVE' && table.TableStatus !== 'UPDATING') {
          return fail(\`table \${TABLE_NAME} is \${table.TableStatus ?? 'in no known state'}, so it cannot serve requests yet\`, { resource: table.TableArn, expected: 'ACTIVE', actual: table.TableStatus });
        }
        return pass(\`table \${TABLE_NAME} is \${table.TableStatus}\`, { resource: table.TableArn });
      },
    },
    {
      // Passes when the table's partition key is itemId (String) and it has no sort key.
      id: 'table-key-schema',
      title: 'Items are identified by itemId alone',
      points: 40,
      critical: true,
      dependsOn: ['table-exists'],
      hint: "Look at the table's primary key: the instructions name the one attribute that identifies an item, and its type.",
      run: (ctx) => judgeTableKey(ctx, TABLE_NAME, 'itemId', 'S'),
    },
    {
      // Passes when the table bills per request (BillingMode PAY_PER_REQUEST).
      id: 'table-on-demand',
      title: 'The table is billed on demand',
      points: 30,
      dependsOn: ['table-exists'],
      hint: "Look at the table's capacity mode: the instructions say how it should be billed.",
      async run(ctx) {
        const table = (await describeTable(ctx, TABLE_NAME))!;
        // DescribeTable leaves BillingModeSummary out for a table created without a billing mode: provisioned.
        const mode = table.BillingModeSummary?.BillingMode ?? 'PROVISIONED';
        const capacity = table.ProvisionedThroughput;
        if (mode !== 'PAY_PER_REQUEST') {
          return fail(\`table \${TABLE_NAME} uses provisioned capacity (\${capacity?.ReadCapacityUnits ?? '?'} read, \${capacity?.WriteCapacityUnits ?? '?'} write units)\`, { resource: table.TableArn, expected: 'PAY_PER_REQUEST', actual: mode });
        }
        return pass(\`table \${TABLE_NAME} is billed per request\`, { resource: table.TableArn, actual: mode });
      },
    },
  ],
});
`;

const solutionTs = (id: string, Solution: string) => `import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** Reference solution for ${id}: the table items, keyed by itemId (String), billed on demand. */
export class ${Solution} extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Items', {
      tableName: 'items',
      partitionKey: { name: 'itemId', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      // A sandbox is torn down after the attempt: nothing in it is worth keeping.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
`;

const solutionTestTs = (id: string, Solution: string) => `import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ${Solution} } from './${id}-solution';

describe('${id} reference solution', () => {
  const stack = new Stack(new App(), 'Solution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new ${Solution}(stack, 'Solution');
  const template = Template.fromStack(stack);

  it('creates table items keyed by itemId (String) alone, billed on demand', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'items',
      KeySchema: [{ AttributeName: 'itemId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'itemId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });
});
`;

const scenariosTs = (id: string) => `import { DescribeTableCommand, DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsError, FakeAccount } from '../../../src/testing/fake-account';
import { defineScenarios } from '../../../src/testing/scenarios';

// Scaffolded by \`skillproof task new ${id}\`: simulated accounts for the example grader. Each mutant
// changes one thing in the reference world. Record with \`skillproof grader record ${id}\`.

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const TABLE_ARN = \`arn:aws:dynamodb:\${REGION}:\${ACCOUNT}:table/items\`;

/** The table the reference solution (CDK, BillingMode.PAY_PER_REQUEST) leaves, as DescribeTable returns it. */
function referenceTable(): TableDescription {
  return {
    TableName: 'items',
    TableArn: TABLE_ARN,
    TableId: '4f1c2a7e-0000-4000-8000-000000000001',
    TableStatus: 'ACTIVE',
    CreationDateTime: new Date('2026-01-15T09:30:00.000Z'),
    KeySchema: [{ AttributeName: 'itemId', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'itemId', AttributeType: 'S' }],
    // On-demand tables report zero provisioned units.
    ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: new Date('2026-01-15T09:30:00.000Z') },
    TableSizeBytes: 0,
    ItemCount: 0,
    DeletionProtectionEnabled: false,
  };
}

/** An account holding \`table\` (or no table at all). */
function account(table: TableDescription | undefined): FakeAccount {
  return new FakeAccount(ACCOUNT, REGION)
    .on(STSClient, GetCallerIdentityCommand, () => ({ Account: ACCOUNT, Arn: \`arn:aws:sts::\${ACCOUNT}:assumed-role/SkillProofGrader/skillproof-fixture\`, UserId: 'AROAEXAMPLE:skillproof-fixture' }))
    .on(DynamoDBClient, DescribeTableCommand, ({ TableName }) => {
      if (!table || TableName !== table.TableName) throw awsError('ResourceNotFoundException', \`Requested resource not found: Table: \${TableName} not found\`, 400);
      return { Table: table };
    });
}

const world = (change: Partial<TableDescription> = {}) => () => account({ ...referenceTable(), ...change });

export default defineScenarios([
  { kind: 'pass', name: 'cdk-on-demand', description: 'The reference CDK solution: table items keyed by itemId (String), PAY_PER_REQUEST.', account: world() },
  {
    kind: 'alt',
    name: 'console-switched-to-on-demand',
    description: 'Created in the console as provisioned, then switched to on-demand, with deletion protection, a stream and a secondary index.',
    account: world({
      DeletionProtectionEnabled: true,
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      LatestStreamArn: \`\${TABLE_ARN}/stream/2026-01-15T09:30:00.000\`,
      LatestStreamLabel: '2026-01-15T09:30:00.000',
      AttributeDefinitions: [
        { AttributeName: 'itemId', AttributeType: 'S' },
        { AttributeName: 'category', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-category',
          IndexArn: \`\${TABLE_ARN}/index/by-category\`,
          IndexStatus: 'ACTIVE',
          KeySchema: [{ AttributeName: 'category', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
          ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
          IndexSizeBytes: 0,
          ItemCount: 0,
        },
      ],
    }),
  },
  { kind: 'alt', name: 'updating', description: 'The table is UPDATING (an index being added): it still serves requests.', account: world({ TableStatus: 'UPDATING' }) },
  { kind: 'fail', name: 'no-table', description: 'There is no table named items.', failing: ['table-exists'], account: () => account(undefined) },
  { kind: 'fail', name: 'still-creating', description: 'The table is still being created.', failing: ['table-exists'], account: world({ TableStatus: 'CREATING' }) },
  {
    kind: 'fail',
    name: 'sort-key',
    description: 'The table also has a sort key, so an item cannot be read by itemId alone.',
    failing: ['table-key-schema'],
    account: world({
      KeySchema: [
        { AttributeName: 'itemId', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'itemId', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ],
    }),
  },
  {
    kind: 'fail',
    name: 'numeric-key',
    description: 'itemId is a Number, not a String.',
    failing: ['table-key-schema'],
    account: world({ AttributeDefinitions: [{ AttributeName: 'itemId', AttributeType: 'N' }] }),
  },
  {
    kind: 'fail',
    name: 'provisioned-by-default',
    description: 'Created without a billing mode (the CDK Table default): provisioned at 5 read and 5 write units, and DescribeTable sends no BillingModeSummary.',
    failing: ['table-on-demand'],
    account: world({ BillingModeSummary: undefined, ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }),
  },
  {
    kind: 'fail',
    name: 'provisioned-explicitly',
    description: 'Created with billing mode PROVISIONED (the Terraform default), 1 read and 1 write unit.',
    failing: ['table-on-demand'],
    account: world({ BillingModeSummary: { BillingMode: 'PROVISIONED' }, ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }),
  },
  {
    kind: 'error',
    name: 'throttled',
    description: 'DescribeTable is throttled on every try: the run must be incomplete, not failed.',
    account: () => world()().failing(DynamoDBClient, DescribeTableCommand, 'ThrottlingException', 400, 'Rate exceeded'),
  },
  {
    kind: 'error',
    name: 'grader-access-denied',
    description: "The grader role may not describe the table: SkillProof's problem, never the candidate's.",
    account: () => world()().deniedToGrader(DynamoDBClient, DescribeTableCommand, 'AccessDeniedException', \`dynamodb:DescribeTable on resource: \${TABLE_ARN}\`),
  },
]);
`;
