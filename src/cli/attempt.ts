import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { AttemptService } from '../attempts/attempt-service';
import type { AssessmentRule, SandboxRef } from '../attempts/types';
import type { Catalog } from '../catalog/load';
import type { CheckResult, Report } from '../model/report';
import type { AttemptRecord, GradingRunRecord, RunStatus, Store } from '../store/types';
import { CliError, EXIT, printJson, type CliIo } from './io';
import { exitCodeFor } from './options';
import { checkLine, startProgress, type Progress } from './progress';
import { formatColumns } from './table';

// ── shared by the attempt, credential and issuer commands ────────────────────────────────────────

export interface DataDirOpts {
  dataDir?: string;
  /** `--store <spec>`: which store (src/store/open-store.ts); default SKILLPROOF_STORE, else SQLite in the data directory. */
  store?: string;
}

export const dataDirOption = () => new Option('--data-dir <dir>', 'where attempts, credentials and the issuer key live (default: $SKILLPROOF_HOME, else ~/.skillproof)');

export const storeOption = () =>
  new Option('--store <spec>', 'where records live: sqlite:<dir> or dynamodb:<table> (default: $SKILLPROOF_STORE, else SQLite in the data directory)');

/** An open data directory: its store, and the catalog loaded on first use (it takes a moment). */
export interface Workspace {
  dataDir: string;
  store: Store;
  catalog(): Catalog;
}

/** Who did it, for the audit log: `cli:<user>`, or `admin:<user>` for administrative commands. */
export function actor(role: 'cli' | 'admin' = 'cli'): string {
  let name = 'unknown';
  try {
    name = userInfo().username || name;
  } catch {
    // No passwd entry (some containers): the role alone still says it came from the CLI.
  }
  return `${role}:${name}`;
}

/** Opens the data directory's store for one command and closes it afterwards; errors a person can act on become CliErrors. */
export async function withWorkspace<T>(opts: DataDirOpts, fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const { resolveDataDir } = require('../store/data-dir') as typeof import('../store/data-dir');
  const dataDir = resolveDataDir(opts.dataDir ? { dataDir: opts.dataDir } : {});
  try {
    const { openStore, resolveStoreSpec } = require('../store/open-store') as typeof import('../store/open-store');
    const store = openStore(resolveStoreSpec({ ...(opts.store ? { store: opts.store } : {}), dataDir }));
    let catalog: Catalog | undefined;
    try {
      return await fn({
        dataDir,
        store,
        catalog: () => (catalog ??= (require('../catalog/load') as typeof import('../catalog/load')).loadCatalog()),
      });
    } finally {
      store.close();
    }
  } catch (e) {
    throw toCliError(e, dataDir);
  }
}

const USAGE_ERRORS = new Set([
  'AttemptNotFoundError',
  'InvalidAttemptInputError',
  'IllegalTransitionError',
  'IssuerKeyError',
  'CredentialInputError',
  'DefinitionError',
  'EvidenceError',
  'NotFoundError',
  'SchemaVersionError',
  'StoreSpecError',
]);
/** The store or status list refused something; the command can be run again. */
const FAILURE_ERRORS = new Set(['ConcurrentModificationError', 'ConstraintViolationError', 'EvidenceHashMismatchError', 'StatusListError']);

/** Errors are told apart by name, so this module loads none of the modules that define them. */
export function toCliError(e: unknown, dataDir: string): unknown {
  if (e instanceof CliError || !(e instanceof Error)) return e;
  if (USAGE_ERRORS.has(e.name)) return new CliError(e.message, EXIT.usage);
  if (FAILURE_ERRORS.has(e.name)) return new CliError(e.message, EXIT.failed);
  // The attempt keeps its state; the same command resumes once the cause (e.g. missing evidence) is fixed.
  if (e.name === 'GradingFailedError') return new CliError(e.message, EXIT.incomplete);
  if (e.name === 'RateLimitedError') return new CliError(e.message, EXIT.rateLimited);
  const code = (e as NodeJS.ErrnoException).code;
  if (e.name === 'SqliteError' || (code !== undefined && ['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EROFS', 'EEXIST'].includes(code))) {
    return new CliError(`cannot use the data directory ${dataDir}: ${e.message}. Choose another with --data-dir or SKILLPROOF_HOME.`, EXIT.usage);
  }
  return e;
}

// ── views ─────────────────────────────────────────────────────────────────────────────────────────

interface RunSummary {
  runId: string;
  status: RunStatus;
  score: { earned: number; possible: number; passMark: number } | null;
  counts: Report['counts'] | null;
  criticalFailed: string[];
  bundleSha256: string;
  /** Checks that did not pass and that the candidate may see (hidden checks are only counted). */
  feedback: Array<Pick<CheckResult, 'id' | 'title' | 'outcome' | 'message' | 'hint'>>;
  hiddenNotPassed: number;
  /** Why nothing was graded, when the run could not start. */
  error?: string;
}

function asReport(value: unknown): Report | undefined {
  const { reportSchema } = require('../model/report') as typeof import('../model/report');
  const parsed = reportSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function summariseRun(run: GradingRunRecord): RunSummary {
  const report = asReport(run.report);
  const notPassed = (report?.checks ?? []).filter((c) => c.outcome === 'FAIL' || c.outcome === 'ERROR');
  return {
    runId: run.id,
    status: run.status,
    score: report ? { earned: report.score.earned, possible: report.score.possible, passMark: report.score.passMark } : null,
    counts: report?.counts ?? null,
    criticalFailed: report?.score.criticalFailed ?? [],
    bundleSha256: run.bundleSha256,
    feedback: notPassed
      .filter((c) => c.visibility !== 'hidden')
      .map((c) => ({ id: c.id, title: c.title, outcome: c.outcome, message: c.message, ...(c.hint ? { hint: c.hint } : {}) })),
    hiddenNotPassed: notPassed.filter((c) => c.visibility === 'hidden').length,
    ...(report?.error ? { error: report.error } : {}),
  };
}

function sandboxView(sandbox: SandboxRef): Record<string, string> {
  // The external id stays out of every output: it is the sandbox's shared secret with the grader.
  return sandbox.kind === 'replay' ? { kind: 'replay', path: sandbox.path } : { kind: 'aws', accountId: sandbox.accountId, roleArn: sandbox.roleArn };
}

function attemptView(attempt: AttemptRecord, runs: GradingRunRecord[] = [], credentialId: string | null = null) {
  const finals = runs.filter((r) => r.scope === 'final' && r.round === attempt.finalRound);
  return {
    id: attempt.id,
    candidateId: attempt.candidateId,
    kind: attempt.kind,
    targetId: attempt.targetId,
    taskIds: attempt.taskIds,
    state: attempt.state,
    result: attempt.result,
    sandbox: sandboxView(attempt.sandbox),
    timeLimitSeconds: attempt.timeLimitSeconds,
    finalRound: attempt.finalRound,
    createdAt: attempt.createdAt,
    startedAt: attempt.startedAt,
    expiresAt: attempt.expiresAt,
    submittedAt: attempt.submittedAt,
    frozenAt: attempt.frozenAt,
    gradedAt: attempt.gradedAt,
    lastCheckAt: attempt.lastCheckAt,
    credentialId,
    tasks: attempt.taskIds.map((taskId) => {
      const final = finals.find((r) => r.taskId === taskId);
      return { taskId, final: final ? summariseRun(final) : null, progressRuns: runs.filter((r) => r.taskId === taskId && r.scope === 'progress').length };
    }),
    runs: runs.map((r) => ({ id: r.id, taskId: r.taskId, scope: r.scope, round: r.round, status: r.status, bundleSha256: r.bundleSha256, startedAt: r.startedAt, finishedAt: r.finishedAt })),
  };
}

type AttemptView = ReturnType<typeof attemptView>;

function stateText(attempt: Pick<AttemptRecord, 'state' | 'result'>): string {
  return attempt.result && (attempt.state === 'graded' || attempt.state === 'credentialed') ? `${attempt.state} (${attempt.result})` : attempt.state;
}

function targetLabel(attempt: Pick<AttemptRecord, 'kind' | 'targetId' | 'taskIds'>): string {
  return attempt.kind === 'assessment' ? `assessment ${attempt.targetId} (${attempt.taskIds.length} tasks)` : `practice on task ${attempt.targetId}`;
}

function scoreText(summary: RunSummary): string {
  if (!summary.score) return '';
  const pct = summary.score.possible ? Math.round((100 * summary.score.earned) / summary.score.possible) : 100;
  return `${summary.score.earned}/${summary.score.possible} (${pct} %)`;
}

/** The candidate's feedback on a final run: what did not pass and the hint for it. */
function feedbackLines(summary: RunSummary, indent = '    '): string[] {
  const lines: string[] = [];
  if (summary.error) lines.push(`${indent}not graded: ${summary.error}`);
  for (const c of summary.feedback) {
    lines.push(`${indent}${c.outcome.padEnd(5)} ${c.title}`);
    lines.push(`${indent}      ${c.message}`);
    if (c.outcome === 'FAIL' && c.hint) lines.push(`${indent}      hint: ${c.hint}`);
  }
  if (summary.hiddenNotPassed > 0) lines.push(`${indent}and ${summary.hiddenNotPassed} hidden check(s) not passed`);
  return lines;
}

function printResult(io: CliIo, view: AttemptView): void {
  const round = view.finalRound > 1 ? ` · round ${view.finalRound}` : '';
  io.out(`Attempt ${view.id}: ${(view.result ?? view.state).toUpperCase()} · ${targetLabel(view)}${round}`);
  const width = Math.max(...view.tasks.map((t) => t.taskId.length), 4);
  io.out(`  ${'TASK'.padEnd(width)}  ${'STATUS'.padEnd(10)}  ${'SCORE'.padEnd(15)}  EVIDENCE`);
  for (const t of view.tasks) {
    if (!t.final) {
      io.out(`  ${t.taskId.padEnd(width)}  not graded yet`);
      continue;
    }
    io.out(`  ${t.taskId.padEnd(width)}  ${t.final.status.padEnd(10)}  ${scoreText(t.final).padEnd(15)}  ${t.final.bundleSha256.slice(0, 16)}…`);
    if (t.final.status !== 'passed') io.out(feedbackLines(t.final).join('\n'));
  }
  if (view.result === 'passed' && view.kind === 'assessment') io.out(`Next: \`skillproof credential issue ${view.id}\` issues the credential.`);
  else if (view.result === 'passed') io.out('A practice attempt earns no credential; take the assessment for that.');
  else if (view.result === 'incomplete') io.out(`SkillProof could not finish grading; this is not a fail. An administrator can re-run it: \`skillproof attempt regrade ${view.id}\`.`);
}

// ── services ──────────────────────────────────────────────────────────────────────────────────────

/** The data directory's issuer, or undefined before `skillproof issuer init` (evidence is then stored unsigned). */
export async function dataDirIssuer(ws: Pick<Workspace, 'dataDir' | 'store'>): Promise<import('../credentials/issuer-keys').Issuer | undefined> {
  const { hasIssuer, loadIssuer } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  return hasIssuer(ws.dataDir) ? loadIssuer(ws.dataDir, ws.store) : undefined;
}

function attemptService(ws: Workspace, progress?: Progress): AttemptService {
  const { AttemptService } = require('../attempts/attempt-service') as typeof import('../attempts/attempt-service');
  const { createGrade, createFreeze, issuerEvidenceSigner } = require('../attempts/grading') as typeof import('../attempts/grading');
  const freeze = createFreeze();
  let issuer: ReturnType<typeof dataDirIssuer> | undefined;
  const signEvidence = issuerEvidenceSigner(() => (issuer ??= dataDirIssuer(ws)));
  return new AttemptService({
    store: ws.store,
    grade: (req) =>
      createGrade(ws.catalog(), { signEvidence, ...(progress?.enabled ? { onCheck: (taskId: string, result: CheckResult) => progress.line(checkLine(taskId, result)) } : {}) })(req),
    freeze: async (attempt) => {
      try {
        await freeze(attempt);
      } catch (e) {
        throw new CliError(
          `could not freeze the sandbox of attempt ${attempt.id} before its final grading: ${e instanceof Error ? e.message : String(e)}. ` +
            `The attempt stays submitted; run \`skillproof attempt submit ${attempt.id}\` again once this is fixed.`,
          EXIT.incomplete,
        );
      }
    },
  });
}

/** How the tasks' final runs combine: the assessment's pass rule, or the one task of a practice attempt. */
function ruleFor(ws: Workspace, attempt: AttemptRecord): AssessmentRule {
  const { assessmentRule } = require('../attempts/assessment-rule') as typeof import('../attempts/assessment-rule');
  const { everyTaskMustPass } = require('../attempts/types') as typeof import('../attempts/types');
  return attempt.kind === 'assessment' ? assessmentRule(ws.catalog().assessment(attempt.targetId)) : everyTaskMustPass;
}

async function viewOf(ws: Workspace, attempt: AttemptRecord): Promise<AttemptView> {
  const credential = await ws.store.getCredentialByAttempt(attempt.id);
  return attemptView(attempt, await ws.store.listGradingRuns(attempt.id), credential?.id ?? null);
}

// ── commands ──────────────────────────────────────────────────────────────────────────────────────

interface StartOpts extends DataDirOpts {
  candidate: string;
  account?: string;
  roleArn?: string;
  externalId?: string;
  replay?: string;
  json?: boolean;
  quiet?: boolean;
}

function sandboxFrom(opts: StartOpts): SandboxRef {
  const live = opts.account !== undefined || opts.roleArn !== undefined || opts.externalId !== undefined;
  if (opts.replay !== undefined && live) throw new CliError('use either --replay PATH or --role-arn/--external-id/--account, not both');
  if (opts.replay !== undefined) return { kind: 'replay', path: resolve(opts.replay) };
  if (!opts.roleArn || !opts.externalId) {
    throw new CliError(
      'an attempt needs a sandbox: --role-arn ARN --external-id X [--account ID] for a real account (see `skillproof sandbox deploy`), or --replay PATH for recorded evidence',
    );
  }
  const accountId = opts.account ?? /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(opts.roleArn)?.[1];
  if (!accountId) throw new CliError(`--role-arn ${opts.roleArn} is not an IAM role ARN with an account id; pass --account too`);
  return { kind: 'aws', accountId, roleArn: opts.roleArn, externalId: opts.externalId };
}

/** What an attempt on `targetId` is for: an assessment (its tasks) or a single task; a usage error if neither. */
function targetOf(ws: Workspace, targetId: string): { assessment?: ReturnType<Catalog['assessment']>; taskIds: string[] } {
  const catalog = ws.catalog();
  const kind = catalog.has(targetId);
  if (!kind) {
    throw new CliError(`"${targetId}" is neither an assessment nor a task; \`skillproof assessments list\` and \`skillproof tasks list\` show what can be taken`);
  }
  const assessment = kind === 'assessment' ? catalog.assessment(targetId) : undefined;
  return assessment ? { assessment, taskIds: assessment.tasks } : { taskIds: [targetId] };
}

/**
 * Creates and starts an attempt: the one path `skillproof attempt start` and `skillproof cohort
 * start` share. A replay sandbox must hold evidence for every task before anything is stored.
 */
export async function startAttempt(
  ws: Workspace,
  input: { targetId: string; candidate: string; sandbox: SandboxRef; replayLabel?: string; by?: string },
): Promise<AttemptRecord> {
  const { assessment, taskIds } = targetOf(ws, input.targetId);
  const { sandbox, targetId } = input;
  if (sandbox.kind === 'replay') {
    const { checkReplayCoverage } = require('../attempts/grading') as typeof import('../attempts/grading');
    try {
      checkReplayCoverage(sandbox.path, taskIds);
    } catch (e) {
      throw new CliError(`--replay ${input.replayLabel ?? sandbox.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const attempts = attemptService(ws);
  const created = await attempts.create({
    candidate: input.candidate,
    target: assessment ? { kind: 'assessment', assessmentId: targetId, taskIds } : { kind: 'practice', taskId: targetId },
    sandbox,
    timeLimitMinutes: assessment ? assessment.timeLimitMinutes : ws.catalog().get(targetId).task.timeLimitMinutes,
    actor: input.by ?? actor(),
  });
  return attempts.start(created.id, { actor: input.by ?? actor() });
}

/** Starts an attempt that was created but never started (a bulk start interrupted in between). */
export async function startCreatedAttempt(ws: Workspace, attemptId: string, by: string = actor()): Promise<AttemptRecord> {
  return attemptService(ws).start(attemptId, { actor: by });
}

async function start(ws: Workspace, io: CliIo, targetId: string, opts: StartOpts): Promise<void> {
  targetOf(ws, targetId);
  const sandbox = sandboxFrom(opts);
  const attempt = await startAttempt(ws, { targetId, candidate: opts.candidate, sandbox, ...(opts.replay !== undefined ? { replayLabel: opts.replay } : {}) });
  if (opts.json) return printJson(io, attemptView(attempt));
  if (opts.quiet) return io.out(attempt.id);
  const { looksLikeEmail } = require('../attempts/candidate') as typeof import('../attempts/candidate');
  const who = looksLikeEmail(opts.candidate) ? `${attempt.candidateId} (the e-mail address is kept only as a salted hash)` : attempt.candidateId;
  io.out(`Attempt ${attempt.id} started: ${targetLabel(attempt)} for candidate ${who}.`);
  io.out(`  sandbox     ${sandbox.kind === 'replay' ? `replay of recorded evidence in ${sandbox.path}` : `account ${sandbox.accountId}, grader role ${sandbox.roleArn}`}`);
  if (attempt.expiresAt) io.out(`  time limit  ${(attempt.timeLimitSeconds ?? 0) / 60} min, until ${attempt.expiresAt}`);
  io.out(`Next: \`skillproof attempt check ${attempt.id}\` shows your progress; \`skillproof attempt submit ${attempt.id}\` when you are done.`);
}

async function check(ws: Workspace, io: CliIo, id: string, opts: { json?: boolean }): Promise<void> {
  const progress = startProgress(io, opts);
  const attempts = attemptService(ws, progress);
  let result;
  try {
    progress.status(`grading the visible checks of attempt ${id}…`);
    result = await attempts.check(id, { actor: actor() });
  } catch (e) {
    if (e instanceof Error && e.name === 'RateLimitedError') {
      const wait = (e as Error & { retryAfterMs: number }).retryAfterMs;
      throw new CliError(`${e.message} The next check is allowed at ${new Date(Date.now() + wait).toISOString()}.`, EXIT.rateLimited);
    }
    throw e;
  } finally {
    progress.done();
  }
  const catalog = ws.catalog();
  const tasks = result.runs.map((run) => {
    const report = asReport(run.report);
    const onSubmit = catalog.get(run.taskId).grader.checks.filter((c) => c.visibility !== 'visible').length;
    const checks = (report?.checks ?? [])
      .filter((c) => c.visibility === 'visible')
      .map((c) => ({ id: c.id, title: c.title, outcome: c.outcome, message: c.message, ...(c.outcome === 'FAIL' && c.hint ? { hint: c.hint } : {}) }));
    return { taskId: run.taskId, status: run.status, checks, gradedOnSubmit: onSubmit, bundleSha256: run.bundleSha256, ...(report?.error ? { error: report.error } : {}) };
  });
  const { everyTaskMustPass } = require('../attempts/types') as typeof import('../attempts/types');
  const status = everyTaskMustPass(tasks);
  io.setExitCode(exitCodeFor({ status }));
  if (opts.json) return printJson(io, { id: result.attempt.id, state: result.attempt.state, status, nextCheckAt: result.nextCheckAt, tasks });

  io.out(`Progress of attempt ${result.attempt.id} (visible checks only):`);
  for (const t of tasks) {
    const passed = t.checks.filter((c) => c.outcome === 'PASS').length;
    io.out(`  ${t.taskId}: ${passed}/${t.checks.length} visible checks pass${t.gradedOnSubmit ? ` (${t.gradedOnSubmit} more graded on submit)` : ''}`);
    if (t.error) io.out(`    not graded: ${t.error}`);
    for (const c of t.checks) {
      io.out(`    ${c.outcome.padEnd(7)} ${c.title}`);
      if (c.outcome !== 'PASS') io.out(`            ${c.message}`);
      if (c.hint) io.out(`            hint: ${c.hint}`);
    }
  }
  io.out(`Next check allowed at ${result.nextCheckAt}.`);
}

async function submit(ws: Workspace, io: CliIo, id: string, opts: { json?: boolean }, regrade: boolean): Promise<void> {
  const progress = startProgress(io, opts);
  const attempts = attemptService(ws, progress);
  const before = await attempts.get(id);
  const rule = ruleFor(ws, before);
  let graded: AttemptRecord;
  try {
    progress.status(`${regrade ? 're-grading' : 'freezing the sandbox and grading'} ${before.taskIds.length} task(s) of attempt ${id}…`);
    graded = regrade ? await attempts.regrade(id, { actor: actor('admin'), rule }) : await attempts.submit(id, { actor: actor(), rule });
  } finally {
    progress.done();
  }
  const view = await viewOf(ws, graded);
  io.setExitCode(exitCodeFor({ status: graded.result ?? 'incomplete' }));
  if (opts.json) return printJson(io, view);
  printResult(io, view);
}

async function show(ws: Workspace, io: CliIo, id: string, opts: { json?: boolean }): Promise<void> {
  const attempts = attemptService(ws);
  const view = await viewOf(ws, await attempts.expireIfOverdue(id));
  if (opts.json) return printJson(io, view);
  io.out(`Attempt ${view.id} · ${targetLabel(view)} · candidate ${view.candidateId} · ${stateText(view)}`);
  const times = (
    [
      ['created', view.createdAt],
      ['started', view.startedAt],
      ['expires', view.expiresAt],
      ['submitted', view.submittedAt],
      ['frozen', view.frozenAt],
      ['graded', view.gradedAt],
    ] as const
  ).filter(([, at]) => at);
  io.out(`  ${times.map(([what, at]) => `${what} ${at}`).join(' · ')}`);
  io.out(`  sandbox     ${view.sandbox.kind === 'replay' ? `replay of ${view.sandbox.path}` : `account ${view.sandbox.accountId}, grader role ${view.sandbox.roleArn}`}`);
  if (view.credentialId) io.out(`  credential  ${view.credentialId}`);
  io.out('Tasks:');
  for (const t of view.tasks) {
    const progress = t.progressRuns ? ` · ${t.progressRuns} progress run(s)` : '';
    if (!t.final) {
      io.out(`  ${t.taskId}: no final run${progress}`);
      continue;
    }
    const c = t.final.counts;
    io.out(`  ${t.taskId}: ${t.final.status} ${scoreText(t.final)}${c ? ` · PASS ${c.PASS} FAIL ${c.FAIL} ERROR ${c.ERROR} SKIPPED ${c.SKIPPED}` : ''}${progress}`);
    io.out(`    evidence sha256 ${t.final.bundleSha256}`);
    if (t.final.status !== 'passed') io.out(feedbackLines(t.final).join('\n'));
  }
  if (view.state === 'submitted') io.out(`Its final grading was interrupted; \`skillproof attempt submit ${view.id}\` resumes it.`);
  if (view.runs.length) io.out(`${view.runs.length} grading run(s) stored; \`--json\` lists each with its evidence hash.`);
}

/** A stored evidence bundle, named by its sha256 or by an attempt (its final run of one task). */
async function evidence(ws: Workspace, io: CliIo, ref: string, opts: { task?: string }): Promise<void> {
  let hash = ref.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash)) {
    const attempt = await attemptService(ws).get(ref);
    const taskId = opts.task ?? (attempt.taskIds.length === 1 ? attempt.taskIds[0] : undefined);
    if (!taskId || !attempt.taskIds.includes(taskId)) {
      throw new CliError(`attempt ${attempt.id} has tasks ${attempt.taskIds.join(', ')}; name one with --task${opts.task ? ` (not "${opts.task}")` : ''}`);
    }
    const runs = await ws.store.listGradingRuns(attempt.id, { scope: 'final', round: attempt.finalRound });
    const run = runs.find((r) => r.taskId === taskId);
    if (!run) throw new CliError(`attempt ${attempt.id} has no final grading of ${taskId} yet; \`skillproof attempt submit ${attempt.id}\` grades it`);
    hash = run.bundleSha256;
  }
  const bundle = await ws.store.getEvidenceBundle(hash);
  if (!bundle) throw new CliError(`No evidence bundle ${hash} in ${ws.dataDir}; \`skillproof attempt show <attempt-id>\` lists the hashes it holds`);
  io.out(bundle.json);
}

async function list(ws: Workspace, io: CliIo, opts: { json?: boolean }): Promise<void> {
  const attempts = await ws.store.listAttempts();
  const rows = attempts.map((a) => ({
    id: a.id,
    candidateId: a.candidateId,
    kind: a.kind,
    targetId: a.targetId,
    state: a.state,
    result: a.result,
    createdAt: a.createdAt,
  }));
  if (opts.json) return printJson(io, { attempts: rows });
  if (rows.length === 0) return io.out('no attempts; start one with `skillproof attempt start <assessment-id|task-id> --candidate <id>`');
  io.out(
    formatColumns(rows, [
      { header: 'ATTEMPT', cell: (r) => r.id },
      { header: 'STATE', cell: (r) => stateText(r) },
      { header: 'KIND', cell: (r) => r.kind },
      { header: 'TARGET', cell: (r) => r.targetId },
      { header: 'CANDIDATE', cell: (r) => r.candidateId },
      { header: 'CREATED', cell: (r) => r.createdAt },
    ]),
  );
}

export function register(program: Command, io: CliIo): void {
  const attempt = program.command('attempt').description("take an assessment or practise a task: start, check progress, submit, see the result");
  attempt
    .command('start <assessment-or-task-id>')
    .description('create and start an attempt on an assessment (earns a credential) or a single task (practice)')
    .requiredOption('--candidate <id-or-email>', 'pseudonymous candidate id, or an e-mail address (kept only as a salted hash)')
    .option('--account <id>', "the sandbox account (default: the grader role's account)")
    .option('--role-arn <arn>', "the sandbox's grader role")
    .option('--external-id <id>', "the sandbox's external id for the grader role")
    .option('--replay <path>', "recorded evidence instead of a real account: an evidence file (one task), or a folder of evidence files, one per task (any *.json name; each file's task.id says which task)")
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .option('--quiet', 'print only the attempt id (for scripts: ATTEMPT=$(skillproof attempt start … --quiet))')
    .action((id: string, opts: StartOpts) => withWorkspace(opts, (ws) => start(ws, io, id, opts)));
  attempt
    .command('check <attempt-id>')
    .description('a progress run: grades the visible checks and shows their hints (rate-limited: exit 4 when checked again too soon)')
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((id: string, opts: DataDirOpts & { json?: boolean }) => withWorkspace(opts, (ws) => check(ws, io, id, opts)));
  attempt
    .command('submit <attempt-id>')
    .description('freeze the sandbox and grade every task with all checks (exit 0 passed, 1 failed, 3 incomplete)')
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((id: string, opts: DataDirOpts & { json?: boolean }) => withWorkspace(opts, (ws) => submit(ws, io, id, opts, false)));
  attempt
    .command('show <attempt-id>')
    .description("an attempt's state, result, each task's report summary and evidence hashes")
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((id: string, opts: DataDirOpts & { json?: boolean }) => withWorkspace(opts, (ws) => show(ws, io, id, opts)));
  attempt
    .command('list')
    .description('every attempt in the data directory')
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((opts: DataDirOpts & { json?: boolean }) => withWorkspace(opts, (ws) => list(ws, io, opts)));
  attempt
    .command('evidence <attempt-id-or-sha256>')
    .description("print a stored evidence bundle, as signed when stored: an attempt's final run of one task, or a bundle by its sha256 (to `skillproof regrade` it)")
    .option('--task <task-id>', "the task whose final run's evidence to print (needed when the attempt has several)")
    .addOption(dataDirOption())
    .addOption(storeOption())
    .action((ref: string, opts: DataDirOpts & { task?: string }) => withWorkspace(opts, (ws) => evidence(ws, io, ref, opts)));
  attempt
    .command('regrade <attempt-id>')
    .description('admin: run the final grading of an incomplete attempt again (passed and failed are final)')
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((id: string, opts: DataDirOpts & { json?: boolean }) => withWorkspace(opts, (ws) => submit(ws, io, id, opts, true)));
}
