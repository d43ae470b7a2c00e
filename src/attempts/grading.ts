import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalog } from '../catalog/load';
import { readBundle, serialiseBundle, type EvidenceBundle } from '../evidence/bundle';
import { gradeLive, regrade } from '../engine/grade';
import type { Limiter } from '../engine/limit';
import { signBundle, type EvidenceSigner } from '../evidence/signature';
import type { CheckResult } from '../model/report';
import type { Freeze, Grade, GradeRequest, GradeResult } from './types';

/**
 * The grading engine behind an attempt: a real sandbox is graded live through its grader role;
 * a replay sandbox (demos, tests) re-grades recorded evidence, one file per task.
 */
export interface GradeOptions {
  region?: string;
  /** Signs each run's evidence before it is stored (with the issuer's key, when there is an issuer). */
  signEvidence?: (bundle: EvidenceBundle) => Promise<EvidenceBundle>;
  /** Called as each check of a task finishes (progress display). */
  onCheck?: (taskId: string, result: CheckResult) => void;
  /** Live grading: paces the calls into the sandbox account (service mode: the account's token bucket shared by every worker). */
  paceFor?: (accountId: string) => Limiter;
}

export function createGrade(catalog: Catalog, options: GradeOptions = {}): Grade {
  return async (req: GradeRequest): Promise<GradeResult> => {
    const entry = catalog.get(req.taskId);
    const onCheck = options.onCheck ? { onCheck: (result: CheckResult) => options.onCheck?.(req.taskId, result) } : {};
    const outcome =
      req.sandbox.kind === 'replay'
        ? await regrade(entry, replayEvidence(req.sandbox.path, req.taskId), { scope: req.scope, ...onCheck })
        : await gradeLive(entry, {
            ...onCheck,
            attemptId: req.attemptId,
            roleArn: req.sandbox.roleArn,
            externalId: req.sandbox.externalId,
            expectedAccount: req.sandbox.accountId,
            scope: req.scope,
            ...(req.modelCallBudget !== undefined ? { modelCallBudget: req.modelCallBudget } : {}),
            ...(options.paceFor ? { pace: options.paceFor(req.sandbox.accountId) } : {}),
            ...(options.region ? { region: options.region } : {}),
          });
    const bundle = options.signEvidence ? await options.signEvidence(outcome.bundle) : outcome.bundle;
    return { status: outcome.report.status, report: outcome.report, bundle: { sha256: bundle.sha256!, json: serialiseBundle(bundle) } };
  };
}

/** Signs with the data directory's issuer key, or leaves evidence unsigned where no issuer exists yet. */
export function issuerEvidenceSigner(issuer: () => Promise<{ id: string; key: EvidenceSigner['key'] } | undefined>): (bundle: EvidenceBundle) => Promise<EvidenceBundle> {
  return async (bundle) => {
    const found = await issuer();
    return found ? signBundle(bundle, { issuerId: found.id, key: found.key }) : bundle;
  };
}

/** The evidence for `taskId` at `path`: the file itself, or the file in the folder that is for that task. */
export function replayEvidence(path: string, taskId: string): EvidenceBundle {
  if (!existsSync(path)) throw new Error(`replay evidence ${path} does not exist`);
  if (!statSync(path).isDirectory()) {
    const bundle = readBundle(path);
    if (bundle.task.id !== taskId) throw new Error(`replay evidence ${path} is for task ${bundle.task.id}, not ${taskId}`);
    return bundle;
  }
  for (const file of readdirSync(path).filter((f) => f.endsWith('.json')).sort()) {
    const bundle = readBundle(join(path, file));
    if (bundle.task.id === taskId) return bundle;
  }
  throw new Error(`no evidence for task ${taskId} in folder ${path} (one JSON evidence file per task)`);
}

/** Checks, before an attempt starts, that its replay evidence covers every task. */
export function checkReplayCoverage(path: string, taskIds: readonly string[]): void {
  for (const taskId of taskIds) replayEvidence(path, taskId);
}

/**
 * Freezes the sandbox before the final run. Recorded evidence cannot change, so a replay sandbox
 * needs nothing; a real one gets the deny-all attached to its CandidateRole.
 */
export function createFreeze(options: { region?: string; pool?: readonly string[] } = {}): Freeze {
  return async (attempt) => {
    if (attempt.sandbox.kind !== 'aws') return;
    const { freezeSandbox } = require('../sandbox/operations') as typeof import('../sandbox/operations'); // eslint-disable-line @typescript-eslint/no-require-imports
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new Error('cannot freeze the sandbox: no AWS region (set AWS_REGION)');
    await freezeSandbox({ accountId: attempt.sandbox.accountId, region, attemptId: attempt.id, pool: options.pool ?? [attempt.sandbox.accountId] });
  };
}
