import { DescribeTableCommand, DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import type { CheckContext } from '../../src/model/grader';
import { orNotFound } from './aws-calls';

/** The table's description, or undefined when there is no such table. */
export function describeTable(ctx: CheckContext, TableName: string): Promise<TableDescription | undefined> {
  return ctx.memo(`table:${TableName}`, async () => (await orNotFound(ctx.client(DynamoDBClient).send(new DescribeTableCommand({ TableName }))))?.Table);
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
