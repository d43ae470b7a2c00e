/**
 * Starting attempts for every member of a group or a cohort, a bounded number at a time, with the
 * run's state in the store so an interrupted run resumes where it stopped.
 *
 * A member never gets a second attempt: before starting one, the run looks for an attempt the
 * member already has for their target since the cohort was created (not cancelled or expired) and
 * adopts it, starting it if it was created but never started. That covers a crash at any point,
 * including between creating an attempt and recording it on the run's item.
 *
 * Runs of a cohort (or of one group) are numbered: `bulk-<cohort>-<group|all>-<n>`. Running the
 * command again resumes the latest run while it is unfinished; a run is finished once every item
 * has started, and the next command makes run n+1 (members imported since then get theirs).
 */
import type { BulkItemRecord, BulkRunRecord, CohortRecord, CohortStore, MemberRecord } from '../store/cohort-types';
import type { AttemptRecord, Store } from '../store/types';
import { CohortInputError } from './errors';

export type BulkOutcome = 'started' | 'adopted' | 'already-started' | 'failed';

export interface BulkProgress {
  done: number;
  total: number;
  candidateId: string;
  outcome: BulkOutcome;
  attemptId?: string;
  error?: string;
}

export interface BulkStartDeps {
  store: Pick<Store, 'listAttempts'>;
  cohorts: CohortStore;
  /** Creates and starts an attempt on the member's target: the path `skillproof attempt start` takes. */
  startAttempt(member: MemberRecord): Promise<AttemptRecord>;
  /** Starts an attempt that was created but never started (a run interrupted in between). */
  resumeAttempt(attempt: AttemptRecord): Promise<AttemptRecord>;
  concurrency: number;
  actor: string;
  onProgress?(progress: BulkProgress): void;
}

export interface BulkStartSummary {
  runId: string;
  /** The run existed and was resumed. */
  resumed: boolean;
  total: number;
  started: number;
  adopted: number;
  alreadyStarted: number;
  failed: Array<{ candidateId: string; error: string }>;
  finished: boolean;
}

const OPEN_OR_DONE = new Set<AttemptRecord['state']>(['created', 'active', 'submitted', 'graded', 'credentialed']);

export function bulkRunId(cohortId: string, groupId: string | null, n: number): string {
  return `bulk-${cohortId}-${groupId ?? 'all'}-${n}`;
}

export async function bulkStart(deps: BulkStartDeps, cohortId: string, groupId: string | null = null): Promise<BulkStartSummary> {
  if (!Number.isInteger(deps.concurrency) || deps.concurrency < 1 || deps.concurrency > 64) {
    throw new CohortInputError(`concurrency must be a whole number from 1 to 64, got ${deps.concurrency}`);
  }
  const cohort = await deps.cohorts.getCohort(cohortId);
  if (!cohort) throw new CohortInputError(`no cohort "${cohortId}"; \`skillproof cohort list\` shows the cohorts`);
  if (groupId !== null) {
    const group = await deps.cohorts.getGroup(groupId);
    if (!group || group.cohortId !== cohortId) throw new CohortInputError(`cohort ${cohortId} has no group "${groupId}"; \`skillproof cohort show --cohort ${cohortId}\` lists its groups`);
  }
  const members = await deps.cohorts.listMembers(groupId === null ? { cohortId } : { cohortId, groupId });
  if (members.length === 0) throw new CohortInputError(`${groupId ? `group ${groupId}` : `cohort ${cohortId}`} has no members; import them first (\`skillproof cohort import\`)`);

  // The latest run: resume it if unfinished, else number the next.
  let n = 1;
  let latest: BulkRunRecord | undefined;
  for (let run = await deps.cohorts.getBulkRun(bulkRunId(cohortId, groupId, n)); run; run = await deps.cohorts.getBulkRun(bulkRunId(cohortId, groupId, ++n))) latest = run;
  const resumed = latest !== undefined && latest.finishedAt === null;
  const run = resumed
    ? latest!
    : await deps.cohorts.createBulkRun(
        { id: bulkRunId(cohortId, groupId, n), cohortId, groupId },
        members.map((m) => m.candidateId),
        { actor: deps.actor, action: 'cohort.bulk-start-created', subject: cohortId },
      );

  const byCandidate = new Map(members.map((m) => [m.candidateId, m]));
  const items = await deps.cohorts.listBulkItems(run.id);
  const summary: BulkStartSummary = { runId: run.id, resumed, total: items.length, started: 0, adopted: 0, alreadyStarted: 0, failed: [], finished: false };
  let done = 0;
  const report = (item: BulkItemRecord, outcome: BulkOutcome, extra: { attemptId?: string; error?: string } = {}) => {
    done += 1;
    if (outcome === 'started') summary.started += 1;
    else if (outcome === 'adopted') summary.adopted += 1;
    else if (outcome === 'already-started') summary.alreadyStarted += 1;
    else summary.failed.push({ candidateId: item.candidateId, error: extra.error ?? 'unknown error' });
    deps.onProgress?.({ done, total: items.length, candidateId: item.candidateId, outcome, ...extra });
  };

  const queue = [...items];
  const work = async (item: BulkItemRecord): Promise<void> => {
    if (item.state === 'started') return report(item, 'already-started', item.attemptId ? { attemptId: item.attemptId } : {});
    const member = byCandidate.get(item.candidateId);
    if (!member) {
      await deps.cohorts.updateBulkItem(run.id, item.candidateId, { state: 'failed', error: 'no longer a member of this group or cohort' });
      return report(item, 'failed', { error: 'no longer a member of this group or cohort' });
    }
    let attempt: AttemptRecord;
    let outcome: BulkOutcome;
    try {
      const existing = await existingAttempt(deps, cohort, member, item.attemptId);
      if (existing) {
        attempt = existing.state === 'created' ? await deps.resumeAttempt(existing) : existing;
        outcome = 'adopted';
      } else {
        attempt = await deps.startAttempt(member);
        outcome = 'started';
      }
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      await deps.cohorts.updateBulkItem(run.id, item.candidateId, { state: 'failed', error });
      return report(item, 'failed', { error });
    }
    // A failure to record this is not the member's: it stops the run, and the next run adopts the attempt.
    await deps.cohorts.updateBulkItem(run.id, item.candidateId, { state: 'started', attemptId: attempt.id, error: null });
    report(item, outcome, { attemptId: attempt.id });
  };
  // A failure to record progress stops every worker taking more: the store is the run's memory.
  let stopped = false;
  const workers = Array.from({ length: Math.min(deps.concurrency, queue.length) }, async () => {
    for (let item = queue.shift(); item && !stopped; item = queue.shift()) {
      try {
        await work(item);
      } catch (e) {
        stopped = true;
        throw e;
      }
    }
  });
  const settled = await Promise.allSettled(workers);
  const crash = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (crash) throw crash.reason;

  if (summary.failed.length === 0) {
    await deps.cohorts.finishBulkRun(run.id, {
      actor: deps.actor,
      action: 'cohort.bulk-start-finished',
      subject: cohortId,
      data: { runId: run.id, started: summary.started, adopted: summary.adopted, alreadyStarted: summary.alreadyStarted },
    });
    summary.finished = true;
  }
  return summary;
}

/** The attempt this member already has for their target in this cohort, if any (the item's own first). */
async function existingAttempt(deps: BulkStartDeps, cohort: CohortRecord, member: MemberRecord, itemAttemptId: string | null): Promise<AttemptRecord | undefined> {
  const attempts = await deps.store.listAttempts({ candidateId: member.candidateId });
  const own = itemAttemptId ? attempts.find((a) => a.id === itemAttemptId) : undefined;
  if (own) return own;
  return attempts.find(
    (a) => a.kind === 'assessment' && a.targetId === member.targetAssessmentId && OPEN_OR_DONE.has(a.state) && Date.parse(a.createdAt) >= Date.parse(cohort.createdAt),
  );
}
