import { AsyncLocalStorage } from 'node:async_hooks';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { canonicalJson, decodeValue, encodeValue, type Json } from '../evidence/canonical';
import { redact, redactText } from '../evidence/redact';
import type { AwsClient, AwsClientConstructor } from '../model/grader';
import { classifyFailure, GuardViolation, MalformedResponse, MissingRecordedCall, ModelCallBudgetExhausted, tagCall } from './errors';
import { responseShapeProblems } from './response-shape';
import type { Limiter } from '../engine/limit';
import { createHttpProbe, type HttpProbe } from './http';
import { actionKey, isModelCall, isReadAction, operationOfCommand, serviceOfClient } from './operations';

/** One AWS call (or HTTP probe) as the evidence keeps it. */
export interface CallRecord {
  seq: number;
  service: string;
  operation: string;
  input: Json;
  output?: Json;
  error?: RecordedError;
  requestId?: string;
  /** Which check made the call (absent for session set-up such as GetCallerIdentity). */
  check?: string;
  /** 1 for the first try; higher for retries after throttling or server errors. */
  try: number;
  durationMs: number;
}

export interface RecordedError {
  code: string;
  message: string;
  httpStatus?: number;
  fault?: 'client' | 'server';
}

/** Answers calls in simulate mode (fixture worlds); throw an AWS-shaped error to fail a call. */
export type Responder = (service: string, operation: string, input: unknown) => unknown;

export type SessionMode = 'live' | 'replay' | 'simulate';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

export interface SessionConfig {
  mode: SessionMode;
  region: string;
  attemptId: string;
  nonce: string;
  /** The run's clock: every check sees this time, so a replay judges as the original run did. */
  startedAt: Date;
  /** Non-read operations the grader declared (`iam-prefix:Operation` or `http:METHOD`). */
  probes: readonly string[];
  /** live: credentials for the clients (default: the SDK's standard chain). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** replay: the recorded calls to serve. */
  recorded?: readonly CallRecord[];
  /** simulate: answers calls. */
  responder?: Responder;
  retry?: RetryPolicy;
  /**
   * live/simulate: how many model calls (isModelCall; each try counts) this run may still make, for a
   * progress run of an attempt whose budget is partly spent. Absent: no limit (final runs, authors).
   * A refused call is recorded as a ModelCallBudgetExhausted error, so a replay refuses it too.
   */
  modelCallBudget?: number;
  /**
   * Live/simulate: every try of every AWS call (not HTTP probes, which reach the candidate's endpoint)
   * is sent through it: the sandbox account's rate bound. Replays call nothing and are not paced.
   */
  pace?: Limiter;
  /** Replay/simulate only: real delay added to each call, to make offline timings meaningful. */
  latencyMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

interface CallScope {
  session: GradingSession;
  check?: string;
  /** Inside waitFor: reads are sent every time, never served from the memo. */
  fresh: boolean;
  /** Sequence numbers of the recorded calls this scope used (including memo hits). */
  used: number[];
}

interface MemoEntry {
  promise: Promise<unknown>;
  seqs: number[];
}

/** One storage for every session: a storage per session is never released and slows every await. */
const SCOPE = new AsyncLocalStorage<CallScope>();

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A grading session: the one place graders get AWS clients and the HTTP probe from. Every call
 * passes, in order: the read-only guard, the per-run memo, retries with backoff, then the recorder
 * wrapped around the transport (the real service, a replayed transcript, or a simulated world).
 */
export class GradingSession {
  readonly transcript: CallRecord[] = [];
  readonly http: HttpProbe;
  private readonly probes: Set<string>;
  private readonly memo = new Map<string, MemoEntry>();
  private readonly clients = new Map<AwsClientConstructor<AwsClient>, AwsClient>();
  private readonly replay?: ReplayQueue;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private seq = 0;
  /** Model calls this run has sent (live/simulate), counted against `modelCallBudget`. */
  private modelCalls = 0;

  constructor(readonly config: SessionConfig) {
    this.probes = new Set(config.probes);
    this.retry = config.retry ?? DEFAULT_RETRY;
    this.sleep = config.sleep ?? (config.mode === 'live' ? realSleep : () => Promise.resolve());
    if (config.mode === 'replay') this.replay = new ReplayQueue(config.recorded ?? []);
    if (config.mode === 'simulate' && !config.responder) throw new Error('simulate mode needs a responder');
    this.http = createHttpProbe((method, input, live) => this.execute('HTTP', method, input, live));
  }

  get mode(): SessionMode {
    return this.config.mode;
  }

  /** A client of the given type, configured for the sandbox and wired through the session. */
  client<C extends AwsClient>(ctor: AwsClientConstructor<C>): C {
    const existing = this.clients.get(ctor as AwsClientConstructor<AwsClient>);
    if (existing) return existing as C;
    const live = this.config.mode === 'live';
    const client = new ctor({
      region: this.config.region,
      // Retries happen in the session, above the recorder, so each try is evidence and replays alike.
      maxAttempts: 1,
      ...(live
        ? this.config.credentials
          ? { credentials: this.config.credentials }
          : {}
        : {
            credentials: { accessKeyId: 'OFFLINE', secretAccessKey: 'OFFLINE' },
            // Offline, the session's middleware below answers every call at the first step, so the
            // stack resolved for a command type can be kept and reused (the SDK's own option; a
            // quarter of a replay's CPU went to resolving it again for every call). Not live: there
            // the later steps write per-request state (endpoint, auth scheme) into that context.
            cacheMiddleware: true,
          }),
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const service = serviceOfClient(String(context.clientName ?? 'Unknown'));
        const operation = operationOfCommand(String(context.commandName ?? 'Unknown'));
        const schema = (context as { __smithy_context?: { operationSchema?: unknown } }).__smithy_context?.operationSchema;
        const output = await this.execute(service, operation, args.input, async () => (await next(args)).output, schema);
        return { output, response: undefined };
      },
      { step: 'initialize', priority: 'high', name: 'skillproofSession', override: true },
    );
    this.clients.set(ctor as AwsClientConstructor<AwsClient>, client);
    return client;
  }

  /** Runs `fn` with its calls attributed to `check`; returns the sequence numbers it used. */
  async inCheck<T>(check: string, fn: () => Promise<T>): Promise<{ value: T; used: number[] }> {
    const scope: CallScope = { session: this, check, fresh: false, used: [] };
    const value = await SCOPE.run(scope, fn);
    return { value, used: [...new Set(scope.used)].sort((a, b) => a - b) };
  }

  /** Runs `fn` with memoisation off, so polled reads are really sent each time. */
  fresh<T>(fn: () => Promise<T>): Promise<T> {
    const outer = this.currentScope();
    const scope: CallScope = { session: this, check: outer?.check, fresh: true, used: outer?.used ?? [] };
    return SCOPE.run(scope, fn);
  }

  private currentScope(): CallScope | undefined {
    const scope = SCOPE.getStore();
    return scope?.session === this ? scope : undefined;
  }

  async sleepFor(ms: number): Promise<void> {
    await this.sleep(ms);
  }

  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }

  /** The pipeline every call goes through. `live` performs the real call in live mode. */
  async execute(service: string, operation: string, rawInput: unknown, live: () => Promise<unknown>, schema?: unknown): Promise<unknown> {
    const action = actionKey(service, operation);
    const read = isReadAction(action);
    if (!read && !this.probes.has(action)) throw new GuardViolation(action);

    const input = redact(encodeValue(rawInput));
    const scope = this.currentScope();
    const memoKey = `${service}.${operation} ${canonicalJson(input)}`;
    const memoisable = read && !scope?.fresh;
    if (memoisable) {
      const hit = this.memo.get(memoKey);
      if (hit) {
        scope?.used.push(...hit.seqs);
        return hit.promise;
      }
    }
    const seqs: number[] = [];
    // A simulated world, like AWS, is sent the request as the grader made it; only the record is redacted.
    const sent = this.config.mode === 'simulate' ? encodeValue(rawInput) : input;
    const promise = this.withRetry(service, operation, input, sent, live, scope, seqs, schema).catch((err: unknown) => {
      tagCall(err, `${service}.${operation}`);
      throw err;
    });
    if (memoisable) this.memo.set(memoKey, { promise, seqs });
    return promise;
  }

  private async withRetry(
    service: string,
    operation: string,
    input: Json,
    sentInput: Json,
    live: () => Promise<unknown>,
    scope: CallScope | undefined,
    seqs: number[],
    schema: unknown,
  ): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await this.once(service, operation, input, sentInput, live, scope, seqs, attempt);
        const problems = responseShapeProblems(schema, output, 5, `${service}.${operation}`);
        if (problems.length > 0) throw new MalformedResponse(`${service}.${operation}`, problems);
        return output;
      } catch (err) {
        const failure = classifyFailure(err);
        if (!failure.retryable || attempt >= this.retry.maxAttempts || err instanceof MissingRecordedCall) throw err;
        const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        await this.sleep(Math.round(cap / 2 + (Math.random() * cap) / 2));
      }
    }
  }

  private async once(
    service: string,
    operation: string,
    input: Json,
    sentInput: Json,
    live: () => Promise<unknown>,
    scope: CallScope | undefined,
    seqs: number[],
    attempt: number,
  ): Promise<unknown> {
    const seq = ++this.seq;
    seqs.push(seq);
    scope?.used.push(seq);
    const started = Date.now();
    const record: CallRecord = { seq, service, operation, input, try: attempt, durationMs: 0 };
    if (scope?.check) record.check = scope.check;
    this.transcript.push(record);
    if (this.config.mode !== 'live' && this.config.latencyMs) await realSleep(this.config.latencyMs);
    try {
      const budget = this.config.modelCallBudget;
      if (this.config.mode !== 'replay' && budget !== undefined && isModelCall(actionKey(service, operation))) {
        if (this.modelCalls >= budget) throw new ModelCallBudgetExhausted(budget);
        this.modelCalls++;
      }
      // What the grader judges: AWS's answer as sent (live, simulate) or as stored (replay). Only the
      // stored copy is redacted, and redaction keeps every key and type, so the two judge alike.
      let sent: Json;
      if (this.config.mode === 'replay') {
        const recorded = this.replay!.next(service, operation, input);
        if (recorded.requestId) record.requestId = recorded.requestId;
        if (recorded.error) throw rebuildError(recorded.error, recorded.requestId);
        sent = recorded.output ?? {};
        record.output = sent;
      } else {
        const send = async () =>
          this.config.mode === 'live' ? drainStreams(await live()) : drainStreams(await this.config.responder!(service, operation, decodeValue(sentInput)));
        const raw = this.config.pace && service !== 'HTTP' ? await this.config.pace(send) : await send();
        const { $metadata, ...rest } = (raw ?? {}) as { $metadata?: { requestId?: string } };
        if ($metadata?.requestId) record.requestId = $metadata.requestId;
        sent = encodeValue(rest);
        record.output = redact(sent);
      }
      return { ...(decodeValue(sent) as object), $metadata: { requestId: record.requestId, attempts: attempt } };
    } catch (err) {
      if (err instanceof MissingRecordedCall) {
        record.error = { code: 'MissingRecordedCall', message: err.message };
        throw err;
      }
      const f = classifyFailure(err);
      const meta = (err as { $metadata?: { requestId?: string } }).$metadata;
      if (meta?.requestId) record.requestId = meta.requestId;
      record.error = {
        code: f.code,
        message: redactText(f.message),
        ...(f.httpStatus !== undefined ? { httpStatus: f.httpStatus } : {}),
        ...(f.kind === 'server' || f.kind === 'throttling' ? { fault: 'server' as const } : { fault: 'client' as const }),
      };
      throw err;
    } finally {
      record.durationMs = this.config.mode === 'live' ? Date.now() - started : 0;
    }
  }
}

/**
 * Reads streaming members of a response (InvokeAgent's event stream, a blob body) to the end, so
 * they can be recorded: event streams become arrays (still `for await`-able), blobs byte arrays.
 *
 * A stream can end in an exception event after the call itself succeeded (HTTP 200): the SDK throws
 * it while iterating (@smithy/core getMessageUnmarshaller, `:message-type` "exception"). Such an
 * exception was raised by whatever the service ran for the caller (InvokeAgent: the candidate's agent,
 * with its own role), not by the caller's request, so it is kept as what the stream carried: the last
 * event, as its union member (`{ accessDeniedException: { message } }`, the ResponseStream shape).
 * Retryable ones (throttling, server faults) still propagate, so the session retries the call as before.
 */
export async function drainStreams(output: unknown): Promise<unknown> {
  if (output === null || typeof output !== 'object') return output;
  const out: Record<string, unknown> = { ...(output as Record<string, unknown>) };
  for (const [key, value] of Object.entries(out)) {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date || Array.isArray(value)) continue;
    const blob = value as { transformToByteArray?: () => Promise<Uint8Array> };
    if (typeof blob.transformToByteArray === 'function') {
      out[key] = await blob.transformToByteArray();
    } else if (typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      const events: unknown[] = [];
      try {
        for await (const event of value as AsyncIterable<unknown>) events.push(event);
      } catch (err) {
        const event = streamExceptionEvent(err);
        if (!event) throw err;
        events.push(event);
      }
      out[key] = events;
    }
  }
  return out;
}

/**
 * The union member a modelled, non-retryable stream exception stands for (`AccessDeniedException` →
 * `{ accessDeniedException: { message } }`, with the exception's other modelled text members such as
 * `resourceName`), or undefined for anything else: a network error, an unmodelled error message,
 * throttling or a server fault.
 */
function streamExceptionEvent(err: unknown): Record<string, Record<string, string>> | undefined {
  if (!(err instanceof Error) || (err as { $fault?: unknown }).$fault === undefined) return undefined;
  if (classifyFailure(err).retryable || !/^[A-Z][A-Za-z]*Exception$/.test(err.name)) return undefined;
  const members: Record<string, string> = { message: err.message };
  for (const [k, v] of Object.entries(err)) {
    if (typeof v === 'string' && !k.startsWith('$') && !['name', 'message', 'Message', 'stack'].includes(k)) members[k] = v;
  }
  return { [err.name[0]!.toLowerCase() + err.name.slice(1)]: members };
}

/** An AWS-shaped error rebuilt from the evidence, so graders see what they saw live. */
export function rebuildError(e: RecordedError, requestId?: string): Error {
  const err = new Error(e.message) as Error & { $fault: string; $metadata: object };
  err.name = e.code;
  err.$fault = e.fault ?? 'client';
  err.$metadata = { httpStatusCode: e.httpStatus, requestId };
  return err;
}

/**
 * Serves recorded calls by service, operation and exact input. Identical calls are served in the
 * order recorded (a poll that first saw nothing, then the item); the last one is served again
 * to any further identical call, so "throttled for ever" is one recorded error.
 */
class ReplayQueue {
  private readonly queues = new Map<string, CallRecord[]>();
  constructor(records: readonly CallRecord[]) {
    for (const r of [...records].sort((a, b) => a.seq - b.seq)) {
      const key = `${r.service}.${r.operation} ${canonicalJson(r.input)}`;
      const q = this.queues.get(key) ?? [];
      q.push(r);
      this.queues.set(key, q);
    }
  }
  next(service: string, operation: string, input: Json): CallRecord {
    const key = `${service}.${operation} ${canonicalJson(input)}`;
    const q = this.queues.get(key);
    if (!q || q.length === 0) throw new MissingRecordedCall(`${service}.${operation}`, canonicalJson(input));
    return q.length > 1 ? q.shift()! : q[0]!;
  }
}
