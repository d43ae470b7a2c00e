import { z } from 'zod';
import type { MiddlewareStack } from '@smithy/types';
import { kebabId } from './task';
import type { HttpProbe } from '../aws/http';

export const OUTCOMES = ['PASS', 'FAIL', 'ERROR', 'SKIPPED'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const VISIBILITIES = ['visible', 'on-submit', 'hidden'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** What a check decided, with the detail an assessor needs to audit it. */
export interface Verdict {
  outcome: 'PASS' | 'FAIL' | 'ERROR';
  /** Shown to the candidate (with the hint on FAIL): what was found, never the answer. */
  message: string;
  expected?: unknown;
  actual?: unknown;
  /** ARN (or other identifier) of the resource the verdict is about. */
  resource?: string;
}
type Detail = Pick<Verdict, 'expected' | 'actual' | 'resource'>;

export const pass = (message: string, detail: Detail = {}): Verdict => ({ outcome: 'PASS', message, ...detail });
/** The candidate's resources are wrong. Never use for "could not find out": that is `error`. */
export const fail = (message: string, detail: Detail = {}): Verdict => ({ outcome: 'FAIL', message, ...detail });
/** SkillProof could not tell (infrastructure trouble, an unexpected response). Makes the run incomplete. */
export const error = (message: string, detail: Detail = {}): Verdict => ({ outcome: 'ERROR', message, ...detail });

/** Any modular AWS SDK v3 client (`new LambdaClient(config)`). */
export interface AwsClient {
  middlewareStack: MiddlewareStack<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  send: (...args: never[]) => Promise<unknown>;
  destroy(): void;
}
export type AwsClientConstructor<C extends AwsClient> = new (config: Record<string, unknown>) => C;

export interface WaitOptions {
  /** Give up after this long (default 20 s). */
  timeoutMs?: number;
  /** First pause between tries; doubles up to 5 s (default 500 ms). */
  intervalMs?: number;
}

/** Everything a check may use. Clients come only from here, so every call is guarded and recorded. */
export interface CheckContext {
  client<C extends AwsClient>(ctor: AwsClientConstructor<C>): C;
  http: HttpProbe;
  /**
   * The run's probe nonce (16 hex digits): the attempt's part (the first 8, shared by all its runs, so
   * probe data is marked as the attempt's), then a random part of this run's. Recorded in the evidence
   * so a replay uses the same one.
   */
  nonce: string;
  attemptId: string;
  region: string;
  accountId: string;
  now(): Date;
  /**
   * Polls `probe` until it returns a value other than `undefined`, with backoff, until the deadline.
   * Reads inside are never memoised (each try is a fresh call, recorded).
   */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, options?: WaitOptions): Promise<T | undefined>;
  /** Computes a value once per grading run and shares it between checks (e.g. "the orders API"). */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
  signal: AbortSignal;
}

export interface CheckDefinition {
  id: string;
  title: string;
  points: number;
  critical?: boolean;
  dependsOn?: string[];
  visibility?: Visibility;
  /** Helps a candidate who failed the check, without giving the answer. */
  hint: string;
  timeoutMs?: number;
  run(ctx: CheckContext): Promise<Verdict>;
}

export interface GraderDefinition {
  /** The task this grader grades; the file must be graders/<track>/<task>.ts. */
  task: string;
  /**
   * Non-read operations the grader may perform, as `iam-prefix:Operation` (e.g. "sqs:SendMessage")
   * or `http:METHOD` for requests to the candidate's endpoints. Everything else must be a read.
   */
  probes?: string[];
  /**
   * Calls whose empty answer (`{}`) AWS sends in a normal situation this grader judges, as
   * `Service.Operation` the way fixtures record them: "S3.GetBucketVersioning" (a bucket never
   * versioned), "DynamoDB.GetItem" (no such item), "SQS.ReceiveMessage" (an empty queue). The
   * fault-injection suite then accepts a FAIL after an injected empty answer there; elsewhere a FAIL
   * after one is a false FAIL. (Listings — List*, an empty page meaning "none" — need no entry.)
   */
  validEmptyAnswers?: string[];
  checks: CheckDefinition[];
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' });

export const checkSchema = z.strictObject({
  id: kebabId,
  title: z.string().min(3).max(120),
  points: z.number().int().min(0).max(100),
  critical: z.boolean().default(false),
  dependsOn: z.array(kebabId).default([]),
  visibility: z.enum(VISIBILITIES).default('visible'),
  hint: z.string().min(10),
  timeoutMs: z.number().int().min(100).max(15 * 60 * 1000).default(30_000),
  run: fn,
});

export const graderSchema = z.strictObject({
  task: kebabId,
  probes: z
    .array(z.string().regex(/^([a-z0-9-]+:[A-Z][A-Za-z0-9]*|http:(GET|POST|PUT|PATCH|DELETE))$/, 'must be "iam-prefix:Operation" or "http:METHOD"'))
    .default([]),
  validEmptyAnswers: z
    .array(z.string().regex(/^[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*$/, 'must be "Service.Operation" as fixtures record it, e.g. "S3.GetBucketVersioning"'))
    .default([]),
  checks: z.array(checkSchema).min(1),
});

export type LoadedCheck = z.output<typeof checkSchema> & Pick<CheckDefinition, 'run'>;
export type LoadedGrader = Omit<z.output<typeof graderSchema>, 'checks'> & { checks: LoadedCheck[] };

/** Declares a grader plugin in `graders/<track>/<task-id>.ts`. Validation happens when the catalog loads it. */
export function defineGrader(grader: GraderDefinition): GraderDefinition {
  return grader;
}
