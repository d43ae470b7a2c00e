/**
 * Reads and the item layout shared by the DynamoDB store's parts. Each record is one item: its
 * keys, the index attributes it is listed by, `type` (for the integrity scan), `appliedSeq` (the
 * audit entry that last wrote it) and `rec`, the record itself as JSON, so every field comes back
 * with its exact type and nulls.
 */
import { BatchGetItemCommand, BatchWriteItemCommand, GetItemCommand, QueryCommand, ScanCommand, type BatchGetItemCommandOutput, type DynamoDBClient, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { pad, toItem, type Item } from './marshal';

export interface Key {
  pk: string;
  sk: string;
}

/** Every item key the store uses; docs/dynamodb-store.md has the same table. */
export const keys = {
  meta: (name: string): Key => ({ pk: 'META', sk: name }),
  auditEntry: (seq: number): Key => ({ pk: 'AUDIT', sk: pad(seq) }),
  commitChunk: (txid: string, n: number): Key => ({ pk: `TX#${txid}`, sk: pad(n, 6) }),
  candidate: (id: string): Key => ({ pk: `CAND#${id}`, sk: '#' }),
  candidateEmail: (emailHash: string): Key => ({ pk: `CANDEMAIL#${emailHash}`, sk: '#' }),
  candidateSubject: (subjectId: string): Key => ({ pk: `CANDSUBJ#${subjectId}`, sk: '#' }),
  attempt: (id: string): Key => ({ pk: `ATT#${id}`, sk: '#' }),
  finalRun: (attemptId: string, round: number, taskId: string): Key => ({ pk: `ATT#${attemptId}`, sk: `RUN#F#${pad(round, 6)}#${taskId}` }),
  progressRun: (attemptId: string, runId: string): Key => ({ pk: `ATT#${attemptId}`, sk: `RUN#P#${runId}` }),
  runId: (runId: string): Key => ({ pk: `RUNID#${runId}`, sk: '#' }),
  allocation: (attemptId: string): Key => ({ pk: `ATT#${attemptId}`, sk: 'ALLOC' }),
  attemptCredential: (attemptId: string): Key => ({ pk: `ATT#${attemptId}`, sk: 'CRED' }),
  statusList: (listId: number): Key => ({ pk: 'SLIST', sk: pad(listId, 10) }),
  statusListUrl: (url: string): Key => ({ pk: `SLISTURL#${url}`, sk: '#' }),
  statusIndex: (listId: number, index: number): Key => ({ pk: `SLIST#${listId}`, sk: `IDX#${pad(index, 10)}` }),
  revocation: (listId: number, index: number): Key => ({ pk: `SLISTREV#${listId}`, sk: pad(index, 10) }),
  credential: (id: string): Key => ({ pk: `CRED#${id}`, sk: '#' }),
  badgeSettings: (credentialId: string): Key => ({ pk: `CRED#${credentialId}`, sk: 'BADGE' }),
  issuerKey: (kid: string): Key => ({ pk: 'ISSUERKEY', sk: kid }),
  adminToken: (id: string): Key => ({ pk: `ADMTOK#${id}`, sk: '#' }),
  adminTokenHash: (hash: string): Key => ({ pk: `ADMTOKHASH#${hash}`, sk: '#' }),
  accessCode: (id: string): Key => ({ pk: `ACODE#${id}`, sk: '#' }),
  accessCodeHash: (hash: string): Key => ({ pk: `ACODEHASH#${hash}`, sk: '#' }),
  session: (tokenHash: string): Key => ({ pk: `SESS#${tokenHash}`, sk: '#' }),
  programme: (id: string): Key => ({ pk: `PROG#${id}`, sk: '#' }),
  cohort: (id: string): Key => ({ pk: `COH#${id}`, sk: '#' }),
  group: (cohortId: string, groupId: string): Key => ({ pk: `COH#${cohortId}`, sk: `GRP#${groupId}` }),
  groupRef: (groupId: string): Key => ({ pk: `GRP#${groupId}`, sk: '#' }),
  member: (cohortId: string, candidateId: string): Key => ({ pk: `COH#${cohortId}`, sk: `MEM#${candidateId}` }),
  bulkRun: (id: string): Key => ({ pk: `BULK#${id}`, sk: '#' }),
  bulkItem: (runId: string, candidateId: string): Key => ({ pk: `BULK#${runId}`, sk: `ITEM#${candidateId}` }),
};

export type IndexName = 'gsi1' | 'gsi2';

/** Index attributes of one item: which list it appears in (`gsi1pk`/`gsi2pk`) and where (`…sk`). */
export interface IndexEntries {
  gsi1?: [string, string];
  gsi2?: [string, string];
  /** Epoch seconds after which DynamoDB may delete the item (sessions). */
  ttl?: number;
}

/** The item for one record. */
export function recordItem(key: Key, type: string, record: object, index: IndexEntries = {}): Item {
  return toItem({
    pk: key.pk,
    sk: key.sk,
    type,
    rec: JSON.stringify(record),
    gsi1pk: index.gsi1?.[0],
    gsi1sk: index.gsi1?.[1],
    gsi2pk: index.gsi2?.[0],
    gsi2sk: index.gsi2?.[1],
    ttl: index.ttl,
  });
}

export function recordOf<T>(item: Item): T {
  const rec = item.rec?.S;
  if (rec === undefined) throw new TypeError(`DynamoDB item ${item.pk?.S} / ${item.sk?.S} has no record ("rec")`);
  return JSON.parse(rec) as T;
}

/**
 * Committed images not yet applied to the table (CommitLog's entries whose writer is still applying
 * them), each carrying the `appliedSeq` of its entry: reads by key and partition see them as if
 * applied, so a decision never waits for, or repeats, another writer's application.
 */
export interface Overlay {
  /** The newest pending image of this item, if any. */
  item(key: Key): Item | undefined;
  /** The newest pending image of every item of this partition. */
  partition(pk: string): Item[];
}

/** The newer of the table's item and a pending image (by the audit entry that wrote each). */
function newer(table: Item | undefined, pending: Item | undefined): Item | undefined {
  if (!pending) return table;
  if (!table) return pending;
  return Number(table.appliedSeq?.N ?? -1) >= Number(pending.appliedSeq?.N) ? table : pending;
}

export class TableAccess {
  /** Set by CommitLog: committed changes it knows of that are not yet applied. */
  overlay: Overlay | undefined;

  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  /** Strongly consistent; committed changes not yet applied included (see Overlay). */
  async get(key: Key): Promise<Item | undefined> {
    return newer(await this.getApplied(key), this.overlay?.item(key));
  }

  /** The item as the table holds it now, without pending images (applying, compare-and-set outside the log). */
  async getApplied(key: Key): Promise<Item | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: toItem({ ...key }), ConsistentRead: true }));
    return out.Item;
  }

  /**
   * Several items by key in as few round trips as BatchGetItem allows (100 keys a request),
   * strongly consistent; answers in the order asked, undefined where there is no item.
   */
  async getMany(wanted: readonly Key[]): Promise<Array<Item | undefined>> {
    const found = new Map<string, Item>();
    const unique = [...new Map(wanted.map((k) => [keyId(k), k])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      let pending: Item[] | undefined = unique.slice(i, i + 100).map((k) => toItem({ ...k }));
      for (let round = 0; pending && pending.length > 0; round += 1) {
        if (round > 0) await pause(round);
        const out: BatchGetItemCommandOutput = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(keyId({ pk: String(item.pk?.S), sk: String(item.sk?.S) }), item);
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return wanted.map((k) => newer(found.get(keyId(k)), this.overlay?.item(k)));
  }

  /** Puts items unconditionally, 25 a request (BatchWriteItem), until none is left unprocessed. */
  async putMany(items: readonly Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let round = 0; pending.length > 0; round += 1) {
        if (round > 0) await pause(round);
        const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = (out.UnprocessedItems?.[this.tableName] ?? []).filter((r) => r.PutRequest?.Item).map((r) => ({ PutRequest: { Item: r.PutRequest!.Item! } }));
      }
    }
  }

  async getRecord<T>(key: Key): Promise<T | undefined> {
    const item = await this.get(key);
    return item && recordOf<T>(item);
  }

  /**
   * Every item of a partition (optionally with a sort-key prefix), strongly consistent, in sort-key
   * order; committed changes not yet applied included (see Overlay).
   */
  async partition(pk: string, skPrefix?: string, options: { after?: string; descending?: boolean; limit?: number } = {}): Promise<Item[]> {
    const items = await this.appliedPartition(pk, skPrefix, options);
    const pending = (this.overlay?.partition(pk) ?? []).filter((i) => {
      const sk = String(i.sk?.S);
      return skPrefix !== undefined ? sk.startsWith(skPrefix) : options.after === undefined || sk > options.after;
    });
    if (pending.length === 0) return items;
    // Images only add items or replace them (the log never deletes), so merging the first `limit` is exact.
    const merged = new Map(items.map((i) => [String(i.sk?.S), i]));
    for (const p of pending) merged.set(String(p.sk?.S), newer(merged.get(String(p.sk?.S)), p)!);
    // DynamoDB orders string sort keys by their UTF-8 bytes.
    const sorted = [...merged.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map(([, i]) => i);
    if (options.descending) sorted.reverse();
    return options.limit ? sorted.slice(0, options.limit) : sorted;
  }

  private async appliedPartition(pk: string, skPrefix: string | undefined, options: { after?: string; descending?: boolean; limit?: number }): Promise<Item[]> {
    const names: Record<string, string> = { '#pk': 'pk' };
    const values: Item = { ':pk': { S: pk } };
    let condition = '#pk = :pk';
    if (skPrefix !== undefined) {
      names['#sk'] = 'sk';
      values[':prefix'] = { S: skPrefix };
      condition += ' AND begins_with(#sk, :prefix)';
    } else if (options.after !== undefined) {
      names['#sk'] = 'sk';
      values[':after'] = { S: options.after };
      condition += ' AND #sk > :after';
    }
    return this.queryAll(
      {
        TableName: this.tableName,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ConsistentRead: true,
        ...(options.descending ? { ScanIndexForward: false } : {}),
        ...(options.limit ? { Limit: options.limit } : {}),
      },
      options.limit,
    );
  }

  /** Items listed under `pk` in a global secondary index (eventually consistent, as every GSI read is). */
  async index(index: IndexName, pk: string, range?: { upTo?: string }): Promise<Item[]> {
    const names: Record<string, string> = { '#pk': `${index}pk` };
    const values: Item = { ':pk': { S: pk } };
    let condition = '#pk = :pk';
    if (range?.upTo !== undefined) {
      names['#sk'] = `${index}sk`;
      values[':upTo'] = { S: range.upTo };
      condition += ' AND #sk <= :upTo';
    }
    return this.queryAll({
      TableName: this.tableName,
      IndexName: index,
      KeyConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  /** Every item of the table (integrity checks only). */
  async scan(): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.client.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async queryAll(input: QueryCommandInput, limit?: number): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.client.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start && (limit === undefined || items.length < limit));
    return items;
  }
}

const keyId = (k: Key): string => `${k.pk}\u0000${k.sk}`;

/** Unprocessed batch items are retried after a growing, jittered pause (AWS's advice for batch operations). */
function pause(round: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 10 * 2 ** round)));
}

export function isConditionalCheckFailed(e: unknown): boolean {
  return (e as Error | undefined)?.name === 'ConditionalCheckFailedException';
}
