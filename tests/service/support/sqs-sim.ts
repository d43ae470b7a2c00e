/**
 * An in-memory standard SQS queue with the delivery semantics the grading worker must survive, on a
 * virtual clock (no sleeps):
 *
 * - receive hides a message for the visibility timeout and gives a fresh receipt handle; a message
 *   not deleted in time is delivered again, with its receive count raised;
 * - a message received more than `maxReceiveCount` times moves to the dead-letter queue instead;
 * - order is not kept (each receive picks visible messages at random);
 * - at-least-once: a receive may leave the message visible so another consumer gets it at the same
 *   time, and a deleted message may come back later (its copy on another server);
 * - the Lambda poller's partial-batch rule: after the handler, the messages it did not name in
 *   `batchItemFailures` are deleted; a handler that throws returns the whole batch.
 *
 * The clock moves only when nothing is visible and nothing is in flight: it jumps to the next
 * message that becomes visible, which is when a real queue would deliver it.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

export interface SqsSimOptions {
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
  random: () => number;
  /** Chance a receive leaves the message visible too (a concurrent duplicate). */
  concurrentDuplicateRate?: number;
  /** Chance a deleted message comes back later. */
  lateDuplicateRate?: number;
  /** Chance the consumer dies after its handler returned, before deleting anything. */
  crashBeforeDeleteRate?: number;
  /** And, whatever the chance says, every nth batch's consumer dies so (a test that needs crashes gets them). */
  crashEveryNthBatch?: number;
}

interface Message {
  messageId: string;
  body: string;
  groupId?: string;
  receiveCount: number;
  visibleAt: number;
  receipt?: string;
  firstReceivedAt?: number;
}

export class SqsSimulation {
  now = 0;
  readonly dlq: Message[] = [];
  readonly counts = { sent: 0, received: 0, deleted: 0, concurrentDuplicates: 0, lateDuplicates: 0, redelivered: 0, crashes: 0, handlerBatches: 0 };
  private readonly messages = new Map<string, Message>();
  /** Late duplicates: copies that reappear after their message was deleted. */
  private readonly ghosts: Message[] = [];
  private inFlight = 0;
  private seq = 0;

  constructor(private readonly o: SqsSimOptions) {}

  send(body: string, groupId?: string): string {
    const messageId = `00000000-0000-4000-8000-${String(++this.seq).padStart(12, '0')}`;
    this.messages.set(messageId, { messageId, body, receiveCount: 0, visibleAt: this.now, ...(groupId ? { groupId } : {}) });
    this.counts.sent++;
    return messageId;
  }

  /** Batches handed to a consumer and not yet answered. */
  get inFlightBatches(): number {
    return this.inFlight;
  }

  /** Nothing left to deliver, now or later (the DLQ aside). */
  get drained(): boolean {
    return this.messages.size === 0 && this.ghosts.length === 0 && this.inFlight === 0;
  }

  receive(max: number): Message[] {
    for (let i = this.ghosts.length - 1; i >= 0; i--) {
      const ghost = this.ghosts[i]!;
      if (ghost.visibleAt <= this.now && !this.messages.has(ghost.messageId)) {
        this.messages.set(ghost.messageId, ghost);
        this.ghosts.splice(i, 1);
      }
    }
    const visible = [...this.messages.values()].filter((m) => m.visibleAt <= this.now);
    const out: Message[] = [];
    while (out.length < max && visible.length > 0) {
      const m = visible.splice(Math.floor(this.o.random() * visible.length), 1)[0]!;
      if (m.receiveCount >= this.o.maxReceiveCount) {
        this.messages.delete(m.messageId);
        this.dlq.push(m);
        continue;
      }
      m.receiveCount++;
      if (m.receiveCount > 1) this.counts.redelivered++;
      m.receipt = `${m.messageId}#${m.receiveCount}`;
      m.firstReceivedAt ??= this.now;
      if (this.o.random() < (this.o.concurrentDuplicateRate ?? 0)) this.counts.concurrentDuplicates++;
      else m.visibleAt = this.now + this.o.visibilityTimeoutMs;
      this.counts.received++;
      out.push({ ...m });
    }
    return out;
  }

  delete(receipt: string): void {
    const id = receipt.slice(0, receipt.indexOf('#'));
    const m = this.messages.get(id);
    if (!m) return;
    this.messages.delete(id);
    this.counts.deleted++;
    if (this.o.random() < (this.o.lateDuplicateRate ?? 0)) {
      this.counts.lateDuplicates++;
      this.ghosts.push({ ...m, visibleAt: this.now + this.o.visibilityTimeoutMs * (1 + this.o.random()) });
    }
  }

  /** When no consumer has anything to do: move the clock to the next delivery. Returns false when there is none. */
  advance(): boolean {
    if (this.inFlight > 0) return true;
    const next = Math.min(...[...this.messages.values(), ...this.ghosts].map((m) => m.visibleAt));
    if (!Number.isFinite(next)) return false;
    this.now = Math.max(this.now, next);
    return true;
  }

  /** One poll of a Lambda event source mapping: receive, invoke, delete what succeeded. Returns false when nothing was received. */
  async poll(handler: (event: SQSEvent) => Promise<SQSBatchResponse>, batchSize: number): Promise<boolean> {
    const batch = this.receive(batchSize);
    if (batch.length === 0) return false;
    this.inFlight++;
    this.counts.handlerBatches++;
    try {
      let failed: Set<string>;
      try {
        const response = await handler(toEvent(batch));
        failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      } catch {
        failed = new Set(batch.map((m) => m.messageId));
      }
      const nth = this.o.crashEveryNthBatch;
      if (this.o.random() < (this.o.crashBeforeDeleteRate ?? 0) || (nth !== undefined && this.counts.handlerBatches % nth === 0)) {
        this.counts.crashes++;
        return true;
      }
      for (const m of batch) if (!failed.has(m.messageId)) this.delete(m.receipt!);
      return true;
    } finally {
      this.inFlight--;
    }
  }
}

function toEvent(batch: Message[]): SQSEvent {
  return {
    Records: batch.map((m) => ({
      messageId: m.messageId,
      receiptHandle: m.receipt!,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: '0',
        SenderId: 'AROAEXAMPLE:skillproof-api',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? 0),
        ...(m.groupId ? { MessageGroupId: m.groupId } : {}),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:skillproof-grading',
      awsRegion: 'eu-west-1',
    })),
  };
}

/** A small deterministic PRNG (mulberry32), so a failing run can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
