/**
 * Launching a cohort: a programme (created on first use), the cohort with its cadence, targets,
 * group size and voucher rule, and its default milestones; then changes to its schedule.
 */
import type { CohortRecord, CohortStore, Milestone, VoucherRule } from '../store/cohort-types';
import type { CohortCatalog } from './catalog';
import { CohortInputError } from './errors';
import { addMonths, defaultMilestones, milestoneProblems, parseCadence, parseInstant } from './schedule';

export interface CohortSetupDeps {
  cohorts: CohortStore;
  catalog: CohortCatalog;
  actor: string;
}

export interface CreateCohortInput {
  /** Programme id or name; a name that is not an id yet creates the programme. */
  programme: string;
  name: string;
  /** Default: the name as kebab-case. */
  id?: string;
  cadenceMonths: number | string;
  /** `YYYY-MM-DD` (UTC) or an ISO instant. */
  startsAt: string;
  targetAssessmentIds: string[];
  groupSize: number | string;
  voucherRule?: VoucherRule;
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** "Level Up 2026 — Spring" → "level-up-2026-spring". */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/**
 * `none`, `credential` (a credential for a target by the cohort's end), `credential:YYYY-MM-DD`
 * (by that date) or `milestones:N` (at least N milestones reached by the end).
 */
export function parseVoucherRule(text: string): VoucherRule {
  const [kind, arg] = text.trim().split(/:(.*)/s);
  if (kind === 'none' && arg === undefined) return { kind: 'none' };
  if (kind === 'credential') return arg ? { kind: 'credential-by', deadline: parseInstant(arg, 'voucher deadline') } : { kind: 'credential-by' };
  if (kind === 'milestones' && arg !== undefined && /^\d+$/.test(arg) && Number(arg) >= 1) return { kind: 'milestones', count: Number(arg) };
  throw new CohortInputError(`voucher rule "${text}" must be none, credential, credential:YYYY-MM-DD or milestones:N (N at least 1)`);
}

export function describeVoucherRule(rule: VoucherRule): string {
  if (rule.kind === 'none') return 'no vouchers';
  if (rule.kind === 'credential-by') return `a voucher for a target credential earned by ${rule.deadline?.slice(0, 10) ?? "the cohort's end"}`;
  return `a voucher for ${rule.count} milestone(s) reached by the cohort's end`;
}

export function parseGroupSize(value: number | string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2 || n > 500) throw new CohortInputError(`group size must be a whole number from 2 to 500, got "${value}"`);
  return n;
}

export async function createCohort(deps: CohortSetupDeps, input: CreateCohortInput): Promise<CohortRecord> {
  const name = input.name.trim();
  if (!name || name.length > 120) throw new CohortInputError('a cohort needs a name of 1-120 characters (--name)');
  const id = input.id ?? slugify(name);
  if (!ID.test(id)) throw new CohortInputError(`cohort id "${id}" must be 1-63 lower-case letters, digits or "-" (choose one with --id)`);
  if (await deps.cohorts.getCohort(id)) throw new CohortInputError(`a cohort "${id}" already exists; choose another name or --id`);
  const cadenceMonths = parseCadence(input.cadenceMonths);
  const startsAt = parseInstant(input.startsAt, 'start date');
  const groupSize = parseGroupSize(input.groupSize);
  const targets = [...new Set(input.targetAssessmentIds.map((t) => t.trim()).filter(Boolean))];
  if (targets.length === 0) throw new CohortInputError('a cohort needs at least one target assessment (--target aws-serverless)');
  const unknown = targets.filter((t) => !deps.catalog.assessment(t));
  if (unknown.length) {
    throw new CohortInputError(`${unknown.map((t) => `"${t}"`).join(', ')} ${unknown.length === 1 ? 'is not an assessment' : 'are not assessments'}; known: ${deps.catalog.assessmentIds().join(', ')}`);
  }
  const voucherRule = input.voucherRule ?? { kind: 'credential-by' };
  const endsAt = addMonths(startsAt, cadenceMonths);
  if (voucherRule.kind === 'credential-by' && voucherRule.deadline && voucherRule.deadline < startsAt) {
    throw new CohortInputError(`the voucher deadline ${voucherRule.deadline} is before the cohort starts (${startsAt})`);
  }
  const programme = await ensureProgramme(deps, input.programme);
  const base = { startsAt, endsAt, targetAssessmentIds: targets };
  return deps.cohorts.createCohort(
    { id, programmeId: programme.id, name, cadenceMonths, ...base, groupSize, milestones: defaultMilestones(base, deps.catalog), voucherRule },
    { actor: deps.actor, action: 'cohort.created', subject: id, data: { programmeId: programme.id, cadenceMonths, startsAt, targets, groupSize, voucherRule } },
  );
}

async function ensureProgramme(deps: CohortSetupDeps, programme: string) {
  const text = programme.trim();
  const id = ID.test(text) ? text : slugify(text);
  if (!id) throw new CohortInputError('a cohort belongs to a programme: --programme "Level Up"');
  const existing = await deps.cohorts.getProgramme(id);
  if (existing) return existing;
  return deps.cohorts.createProgramme({ id, name: text }, { actor: deps.actor, action: 'programme.created', subject: id });
}

export interface ScheduleChange {
  /** Replace every milestone (checked against the cohort's dates and targets). */
  milestones?: Milestone[];
  /** Go back to the default milestones for the cadence. */
  defaults?: boolean;
  /** Move milestones: id → `YYYY-MM-DD` or ISO instant. */
  dueDates?: Record<string, string>;
}

/** Changes the cohort's milestones (compare-and-set on its version); throws with every problem found. */
export async function changeSchedule(deps: CohortSetupDeps, cohort: CohortRecord, change: ScheduleChange): Promise<CohortRecord> {
  let milestones: Milestone[] = change.defaults ? defaultMilestones(cohort, deps.catalog) : (change.milestones ?? cohort.milestones).map((m) => ({ ...m }));
  const moves = Object.entries(change.dueDates ?? {});
  for (const [id, date] of moves) {
    const m = milestones.find((x) => x.id === id);
    if (!m) throw new CohortInputError(`cohort ${cohort.id} has no milestone "${id}" (it has ${milestones.map((x) => x.id).join(', ') || 'none'})`);
    m.dueAt = parseInstant(date, `due date of ${id}`);
  }
  milestones = milestones.map((m) => ({ ...m, dueAt: Number.isNaN(Date.parse(m.dueAt)) ? m.dueAt : parseInstant(m.dueAt, `due date of ${m.id}`) }));
  const problems = milestoneProblems(milestones, cohort, deps.catalog);
  if (problems.length) throw new CohortInputError(`the schedule of cohort ${cohort.id} was not changed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  milestones.sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || a.id.localeCompare(b.id, 'en', { numeric: true }));
  return deps.cohorts.updateCohort(cohort.id, cohort.version, { milestones }, {
    actor: deps.actor,
    action: 'cohort.schedule-changed',
    subject: cohort.id,
    data: { milestones: milestones.map((m) => ({ id: m.id, dueAt: m.dueAt })) },
  });
}
