/**
 * The one DynamoDB table behind `DynamoDbStore`, described as data so the CDK stack
 * (cdk/lib/service-stack.ts) and `ensureTable` (tests, local use) create the same table.
 *
 * Single-table design: every item has string keys `pk` and `sk`; two overloaded global secondary
 * indexes (`gsi1pk`/`gsi1sk`, `gsi2pk`/`gsi2sk`) serve the list queries; sessions carry `ttl`
 * (epoch seconds) so DynamoDB deletes them some time after they expire. docs/dynamodb-store.md
 * lists every item kind and its keys.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

export interface StoreIndexDefinition {
  indexName: string;
  partitionKey: string;
  sortKey: string;
}

export interface StoreTableDefinition {
  partitionKey: string;
  sortKey: string;
  /** All projected as ALL: list queries read whole records. */
  globalSecondaryIndexes: readonly StoreIndexDefinition[];
  timeToLiveAttribute: string;
  billingMode: 'PAY_PER_REQUEST';
}

export const STORE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  globalSecondaryIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
  timeToLiveAttribute: 'ttl',
  billingMode: 'PAY_PER_REQUEST',
} as const satisfies StoreTableDefinition;

/** The CreateTable request for `STORE_TABLE` (every key attribute is a string). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const keyNames = [STORE_TABLE.partitionKey, STORE_TABLE.sortKey, ...STORE_TABLE.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey])];
  return {
    TableName: tableName,
    BillingMode: STORE_TABLE.billingMode,
    AttributeDefinitions: keyNames.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: STORE_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: STORE_TABLE.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: STORE_TABLE.globalSecondaryIndexes.map((g) => ({
      IndexName: g.indexName,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: 'HASH' },
        { AttributeName: g.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

/**
 * Creates the table if it does not exist and waits until it is ACTIVE; an existing table is left
 * as it is (its key schema is checked, so a table of another application is not used by mistake).
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, options: { pollMs?: number; timeoutMs?: number } = {}): Promise<void> {
  const describe = async () => {
    try {
      return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    } catch (e) {
      if (e instanceof ResourceNotFoundException || (e as Error).name === 'ResourceNotFoundException') return undefined;
      throw e;
    }
  };
  let table = await describe();
  if (!table) {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (e) {
      if ((e as Error).name !== 'ResourceInUseException') throw e;
    }
    table = await describe();
  }
  const keys = (table?.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  if (table && keys !== `${STORE_TABLE.partitionKey}:HASH,${STORE_TABLE.sortKey}:RANGE`) {
    throw new Error(`DynamoDB table ${tableName} has key schema ${keys}, not SkillProof's (pk, sk); name another table.`);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (table?.TableStatus !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`DynamoDB table ${tableName} did not become ACTIVE in time (status ${table?.TableStatus ?? 'unknown'}).`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    table = await describe();
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: STORE_TABLE.timeToLiveAttribute, Enabled: true } }),
    );
  } catch (e) {
    // Already enabled (ValidationException), or an emulator without TTL: sessions also expire by their own time.
    if (!['ValidationException', 'UnknownOperationException'].includes((e as Error).name)) throw e;
  }
}
