import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CohortCatalog } from '../cohorts/catalog';
import type { CohortRecord, CohortStore, Milestone } from '../store/cohort-types';
import type { SandboxRef } from '../store/types';
import { actor, dataDirOption, withWorkspace, type DataDirOpts, type Workspace } from './attempt';
import { CliError, EXIT, printJson, type CliIo } from './io';
import { formatColumns } from './table';

/**
 * `skillproof cohort …`: launch a cohort (create, import its members, adjust its schedule), follow
 * it (show), start everyone's attempts (start) and close it (export the ceremony list).
 */

interface CohortOpts extends DataDirOpts {
  cohort: string;
  json?: boolean;
}

type CohortWorkspace = Workspace & { cohorts: CohortStore; cohortCatalog(): CohortCatalog };

/** Cohort errors are the caller's to fix (exit 2); everything else goes the way of every command. */
async function run<T>(opts: DataDirOpts, fn: (ws: CohortWorkspace) => Promise<T>): Promise<T> {
  return withWorkspace(opts, async (ws) => {
    const cohorts = (ws.store as Partial<{ cohorts: CohortStore }>).cohorts;
    if (!cohorts) throw new CliError('this store keeps no cohorts; use the SQLite data directory (--data-dir)');
    let catalog: CohortCatalog | undefined;
    const cohortCatalog = () => (catalog ??= (require('../cohorts/catalog') as typeof import('../cohorts/catalog')).cohortCatalog(ws.catalog()));
    try {
      return await fn({ ...ws, cohorts, cohortCatalog });
    } catch (e) {
      if (e instanceof Error && (e.name === 'CohortInputError' || e.name === 'CohortImportError')) throw new CliError(e.message, EXIT.usage);
      throw e;
    }
  });
}

async function cohortOf(ws: CohortWorkspace, id: string): Promise<CohortRecord> {
  const cohort = await ws.cohorts.getCohort(id);
  if (!cohort) throw new CliError(`no cohort "${id}" in ${ws.dataDir}; \`skillproof cohort list\` shows the cohorts`);
  return cohort;
}

function instant(text: string | undefined): string {
  if (text === undefined) return new Date().toISOString();
  const { parseInstant } = require('../cohorts/schedule') as typeof import('../cohorts/schedule');
  return parseInstant(text, '--at');
}

const day = (iso: string) => iso.slice(0, 10);

// ── create, list ──────────────────────────────────────────────────────────────────────────────────

interface CreateOpts extends DataDirOpts {
  programme: string;
  name: string;
  id?: string;
  cadence: string;
  starts: string;
  target: string[];
  groupSize: string;
  voucher: string;
  json?: boolean;
}

async function create(ws: CohortWorkspace, io: CliIo, opts: CreateOpts): Promise<void> {
  const setup = require('../cohorts/setup') as typeof import('../cohorts/setup');
  const cohort = await setup.createCohort(
    { cohorts: ws.cohorts, catalog: ws.cohortCatalog(), actor: actor('admin') },
    {
      programme: opts.programme,
      name: opts.name,
      ...(opts.id ? { id: opts.id } : {}),
      cadenceMonths: opts.cadence,
      startsAt: opts.starts,
      targetAssessmentIds: opts.target.flatMap((t) => t.split(',')),
      groupSize: opts.groupSize,
      voucherRule: setup.parseVoucherRule(opts.voucher),
    },
  );
  if (opts.json) return printJson(io, cohort);
  io.out(`Cohort ${cohort.id} created: ${cohort.name}, ${cohort.cadenceMonths} months from ${day(cohort.startsAt)} to ${day(cohort.endsAt)}.`);
  io.out(`  targets     ${cohort.targetAssessmentIds.join(', ')}`);
  io.out(`  groups      at most ${cohort.groupSize} people, by target and level`);
  io.out(`  vouchers    ${setup.describeVoucherRule(cohort.voucherRule)}`);
  io.out(`  milestones  ${cohort.milestones.length} (\`skillproof cohort schedule --cohort ${cohort.id}\` shows and changes them)`);
  io.out(`Next: \`skillproof cohort import --cohort ${cohort.id} --csv members.csv\` (columns name and/or email, level, target).`);
}

async function list(ws: CohortWorkspace, io: CliIo, opts: DataDirOpts & { programme?: string; json?: boolean }): Promise<void> {
  const cohorts = await ws.cohorts.listCohorts(opts.programme ? { programmeId: opts.programme } : {});
  const rows = await Promise.all(
    cohorts.map(async (c) => ({
      id: c.id,
      programmeId: c.programmeId,
      name: c.name,
      cadenceMonths: c.cadenceMonths,
      startsAt: c.startsAt,
      endsAt: c.endsAt,
      targetAssessmentIds: c.targetAssessmentIds,
      groups: (await ws.cohorts.listGroups(c.id)).length,
      members: (await ws.cohorts.listMembers({ cohortId: c.id })).length,
    })),
  );
  if (opts.json) return printJson(io, { cohorts: rows });
  if (rows.length === 0) return io.out('no cohorts; launch one with `skillproof cohort create --programme "Level Up" --name … --cadence 6 --starts YYYY-MM-DD --target <assessment-id>`');
  io.out(
    formatColumns(rows, [
      { header: 'COHORT', cell: (r) => r.id },
      { header: 'PROGRAMME', cell: (r) => r.programmeId },
      { header: 'MONTHS', cell: (r) => r.cadenceMonths },
      { header: 'STARTS', cell: (r) => day(r.startsAt) },
      { header: 'ENDS', cell: (r) => day(r.endsAt) },
      { header: 'GROUPS', cell: (r) => r.groups },
      { header: 'MEMBERS', cell: (r) => r.members },
      { header: 'TARGETS', cell: (r) => r.targetAssessmentIds.join(', ') },
    ]),
  );
}

// ── show ──────────────────────────────────────────────────────────────────────────────────────────

function views(ws: CohortWorkspace) {
  const { createCohortViews } = require('../cohorts/progress') as typeof import('../cohorts/progress');
  return createCohortViews({ store: ws.store, cohorts: ws.cohorts, catalog: ws.cohortCatalog() });
}

async function show(ws: CohortWorkspace, io: CliIo, opts: CohortOpts & { group?: string; at?: string }): Promise<void> {
  const at = instant(opts.at);
  if (opts.group) {
    const view = await views(ws).groupView(opts.cohort, opts.group, { admin: true }, at);
    if (!view) throw new CliError(`cohort ${opts.cohort} has no group "${opts.group}"; \`skillproof cohort show --cohort ${opts.cohort}\` lists its groups`);
    if (opts.json) return printJson(io, view);
    io.out(`Group ${view.group.name} (${view.group.id}) of cohort ${view.cohort.id}, as of ${at}`);
    io.out(
      formatColumns(view.members, [
        { header: 'MEMBER', cell: (m) => `${m.shownAs}${m.hidden ? ' (hidden)' : ''}` },
        { header: 'LEVEL', cell: (m) => m.level },
        { header: 'MILESTONES', cell: (m) => `${m.milestones.filter((x) => x.reachedAt).length}/${m.milestones.length}` },
        { header: 'TASKS PASSED', cell: (m) => m.tasksPassed.length },
        { header: 'BADGES', cell: (m) => m.badges.map((b) => b.title).join(', ') || '-' },
        { header: 'STANDING', cell: (m) => m.standing },
      ]),
    );
    return;
  }
  const view = await views(ws).cohortView(opts.cohort, at);
  if (!view) throw new CliError(`no cohort "${opts.cohort}" in ${ws.dataDir}; \`skillproof cohort list\` shows the cohorts`);
  if (opts.json) return printJson(io, view);
  const { describeVoucherRule } = require('../cohorts/setup') as typeof import('../cohorts/setup');
  const c = view.cohort;
  const members = view.groups.reduce((n, g) => n + g.members, 0);
  io.out(`Cohort ${c.id}: ${c.name} · programme ${c.programmeId} · ${c.cadenceMonths} months, ${day(c.startsAt)} to ${day(c.endsAt)} · as of ${at}`);
  io.out(`  targets ${c.targetAssessmentIds.join(', ')} · groups of at most ${c.groupSize} · ${describeVoucherRule(c.voucherRule)} · ${members} member(s)`);
  io.out('\nMilestones');
  io.out(
    formatColumns(view.funnel, [
      { header: 'ID', cell: (f) => f.milestoneId },
      { header: 'DUE', cell: (f) => day(f.dueAt) },
      { header: 'REACHED', cell: (f) => `${f.reached}/${f.of}` },
      { header: 'MILESTONE', cell: (f) => f.title },
    ], '  '),
  );
  io.out('\nGroups');
  if (view.groups.length === 0) io.out(`  none yet; \`skillproof cohort import --cohort ${c.id} --csv members.csv\` places members in groups`);
  else
    io.out(
      formatColumns(view.groups, [
        { header: 'GROUP', cell: (g) => g.group.id },
        { header: 'NAME', cell: (g) => g.group.name },
        { header: 'MEMBERS', cell: (g) => g.members },
        { header: 'ON TRACK', cell: (g) => g.onTrack },
        { header: 'BEHIND', cell: (g) => g.behind },
        { header: 'COMPLETED', cell: (g) => g.completed },
      ], '  '),
    );
  if (view.behind.length) {
    const names = new Map(view.groups.map((g) => [g.group.id, g.group.name]));
    io.out('\nBehind (a milestone due by now not reached)');
    io.out(
      formatColumns(view.behind, [
        { header: 'GROUP', cell: (b) => names.get(b.groupId) ?? b.groupId },
        { header: 'MEMBER', cell: (b) => b.shownAs },
        { header: 'MISSED', cell: (b) => b.missed.join(', ') },
      ], '  '),
    );
  }
}

// ── import ────────────────────────────────────────────────────────────────────────────────────────

async function importCsv(ws: CohortWorkspace, io: CliIo, opts: CohortOpts & { csv: string; dryRun?: boolean }): Promise<void> {
  const { importMembers } = require('../cohorts/import') as typeof import('../cohorts/import');
  let text: string;
  try {
    text = readFileSync(resolve(opts.csv), 'utf8');
  } catch (e) {
    throw new CliError(`cannot read --csv ${opts.csv}: ${(e as Error).message}`);
  }
  const lookup = (ws.cohorts as Partial<import('../cohorts/import').CandidateLookup>).findCandidateIds ? (ws.cohorts as unknown as import('../cohorts/import').CandidateLookup) : undefined;
  const outcome = await importMembers({ store: ws.store, cohorts: ws.cohorts, catalog: ws.cohortCatalog(), actor: actor('admin'), ...(lookup ? { lookup } : {}) }, opts.cohort, text, {
    source: opts.csv,
    ...(opts.dryRun ? { dryRun: true } : {}),
  });
  const groups = await ws.cohorts.listGroups(opts.cohort);
  const members = await ws.cohorts.listMembers({ cohortId: opts.cohort });
  const placed = new Map(members.map((m) => [m.candidateId, m.groupId]));
  if (outcome.dryRun) for (const m of outcome.plan.members) placed.set(m.candidateId, m.groupId);
  const sizes = [...groups, ...(outcome.dryRun ? outcome.plan.newGroups : [])].map((g) => ({
    id: g.id,
    name: g.name,
    members: [...placed.values()].filter((id) => id === g.id).length,
  }));
  if (opts.json) return printJson(io, { cohortId: opts.cohort, rows: outcome.rows, dryRun: outcome.dryRun, moved: outcome.moved, ...outcome.result, groups: sizes });
  const r = outcome.result;
  io.out(
    `${outcome.dryRun ? 'Dry run (nothing stored): ' : ''}${outcome.rows} row(s) of ${opts.csv}: ${r.membersAdded} member(s) added, ${r.membersUpdated} updated${outcome.moved ? ` (${outcome.moved} moved group)` : ''}, ${r.membersUnchanged} unchanged; ${r.groupsCreated} group(s) created.`,
  );
  io.out(formatColumns(sizes, [
    { header: 'GROUP', cell: (g) => g.id },
    { header: 'NAME', cell: (g) => g.name },
    { header: 'MEMBERS', cell: (g) => g.members },
  ], '  '));
  if (!outcome.dryRun) io.out(`Next: \`skillproof cohort start --cohort ${opts.cohort}\` starts every member's attempt; \`skillproof cohort show --cohort ${opts.cohort}\` follows progress.`);
}

// ── schedule ──────────────────────────────────────────────────────────────────────────────────────

function printSchedule(io: CliIo, cohort: CohortRecord): void {
  io.out(`Schedule of cohort ${cohort.id}: ${day(cohort.startsAt)} to ${day(cohort.endsAt)} (${cohort.cadenceMonths} months)`);
  io.out(
    formatColumns(cohort.milestones, [
      { header: 'ID', cell: (m) => m.id },
      { header: 'DUE', cell: (m) => m.dueAt },
      { header: 'REQUIRES', cell: (m) => (m.requirement.kind === 'credential' ? `credential ${m.requirement.assessmentId}` : `passed ${m.requirement.taskIds.join(' + ')}`) },
      { header: 'MILESTONE', cell: (m) => m.title },
    ], '  '),
  );
}

async function schedule(ws: CohortWorkspace, io: CliIo, opts: CohortOpts & { file?: string; due?: string[]; defaults?: boolean }): Promise<void> {
  let cohort = await cohortOf(ws, opts.cohort);
  const changing = opts.file !== undefined || (opts.due?.length ?? 0) > 0 || opts.defaults;
  if (changing) {
    if (opts.file !== undefined && opts.defaults) throw new CliError('use either --file or --defaults, not both');
    const { changeSchedule } = require('../cohorts/setup') as typeof import('../cohorts/setup');
    let milestones: Milestone[] | undefined;
    if (opts.file !== undefined) {
      try {
        const parsed = JSON.parse(readFileSync(resolve(opts.file), 'utf8')) as unknown;
        milestones = (Array.isArray(parsed) ? parsed : (parsed as { milestones?: unknown }).milestones) as Milestone[];
        if (!Array.isArray(milestones)) throw new Error('expected a JSON array of milestones, or {"milestones": [...]}');
      } catch (e) {
        throw new CliError(`cannot read --file ${opts.file}: ${(e as Error).message}`);
      }
    }
    const dueDates: Record<string, string> = {};
    for (const d of opts.due ?? []) {
      const m = /^([^=]+)=(.+)$/.exec(d);
      if (!m) throw new CliError(`--due "${d}" must be <milestone-id>=<YYYY-MM-DD>`);
      dueDates[m[1]!.trim()] = m[2]!.trim();
    }
    cohort = await changeSchedule({ cohorts: ws.cohorts, catalog: ws.cohortCatalog(), actor: actor('admin') }, cohort, {
      ...(milestones ? { milestones } : {}),
      ...(opts.defaults ? { defaults: true } : {}),
      dueDates,
    });
  }
  if (opts.json) return printJson(io, { cohortId: cohort.id, startsAt: cohort.startsAt, endsAt: cohort.endsAt, version: cohort.version, milestones: cohort.milestones });
  printSchedule(io, cohort);
}

// ── export ────────────────────────────────────────────────────────────────────────────────────────

async function exportCeremony(ws: CohortWorkspace, io: CliIo, opts: CohortOpts & { at?: string; out?: string }): Promise<void> {
  const cohort = await cohortOf(ws, opts.cohort);
  const at = opts.at === undefined ? (Date.now() < Date.parse(cohort.endsAt) ? new Date().toISOString() : cohort.endsAt) : instant(opts.at);
  const entries = (await views(ws).ceremony(opts.cohort, at))!;
  if (opts.json) return printJson(io, { cohortId: cohort.id, at, entries });
  const { ceremonyCsv } = require('../cohorts/ceremony') as typeof import('../cohorts/ceremony');
  const csv = ceremonyCsv(entries);
  if (!opts.out) return io.out(csv.replace(/\r\n$/, ''));
  writeFileSync(resolve(opts.out), csv);
  const vouchers = entries.filter((e) => e.voucherEligible).length;
  io.out(`Ceremony list of cohort ${cohort.id} as of ${at} written to ${opts.out}: ${entries.length} member(s), ${entries.filter((e) => e.completed).length} completed, ${vouchers} voucher(s).`);
}

// ── start ─────────────────────────────────────────────────────────────────────────────────────────

interface StartOpts extends CohortOpts {
  group?: string;
  concurrency: string;
  replay?: string;
  sandboxes?: string;
}

/** Sandboxes per member from a CSV with columns candidate (id or e-mail), account, role_arn, external_id. */
async function sandboxTable(ws: CohortWorkspace, file: string): Promise<Map<string, SandboxRef>> {
  const { parseCsv } = require('../cohorts/csv') as typeof import('../cohorts/csv');
  const { hashIdentity, looksLikeEmail, normaliseEmail } = require('../attempts/candidate') as typeof import('../attempts/candidate');
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (e) {
    throw new CliError(`cannot read --sandboxes ${file}: ${(e as Error).message}`);
  }
  const { records, problems } = parseCsv(text);
  const [header, ...rows] = records;
  const col = (name: string) => header?.fields.findIndex((f) => f.trim().toLowerCase() === name) ?? -1;
  const at = { candidate: col('candidate'), account: col('account'), roleArn: col('role_arn'), externalId: col('external_id') };
  if (problems.length || Object.values(at).some((i) => i < 0)) {
    throw new CliError(`--sandboxes ${file} must be CSV with columns candidate, account, role_arn, external_id${problems.length ? ` (row ${problems[0]!.row}: ${problems[0]!.message})` : ''}`);
  }
  const salt = await ws.store.installationSalt();
  const out = new Map<string, SandboxRef>();
  for (const { fields } of rows) {
    const who = (fields[at.candidate] ?? '').trim();
    const id = looksLikeEmail(who) ? (await ws.store.findCandidateByEmailHash(hashIdentity(normaliseEmail(who), salt)))?.id : who;
    if (!id) continue;
    out.set(id, { kind: 'aws', accountId: (fields[at.account] ?? '').trim(), roleArn: (fields[at.roleArn] ?? '').trim(), externalId: (fields[at.externalId] ?? '').trim() });
  }
  return out;
}

async function start(ws: CohortWorkspace, io: CliIo, opts: StartOpts): Promise<void> {
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new CliError(`--concurrency must be a whole number from 1 to 64, got "${opts.concurrency}"`);
  if ((opts.replay === undefined) === (opts.sandboxes === undefined)) {
    throw new CliError('each attempt needs a sandbox: --sandboxes FILE (candidate, account, role_arn, external_id per member) for real accounts, or --replay PATH for recorded evidence');
  }
  await cohortOf(ws, opts.cohort);
  const sandboxes = opts.sandboxes !== undefined ? await sandboxTable(ws, opts.sandboxes) : undefined;
  const replay: SandboxRef | undefined = opts.replay !== undefined ? { kind: 'replay', path: resolve(opts.replay) } : undefined;
  const { startAttempt, startCreatedAttempt } = require('./attempt') as typeof import('./attempt');
  const { bulkStart } = require('../cohorts/bulk-start') as typeof import('../cohorts/bulk-start');
  const by = actor('admin');
  const width = { n: 0 };
  const summary = await bulkStart(
    {
      store: ws.store,
      cohorts: ws.cohorts,
      concurrency,
      actor: by,
      startAttempt: async (member) => {
        const sandbox = replay ?? sandboxes?.get(member.candidateId);
        if (!sandbox) throw new Error(`no sandbox for ${member.candidateId} in --sandboxes ${opts.sandboxes}`);
        return startAttempt(ws, { targetId: member.targetAssessmentId, candidate: member.candidateId, sandbox, by, ...(opts.replay !== undefined ? { replayLabel: opts.replay } : {}) });
      },
      resumeAttempt: (attempt) => startCreatedAttempt(ws, attempt.id, by),
      onProgress: (p) => {
        if (opts.json) return;
        width.n ||= String(p.total).length;
        const what = p.outcome === 'failed' ? `FAILED: ${p.error}` : `${p.outcome} ${p.attemptId}`;
        io.err(`[${String(p.done).padStart(width.n)}/${p.total}] ${p.candidateId} ${what}`);
      },
    },
    opts.cohort,
    opts.group ?? null,
  );
  if (summary.failed.length) io.setExitCode(EXIT.failed);
  if (opts.json) return printJson(io, summary);
  io.out(
    `${summary.resumed ? 'Resumed' : 'Ran'} ${summary.runId}: ${summary.total} member(s): ${summary.started} started, ${summary.adopted} already had an attempt (kept), ${summary.alreadyStarted} started earlier, ${summary.failed.length} failed.`,
  );
  if (summary.failed.length) io.out(`Fix the failures and run the same command again: it resumes this run and never starts a second attempt for a member.`);
}

// ── registration ──────────────────────────────────────────────────────────────────────────────────

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command, io: CliIo): void {
  const cohort = program.command('cohort').description('learning cohorts: groups by level and target, a fixed cadence with milestones, visible progress and badges (no leaderboard)');
  cohort
    .command('create')
    .description('create a cohort (and its programme, on first use) with default milestones for its cadence')
    .requiredOption('--programme <name-or-id>', 'the programme, e.g. "Level Up" (created if new)')
    .requiredOption('--name <name>', 'the cohort, e.g. "Level Up 2026 Spring"')
    .option('--id <id>', 'cohort id (default: the name in kebab-case)')
    .requiredOption('--cadence <months>', 'how long it runs: 3, 6 or 9 months')
    .requiredOption('--starts <date>', 'first day, YYYY-MM-DD (UTC)')
    .requiredOption('--target <assessment-id>', 'a target assessment (repeat, or comma-separate, for several)', collect)
    .option('--group-size <n>', 'largest learning group', '10')
    .option('--voucher <rule>', 'who gets an exam voucher: none | credential | credential:YYYY-MM-DD | milestones:N', 'credential')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action((opts: CreateOpts) => run(opts, (ws) => create(ws, io, opts)));
  cohort
    .command('list')
    .description('every cohort, with its groups and members')
    .option('--programme <id>', 'only this programme')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action((opts: DataDirOpts & { programme?: string; json?: boolean }) => run(opts, (ws) => list(ws, io, opts)));
  cohort
    .command('show')
    .description("a cohort's milestones funnel, groups and who is behind; with --group, the group's members and their progress")
    .requiredOption('--cohort <id>', 'the cohort')
    .option('--group <id>', 'one group')
    .option('--at <date>', 'as of this date or instant (default: now)')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action((opts: CohortOpts & { group?: string; at?: string }) => run(opts, (ws) => show(ws, io, opts)));
  cohort
    .command('import')
    .description('add members from a CSV (name and/or email, level, target): all rows or none; importing again only adds and updates')
    .requiredOption('--cohort <id>', 'the cohort')
    .requiredOption('--csv <file>', 'the member list')
    .option('--dry-run', 'check the file and show the placement without storing anything')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action((opts: CohortOpts & { csv: string; dryRun?: boolean }) => run(opts, (ws) => importCsv(ws, io, opts)));
  cohort
    .command('schedule')
    .description("show the cohort's milestones, or change them: move dates (--due), replace them (--file), or restore the defaults")
    .requiredOption('--cohort <id>', 'the cohort')
    .option('--due <id=date>', 'move a milestone, e.g. --due m2=2026-04-15 (repeatable)', collect)
    .option('--file <json>', 'replace the milestones: [{"id","title","dueAt","requirement":{"kind":"tasks-passed","taskIds":[…]}|{"kind":"credential","assessmentId"}}]')
    .option('--defaults', "restore the default milestones for the cohort's cadence")
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action((opts: CohortOpts & { file?: string; due?: string[]; defaults?: boolean }) => run(opts, (ws) => schedule(ws, io, opts)));
  cohort
    .command('export')
    .description('the closing ceremony list as CSV: completion, credentials and voucher per member (by name, never ranked)')
    .requiredOption('--cohort <id>', 'the cohort')
    .option('--at <date>', "as of this date or instant (default: now, or the cohort's end once it has passed)")
    .option('--out <file>', 'write the CSV here instead of printing it')
    .addOption(dataDirOption())
    .option('--json', 'print JSON instead of CSV')
    .action((opts: CohortOpts & { at?: string; out?: string }) => run(opts, (ws) => exportCeremony(ws, io, opts)));
  cohort
    .command('start')
    .description('start an attempt for every member of the cohort or one group (resumable: running it again never starts a second attempt for a member)')
    .requiredOption('--cohort <id>', 'the cohort')
    .option('--group <id>', 'only this group')
    .option('--concurrency <n>', 'attempts started at a time', '4')
    .option('--sandboxes <csv>', 'real accounts: candidate (id or e-mail), account, role_arn, external_id per member')
    .option('--replay <path>', 'recorded evidence for every member (demos and tests)')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action((opts: StartOpts) => run(opts, (ws) => start(ws, io, opts)));
}
