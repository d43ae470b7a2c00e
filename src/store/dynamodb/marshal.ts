/**
 * A small typed marshaller between plain records and DynamoDB items (lib-dynamodb is not a
 * dependency). Items hold only flat scalars: nested values (reports, sandboxes, credentials) are
 * stored as JSON strings, so they come back exactly as written.
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

/** Typed readers of one item; a missing or mistyped attribute is a damaged item, reported by name. */
export class ItemReader {
  constructor(private readonly item: Item) {}

  has(name: string): boolean {
    const v = this.item[name];
    return v !== undefined && !v.NULL;
  }

  str(name: string): string {
    const v = this.item[name]?.S;
    if (v === undefined) throw new TypeError(`DynamoDB item ${describeKey(this.item)} has no string attribute "${name}"`);
    return v;
  }

  strOrNull(name: string): string | null {
    return this.has(name) ? this.str(name) : null;
  }

  num(name: string): number {
    const v = this.item[name]?.N;
    if (v === undefined) throw new TypeError(`DynamoDB item ${describeKey(this.item)} has no number attribute "${name}"`);
    return Number(v);
  }

  numOrNull(name: string): number | null {
    return this.has(name) ? this.num(name) : null;
  }

  bool(name: string): boolean {
    return this.item[name]?.BOOL === true;
  }

  json<T>(name: string): T {
    return JSON.parse(this.str(name)) as T;
  }
}

export const read = (item: Item): ItemReader => new ItemReader(item);

export function describeKey(item: Item): string {
  return `${item.pk?.S ?? '?'} / ${item.sk?.S ?? '?'}`;
}

/** Fixed-width decimal so numbers sort as strings in sort keys. */
export const pad = (n: number, width = 12): string => String(n).padStart(width, '0');
