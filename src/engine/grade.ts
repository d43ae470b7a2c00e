import { randomBytes } from 'node:crypto';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { callOf, classifyFailure, describeFailure } from '../aws/errors';
import { GradingSession, type Responder, type SessionConfig } from '../aws/session';
import type { CatalogEntry } from '../catalog/load';
import { sha256Hex } from '../evidence/canonical';
import { EVIDENCE_FORMAT, sealBundle, type BundleRun, type EvidenceBundle, type FixtureExpectation } from '../evidence/bundle';
import type { Report } from '../model/report';
import type { Limiter } from './limit';
import { runChecks, type RunChecksOptions, type Scope } from './run-checks';

export interface GradeOutcome {
  report: Report;
  bundle: EvidenceBundle;
}

export interface CommonOptions {
  attemptId?: string;
  scope?: Scope;
  concurrency?: number;
  /** Replay/simulate: real delay per call (benchmarks). */
  latencyMs?: number;
  /** Called as each check finishes (progress display). */
  onCheck?: RunChecksOptions['onCheck'];
}

/**
 * The part of every probe nonce that an attempt's runs share (8 hex digits, derived from the attempt
 * id): whatever a probe creates is marked as the attempt's, whichever run made it and whether the
 * attempt service or `skillproof grade --attempt` ran it.
 */
export function attemptNonce(attemptId: string): string {
  return sha256Hex(`skillproof/probe-nonce/${attemptId}`).slice(0, 8);
}

/**
 * A run's probe nonce: the attempt's part, then 8 random hex digits. The random part keeps each run's
 * probe data its own: a nonce shared by every run would let a later run find what an earlier one
 * left (an item stored, a message dead-lettered, an agent session that remembers the answer) and
 * pass on it. The whole nonce is recorded in the evidence, so a replay uses the same one.
 */
export function newNonce(attemptId: string): string {
  return `${attemptNonce(attemptId)}${randomBytes(4).toString('hex')}`;
}

/** STS session names allow [\w+=,.@-] and at most 64 characters. */
export function roleSessionName(attemptId: string): string {
  return `skillproof-${attemptId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

export interface LiveTarget extends CommonOptions {
  /** Default: the SDK's region chain (AWS_REGION, the profile's region). */
  region?: string;
  /** The sandbox's GraderRole; without it the ambient credentials grade (an author's own account). */
  roleArn?: string;
  externalId?: string;
  /** The sandbox account; a different caller account makes the run incomplete, with nothing graded. */
  expectedAccount?: string;
  /** How many model calls the run may make (an attempt's progress budget, partly spent); absent: no limit. */
  modelCallBudget?: number;
  /** Paces every call into the sandbox account (its rate bound, shared by every worker grading it). */
  pace?: Limiter;
}

/**
 * The SDK's default credential chain found nothing (no profile, no environment keys, no SSO
 * session, no instance role). Nothing is graded: every check would only repeat the same cause.
 */
export class NoAwsCredentialsError extends Error {
  constructor(readonly sdkMessage: string) {
    super(
      `no AWS credentials found: set AWS_PROFILE to a profile in ~/.aws/config (after \`aws sso login\` for an SSO profile), ` +
        `or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then grade again; nothing was graded (the AWS SDK said: ${sdkMessage})`,
    );
    this.name = 'NoAwsCredentialsError';
  }
}

/** Grades a real account (or an AWS-compatible endpoint named by AWS_ENDPOINT_URL). */
export async function gradeLive(entry: CatalogEntry, target: LiveTarget): Promise<GradeOutcome> {
  const attemptId = target.attemptId ?? `local-${Date.now().toString(36)}`;
  const hub = new STSClient(target.region ? { region: target.region } : {});
  let region: string;
  try {
    region = target.region ?? (await hub.config.region());
  } catch {
    region = '';
  }
  if (!region) {
    hub.destroy();
    throw new Error('no AWS region: pass --region or set AWS_REGION (or a region in your AWS profile)');
  }
  // Resolved once before grading, so a missing credential is one clear error rather than a cause repeated under every check.
  try {
    await hub.config.credentials();
  } catch (err) {
    hub.destroy();
    if ((err as Error).name === 'CredentialsProviderError') throw new NoAwsCredentialsError((err as Error).message);
    throw err;
  }
  const base: Omit<SessionConfig, 'credentials'> = {
    mode: 'live',
    region,
    attemptId,
    nonce: newNonce(attemptId),
    startedAt: new Date(),
    probes: entry.grader.probes,
    ...(target.latencyMs ? { latencyMs: target.latencyMs } : {}),
    ...(target.modelCallBudget !== undefined ? { modelCallBudget: target.modelCallBudget } : {}),
    ...(target.pace ? { pace: target.pace } : {}),
  };
  let preflightError: string | undefined;
  let credentials: SessionConfig['credentials'];
  if (target.roleArn) {
    if (!target.externalId) throw new Error('--role-arn needs --external-id: sandbox grader roles trust SkillProof only with the attempt\'s external id');
    try {
      const res = await hub.send(
        new AssumeRoleCommand({ RoleArn: target.roleArn, RoleSessionName: roleSessionName(attemptId), ExternalId: target.externalId, DurationSeconds: 3600 }),
      );
      const c = res.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
      credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration ? { expiration: c.Expiration } : {}) };
    } catch (err) {
      preflightError = `could not assume the grader role ${target.roleArn}: ${describeFailure('STS.AssumeRole', classifyFailure(err))}`;
    }
  }
  hub.destroy();
  const session = new GradingSession({ ...base, ...(credentials ? { credentials } : {}) });
  return gradeWithSession(entry, session, {
    ...target,
    preflightError,
    run: { roleArn: target.roleArn, expectedAccount: target.expectedAccount },
  });
}

/** Re-grades an evidence bundle offline: same grader code, recorded responses, same outcome. */
export async function regrade(entry: CatalogEntry, bundle: EvidenceBundle, options: CommonOptions = {}): Promise<GradeOutcome> {
  if (bundle.task.id !== entry.task.id) throw new Error(`the evidence is for task "${bundle.task.id}", not "${entry.task.id}"`);
  const session = new GradingSession({
    mode: 'replay',
    region: bundle.run.region,
    attemptId: bundle.run.attemptId,
    nonce: bundle.run.nonce,
    startedAt: new Date(bundle.run.startedAt),
    probes: entry.grader.probes,
    recorded: bundle.transcript,
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
  });
  return gradeWithSession(entry, session, {
    ...options,
    scope: options.scope ?? bundle.run.scope,
    expectedAccount: bundle.run.expectedAccount,
    run: { roleArn: bundle.run.roleArn, expectedAccount: bundle.run.expectedAccount },
    ...(bundle.expect ? { expect: bundle.expect } : {}),
  });
}

export interface SimulatedRun extends CommonOptions {
  responder: Responder;
  region: string;
  nonce: string;
  startedAt: Date;
  expect?: FixtureExpectation;
  expectedAccount?: string;
  /** Paces the calls into the simulated account, as `LiveTarget.pace` does live. */
  pace?: Limiter;
}

/** Grades a simulated account (fixture worlds): the recorded bundle is a fixture. */
export async function gradeSimulated(entry: CatalogEntry, sim: SimulatedRun): Promise<GradeOutcome> {
  const session = new GradingSession({
    mode: 'simulate',
    region: sim.region,
    attemptId: sim.attemptId ?? 'fixture',
    nonce: sim.nonce,
    startedAt: sim.startedAt,
    probes: entry.grader.probes,
    responder: sim.responder,
    ...(sim.pace ? { pace: sim.pace } : {}),
  });
  return gradeWithSession(entry, session, { ...sim, run: { expectedAccount: sim.expectedAccount } });
}

interface WithSessionOptions extends CommonOptions {
  expectedAccount?: string;
  preflightError?: string;
  run: Pick<BundleRun, 'roleArn' | 'expectedAccount'>;
  expect?: FixtureExpectation;
}

async function gradeWithSession(entry: CatalogEntry, session: GradingSession, opts: WithSessionOptions): Promise<GradeOutcome> {
  // Offline runs never wait on I/O, so many in a row would starve the event loop: the SDK's shared
  // config-file read would stay pending and every new client would queue a callback on it.
  await new Promise<void>((resolve) => setImmediate(resolve));
  try {
    let preflightError = opts.preflightError;
    let accountId = 'unknown';
    if (!preflightError) {
      try {
        const identity = await session.client(STSClient).send(new GetCallerIdentityCommand({}));
        if (!identity.Account) throw new Error('GetCallerIdentity named no account');
        accountId = identity.Account;
        if (opts.expectedAccount && accountId !== opts.expectedAccount) {
          preflightError = `the grading credentials belong to account ${accountId}, not the sandbox account ${opts.expectedAccount}; nothing was graded`;
        }
      } catch (err) {
        const reason = callOf(err) ? describeFailure('STS.GetCallerIdentity', classifyFailure(err)) : (err as Error).message;
        preflightError = `cannot identify the account: ${reason}`;
      }
    }
    const scope = opts.scope ?? 'final';
    const report = await runChecks({
      task: entry.task,
      grader: entry.grader,
      session,
      accountId,
      scope,
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      ...(preflightError ? { preflightError } : {}),
      ...(opts.onCheck ? { onCheck: opts.onCheck } : {}),
    });
    const run: BundleRun = {
      attemptId: session.config.attemptId,
      nonce: session.config.nonce,
      startedAt: session.config.startedAt.toISOString(),
      region: session.config.region,
      accountId,
      mode: session.mode,
      scope,
      ...(opts.run.roleArn ? { roleArn: opts.run.roleArn } : {}),
      ...(opts.run.expectedAccount ? { expectedAccount: opts.run.expectedAccount } : {}),
    };
    const bundle = sealBundle({
      format: EVIDENCE_FORMAT,
      task: report.task,
      run,
      transcript: session.transcript,
      report,
      ...(opts.expect ? { expect: opts.expect } : {}),
    });
    return { report, bundle };
  } finally {
    session.destroy();
  }
}
