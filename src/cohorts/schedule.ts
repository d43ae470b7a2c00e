/**
 * A cohort's calendar: it runs for its cadence (3, 6 or 9 calendar months from the start) and, by
 * default, has one milestone per task of each target assessment, evenly spaced, then the
 * credential itself at the end. An organiser may replace the milestones or move their dates.
 */
import { COHORT_CADENCES, type CohortCadenceMonths, type CohortRecord, type Milestone } from '../store/cohort-types';
import type { CohortCatalog } from './catalog';
import { CohortInputError } from './errors';

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` (UTC midnight) or a full ISO instant, as an ISO instant; throws on anything else. */
export function parseInstant(text: string, what: string): string {
  const value = text.trim();
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(iso) ? Date.parse(iso) : NaN;
  if (Number.isNaN(ms)) throw new CohortInputError(`${what} "${text}" is not a date: write YYYY-MM-DD (UTC) or an ISO instant such as 2026-03-02T09:00:00Z`);
  return new Date(ms).toISOString();
}

export function parseCadence(text: string | number): CohortCadenceMonths {
  const months = Number(text);
  if (!(COHORT_CADENCES as readonly number[]).includes(months)) throw new CohortInputError(`cadence must be ${COHORT_CADENCES.join(', ')} months, got "${text}"`);
  return months as CohortCadenceMonths;
}

/** `months` calendar months after `iso` (UTC), the day clamped to the month's last (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(iso: string, months: number): string {
  const d = new Date(iso);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const out = new Date(d);
  out.setUTCFullYear(y, m, Math.min(d.getUTCDate(), lastDay));
  return out.toISOString();
}

/**
 * The default milestones: for each target assessment with n tasks, "Pass <task>" at i/(n+1) of the
 * way through (whole days after the start), then "Earn <assessment>" at the end. Ids are m1, m2, …
 * in date order.
 */
export function defaultMilestones(cohort: Pick<CohortRecord, 'startsAt' | 'endsAt' | 'targetAssessmentIds'>, catalog: CohortCatalog): Milestone[] {
  const start = Date.parse(cohort.startsAt);
  const span = Date.parse(cohort.endsAt) - start;
  const drafts: Array<Omit<Milestone, 'id'>> = [];
  for (const assessmentId of cohort.targetAssessmentIds) {
    const assessment = catalog.assessment(assessmentId);
    if (!assessment) throw new CohortInputError(`target "${assessmentId}" is not an assessment in the catalog`);
    assessment.tasks.forEach((taskId, i) => {
      const days = Math.round((span * (i + 1)) / (assessment.tasks.length + 1) / DAY_MS);
      drafts.push({
        title: `Pass ${catalog.taskTitle(taskId) ?? taskId}`,
        dueAt: new Date(start + days * DAY_MS).toISOString(),
        requirement: { kind: 'tasks-passed', taskIds: [taskId] },
      });
    });
    drafts.push({ title: `Earn ${assessment.title}`, dueAt: cohort.endsAt, requirement: { kind: 'credential', assessmentId } });
  }
  // Stable sort: at equal dates the targets keep their order, tasks before the credential.
  return drafts.sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt)).map((m, i) => ({ id: `m${i + 1}`, ...m }));
}

/** Every problem with a set of milestones, one sentence each (none: they are usable). */
export function milestoneProblems(milestones: readonly Milestone[], cohort: Pick<CohortRecord, 'startsAt' | 'endsAt' | 'targetAssessmentIds'>, catalog: CohortCatalog): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const targetTasks = new Set(cohort.targetAssessmentIds.flatMap((id) => catalog.assessment(id)?.tasks ?? []));
  for (const m of milestones) {
    const where = `milestone ${m.id || '(no id)'}`;
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(m.id)) problems.push(`${where}: id must be 1-32 lower-case letters, digits or "-"`);
    if (ids.has(m.id)) problems.push(`${where}: the id is used twice`);
    ids.add(m.id);
    if (!m.title?.trim()) problems.push(`${where}: needs a title`);
    const due = Date.parse(m.dueAt);
    if (Number.isNaN(due)) problems.push(`${where}: due date "${m.dueAt}" is not an ISO instant`);
    else if (due < Date.parse(cohort.startsAt) || due > Date.parse(cohort.endsAt)) {
      problems.push(`${where}: due ${m.dueAt} lies outside the cohort (${cohort.startsAt} to ${cohort.endsAt})`);
    }
    const r = m.requirement;
    if (r?.kind === 'tasks-passed') {
      if (!Array.isArray(r.taskIds) || r.taskIds.length === 0) problems.push(`${where}: names no task`);
      for (const t of r.taskIds ?? []) {
        if (!targetTasks.has(t)) problems.push(`${where}: task "${t}" is not a task of the cohort's target assessments (${cohort.targetAssessmentIds.join(', ')})`);
      }
    } else if (r?.kind === 'credential') {
      if (!cohort.targetAssessmentIds.includes(r.assessmentId)) problems.push(`${where}: credential "${r.assessmentId}" is not one of the cohort's targets (${cohort.targetAssessmentIds.join(', ')})`);
    } else {
      problems.push(`${where}: requirement must be {"kind":"tasks-passed","taskIds":[…]} or {"kind":"credential","assessmentId":"…"}`);
    }
  }
  return problems;
}

/**
 * Whether a milestone concerns a member aiming at `targetAssessmentId`: a credential milestone for
 * that assessment, or a tasks milestone whose tasks all belong to it.
 */
export function milestoneApplies(milestone: Milestone, targetAssessmentId: string, catalog: Pick<CohortCatalog, 'assessment'>): boolean {
  const r = milestone.requirement;
  if (r.kind === 'credential') return r.assessmentId === targetAssessmentId;
  const tasks = new Set(catalog.assessment(targetAssessmentId)?.tasks ?? []);
  return r.taskIds.every((t) => tasks.has(t));
}
