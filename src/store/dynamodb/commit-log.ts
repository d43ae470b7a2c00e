/**
 * The audit log as the DynamoDB store's commit log. dynalite (and the store's own design goal of
 * single-item operations) rules out TransactWriteItems, so every mutation is made atomic like this:
 *
 *  1. Read the log's head h (cached; all entries up to h are applied) and decide the change from
 *     strongly consistent reads of the current state: validate (compare-and-set on a version,
 *     uniqueness, room in a status list) and compute the full new image of every item it writes.
 *  2. Commit: put audit entry h+1, carrying those item images, on the condition that no entry h+1
 *     exists. The entry's hash covers exactly the fields SqliteStore hashes, so verifyAuditChain
 *     agrees across backends; the carried writes are extra attributes outside the hash. If another
 *     writer took h+1, read the entries after h and start again at 1 with the new state: no
 *     decision is ever committed on a stale view, so the log is a serial history and every
 *     invariant checked in step 1 holds (no transactions needed). An entry read but not yet marked
 *     applied is being applied by its writer: its images overlay this process's reads (Overlay in
 *     table-access.ts) rather than being applied twice; one still unapplied a second later is rolled
 *     forward here. While other writers are busy, a writer reads on from its head before deciding.
 *  3. Apply each write as a conditional put: a new item only if absent, a changed item only if it
 *     was last written by an earlier entry (`appliedSeq` < this entry). Applying twice, or after a
 *     later entry, changes nothing, so anyone may roll an entry forward.
 *  4. Mark the entry applied (dropping the carried writes) and advance the head pointer item
 *     (`META/AUDIT_HEAD`, conditionally, only forwards).
 *
 * A crash between 2 and 4 leaves a committed entry whose change is not (fully) applied: the next
 * writer in any process finds it when its own commit conflicts, decides on it, and rolls it forward
 * once it is overdue; a process that starts, and `recover()` (called by integrityCheck and
 * verifyAuditChain), roll it forward at once. The head pointer only passes entries known applied.
 * A crash before 2 leaves nothing. Readers never see an uncommitted change; they can see a
 * committed change partly applied while it is being applied, or after a crash until a writer rolls
 * it forward or recover().
 *
 * Within one process, mutations queue behind each other (no retry storms); across processes they
 * race on the conditional put of the next entry.
 */
import { BatchWriteItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { auditHash, GENESIS_HASH } from '../audit-chain';
import { canonicalJson } from '../canonical-json';
import { ConstraintViolationError, StoreError } from '../errors';
import type { AuditEntry, AuditInput } from '../types';
import { pad, toItem, type Item } from './marshal';
import { isConditionalCheckFailed, keys, TableAccess, type Key, type Overlay } from './table-access';


/**
 * One item write carried by a commit: `create` refuses an existing item, `replace` overwrites an
 * older one. `once` is a create of an item that no later entry changes and nothing outside the log
 * writes or deletes (a grading run, a uniqueness claim, a status-index claim): every application of
 * its entry puts the same image, so it is put without a condition, 25 to a BatchWriteItem request.
 */
export interface Write {
  mode: 'create' | 'replace' | 'once';
  item: Item;
}

export interface CommitContext {
  /** The entry's number if this attempt to commit succeeds. */
  seq: number;
  /** The entry's time, also the change's timestamps. */
  at: string;
}

export type Decision<T> =
  /** Commit these writes with the audit entry (optionally with data added to it) and return `result`. */
  | { writes: Write[]; result: T; auditData?: Record<string, unknown> }
  /** Nothing to change (an idempotent repeat): return `result` without an entry. */
  | { unchanged: T };

interface Head {
  seq: number;
  hash: string;
}

/** Carried writes above this size go to separate chunk items (an item holds at most 400 KB). */
const INLINE_WRITES_BYTES = 300_000;
const CHUNK_BYTES = 300_000;
const APPLY_CONCURRENCY = 16;
const MAX_COMMIT_TRIES = 200;
/** Another writer's entry left unapplied this long (by this process's clock) is rolled forward here. */
const ROLL_FORWARD_AFTER_MS = 1000;


export function toAuditEntry(item: Item): AuditEntry {
  return {
    seq: Number(item.seq?.N),
    at: String(item.at?.S),
    actor: String(item.actor?.S),
    action: String(item.action?.S),
    subject: String(item.subject?.S),
    data: JSON.parse(item.data?.S ?? '{}') as Record<string, unknown>,
    prevHash: String(item.prevHash?.S),
    hash: String(item.hash?.S),
  };
}

/** An entry seen committed but not yet marked applied: its writer is (most likely) applying it now. */
interface Pending {
  writes: Write[];
  /** When this process first saw it unapplied (its own clock). */
  seenAt: number;
  /** The previous entry's hash: the head pointer may stop just before this entry. */
  prevHash: string;
}

export class CommitLog implements Overlay {
  private head: Head | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Entries up to the known head that are committed but not yet applied, by seq. */
  private readonly pending = new Map<number, Pending>();
  /** Their images, newest entry's per item, by pk and then sk: what reads see over the table (Overlay). */
  private images = new Map<string, Map<string, Item>>();
  /** Another writer took an entry this one tried to put, lately: read on from the head before deciding. */
  private contended = false;
  /** The highest head pointer this process has recorded or read. */
  private recorded = 0;

  constructor(
    private readonly access: TableAccess,
    private readonly now: () => Date,
    /** How long another writer may take to apply its entry before this process rolls it forward itself. */
    private readonly rollForwardAfterMs = ROLL_FORWARD_AFTER_MS,
  ) {
    access.overlay = this;
  }

  private get client(): DynamoDBClient {
    return this.access.client;
  }

  private get table(): string {
    return this.access.tableName;
  }

  item(key: Key): Item | undefined {
    return this.images.get(key.pk)?.get(key.sk);
  }

  partition(pk: string): Item[] {
    return [...(this.images.get(pk)?.values() ?? [])];
  }

  /** Decides and commits one change with its audit entry; see the module comment for the protocol. */
  async commit<T>(audit: AuditInput, decide: (ctx: CommitContext) => Promise<Decision<T>>): Promise<T> {
    return (await this.commitEntry(audit, decide)).result;
  }

  /** Appends an entry that changes nothing else, and returns it. */
  async append(audit: AuditInput): Promise<AuditEntry> {
    const { entry } = await this.commitEntry(audit, async () => ({ writes: [], result: undefined }));
    return entry!;
  }

  private async commitEntry<T>(audit: AuditInput, decide: (ctx: CommitContext) => Promise<Decision<T>>): Promise<{ result: T; entry?: AuditEntry }> {
    return this.exclusive(async () => {
      for (let tries = 0; tries < MAX_COMMIT_TRIES; tries += 1) {
        // While other writers are busy, the cached head is almost always stale by now: reading on from
        // it first costs one Query, where committing on it would cost a lost put, that Query and a
        // wasted decision. A read that finds nothing new ends it (a lone writer never pays it).
        if (tries === 0 && this.head && this.contended) {
          const before = this.head.seq;
          await this.catchUp();
          this.contended = this.head.seq > before;
        }
        const head = await this.knownHead();
        const at = this.now().toISOString();
        const decision = await decide({ seq: head.seq + 1, at });
        if ('unchanged' in decision) return { result: decision.unchanged };
        const entry = makeEntry(head, at, decision.auditData ? { ...audit, data: { ...audit.data, ...decision.auditData } } : audit);
        if (!(await this.put(entry, decision.writes))) {
          const seen = await this.catchUp();
          // Our own entry, whose answer was lost (a retried request, a dropped connection): committed,
          // so apply it as if the put had answered. Its hash covers the time to the millisecond, the
          // change's audit data and the previous entry, so another writer's entry does not share it.
          if (!seen.some((i) => Number(i.seq?.N) === entry.seq && i.hash?.S === entry.hash)) {
            this.contended = true;
            await backoff(tries);
            continue;
          }
        }
        try {
          await this.apply(entry.seq, decision.writes);
          this.settle([entry.seq]);
          if (entry.seq > (this.head?.seq ?? 0)) this.head = { seq: entry.seq, hash: entry.hash };
          // Both only after every write is applied; they touch different items, so at once. The head
          // pointer only passes entries known applied (see advanceHead).
          await Promise.all([decision.writes.length > 0 ? this.markApplied(entry.seq, undefined) : undefined, this.advanceHead()]);
        } catch (e) {
          // Committed but not (fully) applied: whoever writes next rolls it forward.
          this.forgetHead();
          throw e;
        }
        return { result: decision.result, entry };
      }
      throw new StoreError(`Gave up after ${MAX_COMMIT_TRIES} tries to append to the audit log of DynamoDB table ${this.table}: too many concurrent writers.`);
    });
  }

  /** Rolls forward every committed entry not yet applied, and returns the head. */
  async recover(): Promise<Head> {
    return this.exclusive(async () => {
      this.forgetHead();
      return this.knownHead();
    });
  }

  /** The recorded head pointer: every entry up to it is applied (it lags the last entry while entries are being applied). */
  async recordedHead(): Promise<Head | undefined> {
    const item = await this.access.getApplied(keys.meta('AUDIT_HEAD'));
    if (item) this.recorded = Math.max(this.recorded, Number(item.seq?.N));
    return item && { seq: Number(item.seq?.N), hash: String(item.hash?.S) };
  }

  private forgetHead(): void {
    this.head = undefined;
    this.recorded = 0;
    this.settle([...this.pending.keys()]);
  }

  /** A process that starts (or recovers) rolls forward every entry not applied: it cannot tell how long ago they were written. */
  private async knownHead(): Promise<Head> {
    if (!this.head) {
      this.head = (await this.recordedHead()) ?? { seq: 0, hash: GENESIS_HASH };
      await this.catchUp(true);
    }
    return this.head;
  }

  /**
   * Reads the entries after the known head (and those still pending), and returns them. An entry
   * not yet marked applied is normally being applied by its writer right now: its images overlay
   * this process's reads (so the next decision sees it) instead of being applied twice. One still
   * unapplied `rollForwardAfterMs` after this process first saw it, or any with `rollAll`, is rolled
   * forward here (its writer died, or is stuck), in order; so is one too large to carry inline.
   */
  private async catchUp(rollAll = false): Promise<Item[]> {
    const start = this.head ?? { seq: 0, hash: GENESIS_HASH };
    const from = Math.min(start.seq, ...[...this.pending.keys()].map((seq) => seq - 1));
    const later = await this.access.partition('AUDIT', undefined, { after: pad(from) });
    const now = this.now().getTime();
    let head = start;
    let rolled = false;
    for (const item of later) {
      const seq = Number(item.seq?.N);
      const known = this.pending.get(seq);
      if (item.applied?.BOOL === true) this.pending.delete(seq);
      else if (rollAll || !item.writes?.S || (known && now - known.seenAt >= this.rollForwardAfterMs)) {
        await this.apply(seq, await this.carriedWrites(item));
        await this.markApplied(seq, item);
        this.pending.delete(seq);
        rolled = true;
      } else if (!known) this.pending.set(seq, { writes: JSON.parse(item.writes.S) as Write[], seenAt: now, prevHash: String(item.prevHash?.S) });
      if (seq > head.seq) head = { seq, hash: String(item.hash?.S) };
    }
    this.settle([]);
    this.head = head;
    if (rolled) await this.advanceHead();
    return later;
  }

  /** Drops these entries from the pending ones (applied now) and rebuilds the overlay's images. */
  private settle(applied: readonly number[]): void {
    for (const seq of applied) this.pending.delete(seq);
    const images = new Map<string, Map<string, Item>>();
    for (const [seq, { writes }] of [...this.pending].sort(([a], [b]) => a - b)) {
      for (const w of writes) {
        const pk = String(w.item.pk?.S);
        const partition = images.get(pk) ?? new Map<string, Item>();
        partition.set(String(w.item.sk?.S), { ...w.item, appliedSeq: { N: String(seq) } });
        images.set(pk, partition);
      }
    }
    this.images = images;
  }

  private async put(entry: AuditEntry, writes: Write[]): Promise<boolean> {
    const carried = JSON.stringify(writes);
    const item: Item = toItem({
      ...keys.auditEntry(entry.seq),
      type: 'audit',
      seq: entry.seq,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      data: canonicalJson(entry.data),
      prevHash: entry.prevHash,
      hash: entry.hash,
      gsi1pk: `AUDSUBJ#${entry.subject}`,
      gsi1sk: pad(entry.seq),
    });
    if (writes.length === 0) item.applied = { BOOL: true };
    else if (Buffer.byteLength(carried) <= INLINE_WRITES_BYTES) item.writes = { S: carried };
    else {
      // Chunks first, under a fresh id: until the entry exists nothing refers to them.
      const txid = randomUUID();
      const chunks = splitBytes(carried, CHUNK_BYTES);
      for (const [n, chunk] of chunks.entries()) {
        await this.client.send(new PutItemCommand({ TableName: this.table, Item: toItem({ ...keys.commitChunk(txid, n), type: 'commit-chunk', data: chunk }) }));
      }
      item.txid = { S: txid };
      item.txChunks = { N: String(chunks.length) };
    }
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }

  private async carriedWrites(entry: Item): Promise<Write[]> {
    if (entry.writes?.S) return JSON.parse(entry.writes.S) as Write[];
    const txid = entry.txid?.S;
    if (!txid) return [];
    const chunks = await this.access.partition(`TX#${txid}`);
    if (chunks.length !== Number(entry.txChunks?.N)) {
      throw new StoreError(`Audit entry ${entry.seq?.N} in ${this.table} carries ${entry.txChunks?.N} chunks of its change but ${chunks.length} exist; the table was damaged.`);
    }
    return JSON.parse(chunks.map((c) => c.data?.S ?? '').join('')) as Write[];
  }

  private async apply(seq: number, writes: Write[]): Promise<void> {
    const once = writes.filter((w) => w.mode === 'once').map((w) => ({ ...w.item, appliedSeq: { N: String(seq) } }));
    const conditional = writes.filter((w) => w.mode !== 'once');
    let next = 0;
    const worker = async () => {
      while (next < conditional.length) {
        const write = conditional[next++]!;
        await this.applyOne(seq, write);
      }
    };
    await Promise.all([this.access.putMany(once), ...Array.from({ length: Math.min(APPLY_CONCURRENCY, conditional.length) }, worker)]);
  }

  private async applyOne(seq: number, write: Write): Promise<void> {
    const Item = { ...write.item, appliedSeq: { N: String(seq) } };
    try {
      await this.client.send(
        new PutItemCommand(
          write.mode === 'create'
            ? { TableName: this.table, Item, ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                TableName: this.table,
                Item,
                ConditionExpression: 'attribute_not_exists(appliedSeq) OR appliedSeq < :seq',
                ExpressionAttributeValues: { ':seq': { N: String(seq) } },
              },
        ),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      if (write.mode === 'replace') return; // a later entry (or this one, already) wrote it
      const existing = await this.access.getApplied({ pk: String(write.item.pk?.S), sk: String(write.item.sk?.S) });
      if (existing && Number(existing.appliedSeq?.N) >= seq) return;
      throw new ConstraintViolationError(
        'log-create',
        `audit entry ${seq} creates ${write.item.pk?.S} / ${write.item.sk?.S}, which already exists from entry ${existing?.appliedSeq?.N ?? 'outside the log'}`,
      );
    }
  }

  private async markApplied(seq: number, entry: Item | undefined): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: toItem({ ...keys.auditEntry(seq) }),
        UpdateExpression: 'SET applied = :t REMOVE writes, txid, txChunks',
        ExpressionAttributeValues: { ':t': { BOOL: true } },
      }),
    );
    const txid = entry?.txid?.S;
    if (txid) {
      const chunks = Number(entry.txChunks?.N);
      for (let n = 0; n < chunks; n += 25) {
        const batch = Array.from({ length: Math.min(25, chunks - n) }, (_, i) => ({ DeleteRequest: { Key: toItem({ ...keys.commitChunk(txid, n + i) }) } }));
        await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: batch } }));
      }
    }
  }

  /**
   * Moves the recorded head forwards (conditionally, never back) to the last entry before which
   * every entry is known applied: the known head, or the entry just before the oldest pending one.
   * The head means "all entries up to here are applied": a process starting reads on from it.
   */
  private async advanceHead(): Promise<void> {
    const oldest = Math.min(...this.pending.keys());
    const head = Number.isFinite(oldest) ? { seq: oldest - 1, hash: this.pending.get(oldest)!.prevHash } : this.head;
    // Nothing to say that this process has not recorded (or seen recorded) already.
    if (!head || head.seq <= this.recorded) return;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: toItem({ ...keys.meta('AUDIT_HEAD') }),
          UpdateExpression: 'SET seq = :seq, #hash = :hash',
          ConditionExpression: 'attribute_not_exists(seq) OR seq < :seq',
          ExpressionAttributeNames: { '#hash': 'hash' },
          ExpressionAttributeValues: { ':seq': { N: String(head.seq) }, ':hash': { S: head.hash } },
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e; // someone advanced it further already
    }
    this.recorded = Math.max(this.recorded, head.seq);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function makeEntry(head: Head, at: string, input: AuditInput): AuditEntry {
  const partial = {
    seq: head.seq + 1,
    at,
    actor: input.actor,
    action: input.action,
    subject: input.subject,
    data: JSON.parse(canonicalJson(input.data ?? {})) as Record<string, unknown>,
    prevHash: head.hash,
  };
  return { ...partial, hash: auditHash(partial) };
}

function splitBytes(text: string, size: number): string[] {
  const chunks: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of text) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > size) {
      chunks.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += b;
  }
  if (current) chunks.push(current);
  return chunks;
}

/** Another process won the race for the next entry: wait a little (jittered, growing) before trying again. */
function backoff(tries: number): Promise<void> {
  if (tries === 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** tries)));
}
