import { DescribeTableCommand, DynamoDBClient, GetResourcePolicyCommand, type TableDescription } from '@aws-sdk/client-dynamodb';
import { fail, pass, type CheckContext, type Verdict } from '../../src/model/grader';
import { orNotFound } from './aws-calls';

/** The table's description, or undefined when there is no such table. */
export function describeTable(ctx: CheckContext, TableName: string): Promise<TableDescription | undefined> {
  return ctx.memo(`table:${TableName}`, async () => (await orNotFound(ctx.client(DynamoDBClient).send(new DescribeTableCommand({ TableName }))))?.Table);
}

/**
 * The table's resource-based policy document, or undefined when it has none (DynamoDB answers
 * PolicyNotFoundException) or the table is gone. Any other failure propagates (ERROR).
 */
export function tableResourcePolicy(ctx: CheckContext, tableArn: string): Promise<string | undefined> {
  return ctx.memo(`table-policy:${tableArn}`, async () => {
    try {
      return (await orNotFound(ctx.client(DynamoDBClient).send(new GetResourcePolicyCommand({ ResourceArn: tableArn }))))?.Policy;
    } catch (err) {
      if ((err as { name?: unknown }).name === 'PolicyNotFoundException') return undefined;
      throw err;
    }
  });
}

/** The partition and sort key of a table, with their attribute types. */
export function keySchema(table: TableDescription): { partition?: { name: string; type?: string }; sort?: { name: string; type?: string } } {
  const typeOf = (name: string) => table.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
  const key = (kind: 'HASH' | 'RANGE') => {
    const name = table.KeySchema?.find((k) => k.KeyType === kind)?.AttributeName;
    return name ? { name, type: typeOf(name) } : undefined;
  };
  const partition = key('HASH');
  const sort = key('RANGE');
  return { ...(partition ? { partition } : {}), ...(sort ? { sort } : {}) };
}

/**
 * The verdict for "table `tableName` is keyed by `partitionKey` (of `type`) alone": FAIL when the
 * table is missing, keyed otherwise, or has a sort key (items could not be read by that key alone).
 */
export async function judgeTableKey(ctx: CheckContext, tableName: string, partitionKey: string, type: 'S' | 'N' | 'B' = 'S'): Promise<Verdict> {
  const table = await describeTable(ctx, tableName);
  if (!table) return fail(`no DynamoDB table named ${tableName} in ${ctx.region}`, { expected: `table ${tableName}`, actual: 'none' });
  const key = keySchema(table);
  const show = (k?: { name: string; type?: string }) => (k ? `${k.name} (${k.type})` : 'none');
  const detail = { expected: { partitionKey: `${partitionKey} (${type})`, sortKey: 'none' }, actual: { partitionKey: show(key.partition), sortKey: show(key.sort) }, resource: table.TableArn };
  if (key.partition?.name !== partitionKey || key.partition.type !== type) return fail(`the table's partition key is ${detail.actual.partitionKey}`, detail);
  if (key.sort) return fail(`the table also has a sort key (${detail.actual.sortKey}), so an item cannot be read by ${partitionKey} alone`, detail);
  return pass(`partition key ${partitionKey} (${{ S: 'String', N: 'Number', B: 'Binary' }[type]}), no sort key`, detail);
}
