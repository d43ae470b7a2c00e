/**
 * The attempt lifecycle's task functions (cdk/lib/service-stack.ts, state machine AttemptLifecycle),
 * one Lambda function dispatching on `action`. Each action is idempotent: Step Functions retries a
 * step after a timeout or a transient error, and a retried step finds its work done and says so.
 *
 * Errors: a transient one (throttling, a 5xx, a store race) is thrown as `TransientError`, which the
 * state machine retries; anything else goes to RecordIncomplete, which marks the attempt for an
 * administrator. A candidate's result is never decided here by an infrastructure failure.
 */
import type { AttemptService } from '../../attempts/attempt-service';
import type { Catalog } from '../../catalog/load';
import type { Issuer } from '../../credentials/issuer-keys';
import type { AttemptRecord, RunStatus, Store } from '../../store/types';
import type { SubmitTokens } from '../lifecycle-callbacks';

export type LifecycleEvent =
  | { action: 'deploy' | 'settle' | 'freeze' | 'finalize' | 'issue'; attemptId: string }
  | { action: 'await-submit'; attemptId: string; taskToken: string }
  | { action: 'incomplete'; attemptId: string; error?: { Error?: string; Cause?: string } };

/** What the state machine routes on ($.attempt). */
export interface AttemptProgress {
  attemptId: string;
  state: AttemptRecord['state'];
  kind: AttemptRecord['kind'];
  result: RunStatus | null;
  /** When the candidate's time ends (seconds precision, as a Wait state's TimestampPath takes it). */
  expiresAt: string | null;
  /** Whole seconds until then, at least 1 (a task's TimeoutSecondsPath must be a positive integer). */
  secondsLeft: number;
}

/** What the final grading map iterates over ($.final). */
export interface FinalRound {
  round: number;
  accountId: string;
  taskIds: string[];
}

export interface LifecycleDependencies {
  store(): Promise<Store>;
  catalog(): Catalog;
  /** Deploys the attempt's sandbox (idempotent: an existing, complete sandbox stack is left as is). */
  deploySandbox(attempt: AttemptRecord): Promise<void>;
  /** Attaches the deny-all to the candidate role (idempotent). */
  freezeSandbox(attempt: AttemptRecord): Promise<void>;
  /** The issuer's signing key; undefined when the service has none (the credential is then issued by an admin). */
  issuer(): Promise<Issuer | undefined>;
  submitTokens(): SubmitTokens;
  /** Ends the wait of a task (the submit wait, when the attempt is no longer open). */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  now(): Date;
}

const ACTOR = 'lifecycle';

/** Thrown for failures worth retrying; the state machine's Retry names this error. */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** A step that cannot go on with this attempt as it is (not worth retrying). */
export class LifecycleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LifecycleError';
  }
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'ConcurrentModificationError',
  'TimeoutError',
  'ECONNRESET',
  'ETIMEDOUT',
]);

/** Whether `e` is a failure that may well not happen again: throttling, a 5xx, a network blip, a store race. */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const meta = (e as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string }).$metadata;
  if ((e as { $retryable?: unknown }).$retryable) return true;
  if (meta?.httpStatusCode !== undefined && meta.httpStatusCode >= 500) return true;
  if (e.name === 'SandboxError' && (e as { code?: string }).code === 'timeout') return true;
  return TRANSIENT_NAMES.has(e.name) || TRANSIENT_NAMES.has((e as { code?: string }).code ?? '');
}

function secondsPrecision(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function createLifecycleHandler(deps: LifecycleDependencies): (event: LifecycleEvent) => Promise<unknown> {
  const attempts = async (): Promise<AttemptService> => {
    const { AttemptService: Service } = require('../../attempts/attempt-service') as typeof import('../../attempts/attempt-service'); // eslint-disable-line @typescript-eslint/no-require-imports
    return new Service({
      store: await deps.store(),
      // Final runs are graded by the worker and recorded before RecordResult runs; a task without
      // its run here was not graded, and the attempt must not be decided without it.
      grade: (req) => Promise.reject(new LifecycleError(`task ${req.taskId} of attempt ${req.attemptId} has no final run recorded: the grading job did not record one`)),
      freeze: deps.freezeSandbox,
      now: deps.now,
    });
  };

  const load = async (attemptId: string): Promise<AttemptRecord> => {
    const attempt = await (await deps.store()).getAttempt(attemptId);
    if (!attempt) throw new LifecycleError(`no attempt "${attemptId}" in the store`);
    return attempt;
  };

  const progress = (attempt: AttemptRecord): AttemptProgress => {
    const expiresAt = attempt.expiresAt ? secondsPrecision(attempt.expiresAt) : null;
    const left = expiresAt ? Math.ceil((Date.parse(expiresAt) - deps.now().getTime()) / 1000) : 1;
    return { attemptId: attempt.id, state: attempt.state, kind: attempt.kind, result: attempt.result, expiresAt, secondsLeft: Math.max(1, left) };
  };

  const actions = {
    /** The sandbox of an attempt the candidate has started (the clock runs: expiresAt is set). */
    async deploy(event: { attemptId: string }): Promise<AttemptProgress> {
      const attempt = await load(event.attemptId);
      if (attempt.state === 'active') {
        if (!attempt.expiresAt) throw new LifecycleError(`attempt ${attempt.id} has no time limit; the service runs attempts with one (the sandbox freezes at its end)`);
        await deps.deploySandbox(attempt);
      }
      return progress(attempt);
    },

    /** Keeps the wait's task token; if the attempt is no longer open, ends the wait at once. */
    async 'await-submit'(event: { attemptId: string; taskToken: string }): Promise<{ waiting: boolean }> {
      const before = await load(event.attemptId);
      const tokens = deps.submitTokens();
      await tokens.put(before.id, event.taskToken, before.expiresAt ? new Date(before.expiresAt) : deps.now());
      // Read after writing: a submit that came before the token was kept still ends the wait here.
      const attempt = await load(event.attemptId);
      if (attempt.state === 'active') return { waiting: true };
      const token = await tokens.take(attempt.id);
      if (token) await deps.sendTaskSuccess(token, { attemptId: attempt.id, state: attempt.state });
      return { waiting: false };
    },

    /** After the wait: expires an attempt whose time is up, and says where it stands. */
    async settle(event: { attemptId: string }): Promise<AttemptProgress> {
      return progress(await (await attempts()).expireIfOverdue(event.attemptId));
    },

    /** Freezes the sandbox before the final grading, and records it; what the grading map iterates over. */
    async freeze(event: { attemptId: string }): Promise<FinalRound> {
      let attempt = await load(event.attemptId);
      if (!attempt.frozenAt) {
        await deps.freezeSandbox(attempt);
        const store = await deps.store();
        attempt = await store.updateAttempt(
          { attemptId: attempt.id, expectedVersion: attempt.version, patch: { frozenAt: deps.now().toISOString() } },
          { actor: ACTOR, action: 'attempt.frozen', subject: attempt.id, data: { sandbox: attempt.sandbox.kind } },
        );
      }
      return { round: attempt.finalRound, accountId: attempt.sandbox.kind === 'aws' ? attempt.sandbox.accountId : 'replay', taskIds: attempt.taskIds };
    },

    /** Records the result from the final runs the worker recorded (the assessment's own pass rule). */
    async finalize(event: { attemptId: string }): Promise<AttemptProgress> {
      const attempt = await load(event.attemptId);
      if (attempt.state !== 'submitted') return progress(attempt);
      const rule = await ruleFor(attempt);
      return progress(await (await attempts()).submit(attempt.id, { actor: ACTOR, rule }));
    },

    /** The credential of a passed assessment attempt, once; without an issuer key, an admin issues it later. */
    async issue(event: { attemptId: string }): Promise<{ issued: boolean; credentialId?: string; reason?: string }> {
      const attempt = await load(event.attemptId);
      const store = await deps.store();
      const existing = await store.getCredentialByAttempt(attempt.id);
      if (existing) return { issued: true, credentialId: existing.id };
      if (attempt.kind !== 'assessment' || attempt.state !== 'graded' || attempt.result !== 'passed') {
        return { issued: false, reason: `attempt is ${attempt.state}${attempt.result ? ` (${attempt.result})` : ''}, not a passed assessment` };
      }
      const issuer = await deps.issuer();
      if (!issuer) {
        await store.appendAudit({ actor: ACTOR, action: 'credential.issue-deferred', subject: attempt.id, data: { reason: 'no issuer key in the service, or no issuer id for it' } });
        return { issued: false, reason: 'no issuer key in the service, or no issuer id for it; an administrator issues the credential once one is configured' };
      }
      const { issueCredential } = require('../../credentials/issue') as typeof import('../../credentials/issue'); // eslint-disable-line @typescript-eslint/no-require-imports
      const { assessmentIssuance } = require('../../credentials/assessment-achievement') as typeof import('../../credentials/assessment-achievement'); // eslint-disable-line @typescript-eslint/no-require-imports
      const { credential } = await issueCredential(
        { store, issuer, now: deps.now, actor: ACTOR, ...assessmentIssuance(deps.catalog().assessment(attempt.targetId)) },
        attempt.id,
      );
      return { issued: true, credentialId: credential.id };
    },

    /**
     * A step failed for good. A submitted attempt is graded incomplete (an administrator can re-run
     * it; never failed); any other is left as it is, with the failure in its audit log.
     */
    async incomplete(event: { attemptId: string; error?: { Error?: string; Cause?: string } }): Promise<{ recorded: 'graded-incomplete' | 'audit' }> {
      const store = await deps.store();
      const attempt = await store.getAttempt(event.attemptId);
      const error = { error: event.error?.Error ?? 'unknown', cause: (event.error?.Cause ?? '').slice(0, 2000) };
      if (attempt?.state === 'submitted') {
        await store.updateAttempt(
          { attemptId: attempt.id, expectedVersion: attempt.version, patch: { state: 'graded', result: 'incomplete', gradedAt: deps.now().toISOString() } },
          { actor: ACTOR, action: 'attempt.graded', subject: attempt.id, data: { from: 'submitted', to: 'graded', result: 'incomplete', round: attempt.finalRound, ...error } },
        );
        return { recorded: 'graded-incomplete' };
      }
      await store.appendAudit({ actor: ACTOR, action: 'attempt.lifecycle-incomplete', subject: event.attemptId, data: { state: attempt?.state ?? 'missing', ...error } });
      return { recorded: 'audit' };
    },
  };

  async function ruleFor(attempt: AttemptRecord) {
    const { assessmentRule } = require('../../attempts/assessment-rule') as typeof import('../../attempts/assessment-rule'); // eslint-disable-line @typescript-eslint/no-require-imports
    const { everyTaskMustPass } = require('../../attempts/types') as typeof import('../../attempts/types'); // eslint-disable-line @typescript-eslint/no-require-imports
    return attempt.kind === 'assessment' ? assessmentRule(deps.catalog().assessment(attempt.targetId)) : everyTaskMustPass;
  }

  return async (event) => {
    const action = actions[event.action as keyof typeof actions] as ((e: LifecycleEvent) => Promise<unknown>) | undefined;
    if (!action) throw new LifecycleError(`unknown lifecycle action "${event.action}"`);
    try {
      return await action(event);
    } catch (e) {
      if (isTransient(e) && !(e instanceof TransientError)) throw new TransientError(`${event.action} of attempt ${event.attemptId}: ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
      throw e;
    }
  };
}

/** The deployed function: the store, sandboxes and Step Functions from the environment the stack sets. */
export function defaultLifecycleDependencies(env: NodeJS.ProcessEnv = process.env): LifecycleDependencies {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { serviceStore } = require('./store') as typeof import('./store');
  const { SERVICE_ENV } = require('../jobs') as typeof import('../jobs');
  const { SERVICE_STACK_ENV } = require('../stack-contract') as typeof import('../stack-contract');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const region = env.AWS_REGION ?? '';
  const pool = (): string[] => (require('../../sandbox/session') as typeof import('../../sandbox/session')).parsePool(env[SERVICE_STACK_ENV.sandboxPool]); // eslint-disable-line @typescript-eslint/no-require-imports
  const adminRoleName = env[SERVICE_STACK_ENV.adminRoleName];
  const target = (attempt: AttemptRecord) => {
    if (attempt.sandbox.kind !== 'aws') return undefined;
    return { attemptId: attempt.id, accountId: attempt.sandbox.accountId, region, pool: pool(), ...(adminRoleName ? { adminRoleName } : {}) };
  };
  let catalog: Catalog | undefined;
  const serviceCatalog = (): Catalog => (catalog ??= (require('../../catalog/service-catalog') as typeof import('../../catalog/service-catalog')).serviceCatalog()); // eslint-disable-line @typescript-eslint/no-require-imports
  let sfn: import('@aws-sdk/client-sfn').SFNClient | undefined;
  let tokens: SubmitTokens | undefined;
  return {
    store: () => serviceStore(env),
    catalog: serviceCatalog,
    now: () => new Date(),
    async deploySandbox(attempt) {
      const where = target(attempt);
      if (!where || attempt.sandbox.kind !== 'aws') return;
      const { synthSandbox } = require('../../sandbox/synth') as typeof import('../../sandbox/synth'); // eslint-disable-line @typescript-eslint/no-require-imports
      const { deploySandbox } = require('../../sandbox/deploy') as typeof import('../../sandbox/deploy'); // eslint-disable-line @typescript-eslint/no-require-imports
      // Task definitions from the service's catalog (a bundle has no tasks/ folder to look ids up in).
      const tasks = attempt.taskIds.map((id) => serviceCatalog().get(id).task);
      const synth = synthSandbox(tasks, attempt.id, undefined, {
        externalId: attempt.sandbox.externalId,
        ...(env[SERVICE_STACK_ENV.graderPrincipal] ? { graderPrincipalArn: env[SERVICE_STACK_ENV.graderPrincipal] } : {}),
        timeLimitMinutes: Math.max(1, Math.ceil((attempt.timeLimitSeconds ?? 60) / 60)),
      });
      try {
        const deployed = await deploySandbox({ ...where, template: synth.template, accountQuotas: synth.accountQuotas, freezeAt: new Date(attempt.expiresAt!) });
        if (deployed.outputs.graderRoleArn !== attempt.sandbox.roleArn) {
          throw new LifecycleError(`the sandbox's grader role is ${deployed.outputs.graderRoleArn}, but attempt ${attempt.id} names ${attempt.sandbox.roleArn}`);
        }
      } catch (e) {
        // A retried step finds the stack it created: done, if CloudFormation finished it.
        if (!(e instanceof Error && e.name === 'SandboxError' && (e as { code?: string }).code === 'already-exists' && / \(CREATE_COMPLETE\)/.test(e.message))) throw e;
      }
    },
    async freezeSandbox(attempt) {
      const where = target(attempt);
      if (!where) return;
      const { freezeSandbox } = require('../../sandbox/operations') as typeof import('../../sandbox/operations'); // eslint-disable-line @typescript-eslint/no-require-imports
      await freezeSandbox(where);
    },
    // The issuer's KMS key (SERVICE_STACK_ENV.issuerKeyId); without one, an administrator issues credentials.
    issuer: (require('../issuer') as typeof import('../issuer')).serviceIssuerSource(env, () => serviceStore(env)), // eslint-disable-line @typescript-eslint/no-require-imports
    submitTokens() {
      if (tokens) return tokens;
      const spec = env[SERVICE_ENV.store] ?? '';
      if (!spec.startsWith('dynamodb:')) throw new LifecycleError(`${SERVICE_ENV.store}="${spec}": the lifecycle keeps submit tokens in the service's DynamoDB table`);
      const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb'); // eslint-disable-line @typescript-eslint/no-require-imports
      const { DynamoSubmitTokens } = require('../lifecycle-callbacks') as typeof import('../lifecycle-callbacks'); // eslint-disable-line @typescript-eslint/no-require-imports
      tokens = new DynamoSubmitTokens(new DynamoDBClient({}), spec.slice('dynamodb:'.length));
      return tokens;
    },
    async sendTaskSuccess(taskToken, output) {
      const { SFNClient, SendTaskSuccessCommand } = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn'); // eslint-disable-line @typescript-eslint/no-require-imports
      sfn ??= new SFNClient({});
      await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    },
  };
}

let deployed: ((event: LifecycleEvent) => Promise<unknown>) | undefined;

export const handler = (event: LifecycleEvent): Promise<unknown> => (deployed ??= createLifecycleHandler(defaultLifecycleDependencies()))(event);
