/**
 * A small typed marshaller for the store's items (lib-dynamodb is not a dependency). Items hold only
 * flat scalars: a record itself is stored as one JSON string (`rec`, see table-access.ts), so
 * nested values, nulls and types come back exactly as written.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Scalar = string | number | boolean | null;
export type Item = Record<string, AttributeValue>;

/** `undefined` members are left out of the item. */
export function toItem(record: Record<string, Scalar | undefined>): Item {
  const item: Item = {};
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    item[name] = toAttribute(value);
  }
  return item;
}

export function toAttribute(value: Scalar): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value} in DynamoDB`);
    return { N: String(value) };
  }
  return { BOOL: value };
}

/** Fixed-width decimal so numbers sort as strings in sort keys. */
export const pad = (n: number, width = 12): string => String(n).padStart(width, '0');
