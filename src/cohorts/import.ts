/**
 * Importing a member list into a cohort: read and check every row, find or create each person's
 * pseudonymous candidate, place newcomers in groups, and store it all in one transaction.
 *
 * Identity, as elsewhere in SkillProof: an e-mail address is kept only as the installation-salted
 * hash on the candidate (found with `findCandidateByEmailHash`, or a new candidate with a random
 * `cand-…` id, exactly as `skillproof attempt start --candidate <e-mail>` does). A row with a name
 * and no e-mail gets a candidate whose id is derived from the cohort, the normalised name and the
 * installation salt (`cand-` + 12 hex of a sha256), so importing the same list again finds the same
 * candidate, and the id reveals nothing about the name. The name itself is stored only as the
 * member's display name, which the member may change; it is never put on the candidate.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { hashIdentity } from '../attempts/candidate';
import { sha256Hex } from '../store/canonical-json';
import type { CohortRecord, CohortStore, ImportPlan, ImportResult } from '../store/cohort-types';
import type { CandidateRecord, Store } from '../store/types';
import type { CohortCatalog } from './catalog';
import { CohortInputError } from './errors';
import { planPlacement, type Arrival } from './placement';
import { nameKey, readRoster } from './roster';

/** Many candidates found in one read (SqliteCohortStore has it); without one, the import asks the store row by row. */
export interface CandidateLookup {
  findCandidateIds(query: { emailHashes: readonly string[]; ids: readonly string[] }): Promise<{ byEmailHash: Map<string, string>; existingIds: Set<string> }>;
}

export interface ImportDeps {
  store: Pick<Store, 'installationSalt' | 'findCandidateByEmailHash' | 'getCandidate'>;
  cohorts: CohortStore;
  catalog: CohortCatalog;
  actor: string;
  lookup?: CandidateLookup;
  /** Group ids (default `grp-` + 12 random hex). */
  newGroupId?: () => string;
}

export interface ImportOptions {
  /** Names the file in error messages. */
  source?: string;
  /** Plan only: report what would change and store nothing. */
  dryRun?: boolean;
}

export interface ImportOutcome {
  cohort: CohortRecord;
  rows: number;
  result: ImportResult;
  /** Members whose level or target changed and who moved group. */
  moved: number;
  dryRun: boolean;
  plan: ImportPlan;
}

/** The id of the candidate for a name-only row: stable per cohort, name and installation. */
export function nameCandidateId(cohortId: string, name: string, salt: string): string {
  return `cand-${sha256Hex(`cohort-member-name\u0000${cohortId}\u0000${nameKey(name)}\u0000${salt}`).slice(0, 12)}`;
}

/** `<assessment title> · <level> · <n>`, e.g. "AWS Serverless Builder · foundation · 2". */
export function groupName(catalog: Pick<CohortCatalog, 'assessment'>, targetAssessmentId: string, level: string, index: number): string {
  return `${catalog.assessment(targetAssessmentId)?.title ?? targetAssessmentId} · ${level} · ${index}`;
}

export async function importMembers(deps: ImportDeps, cohortId: string, csv: string, options: ImportOptions = {}): Promise<ImportOutcome> {
  const cohort = await deps.cohorts.getCohort(cohortId);
  if (!cohort) throw new CohortInputError(`no cohort "${cohortId}"; \`skillproof cohort list\` shows the cohorts`);
  const rows = readRoster(csv, { targets: cohort.targetAssessmentIds, catalog: deps.catalog }, options.source);

  const salt = await deps.store.installationSalt();
  const keyed = rows.map((row) => (row.email ? { row, emailHash: hashIdentity(row.email, salt) } : { row, id: nameCandidateId(cohort.id, row.name!, salt) }));
  const known = await knownCandidates(deps, keyed);
  const candidates: Array<Omit<CandidateRecord, 'createdAt'>> = [];
  const arrivals: Arrival[] = [];
  for (const { row, emailHash, id } of keyed) {
    let candidateId: string;
    if (emailHash !== undefined) {
      candidateId = known.byEmailHash.get(emailHash) ?? `cand-${randomBytes(6).toString('hex')}`;
      if (!known.byEmailHash.has(emailHash)) candidates.push({ id: candidateId, subjectId: `urn:uuid:${randomUUID()}`, emailHash });
    } else {
      candidateId = id!;
      if (!known.existingIds.has(candidateId)) candidates.push({ id: candidateId, subjectId: `urn:uuid:${randomUUID()}`, emailHash: null });
    }
    arrivals.push({ candidateId, level: row.level, targetAssessmentId: row.targetAssessmentId, displayName: row.name, importRow: row.row });
  }
  const [groups, members] = await Promise.all([deps.cohorts.listGroups(cohort.id), deps.cohorts.listMembers({ cohortId: cohort.id })]);
  const placement = planPlacement({
    cohortId: cohort.id,
    groupSize: cohort.groupSize,
    groups,
    members,
    arrivals,
    groupName: (target, level, index) => groupName(deps.catalog, target, level, index),
    newGroupId: deps.newGroupId ?? (() => `grp-${randomBytes(6).toString('hex')}`),
  });
  const plan: ImportPlan = { cohortId: cohort.id, expectedVersion: cohort.version, candidates, newGroups: placement.newGroups, members: placement.members };
  if (options.dryRun) return { cohort, rows: rows.length, result: predict(plan, members), moved: placement.moved, dryRun: true, plan };
  const result = await deps.cohorts.applyImport(plan, {
    actor: deps.actor,
    action: 'cohort.members-imported',
    subject: cohort.id,
    data: { source: options.source ?? null, rows: rows.length, moved: placement.moved },
  });
  return { cohort: (await deps.cohorts.getCohort(cohort.id)) ?? cohort, rows: rows.length, result, moved: placement.moved, dryRun: false, plan };
}

/** The candidates that already exist: by e-mail hash (as `attempt start --candidate <e-mail>` finds them), or by derived id. */
async function knownCandidates(deps: ImportDeps, keyed: ReadonlyArray<{ emailHash?: string; id?: string }>): Promise<{ byEmailHash: Map<string, string>; existingIds: Set<string> }> {
  const emailHashes = keyed.flatMap((k) => (k.emailHash !== undefined ? [k.emailHash] : []));
  const ids = keyed.flatMap((k) => (k.id !== undefined ? [k.id] : []));
  if (deps.lookup) return deps.lookup.findCandidateIds({ emailHashes, ids });
  const byEmailHash = new Map<string, string>();
  const existingIds = new Set<string>();
  for (const hash of emailHashes) {
    const found = await deps.store.findCandidateByEmailHash(hash);
    if (found) byEmailHash.set(hash, found.id);
  }
  for (const id of ids) if (await deps.store.getCandidate(id)) existingIds.add(id);
  return { byEmailHash, existingIds };
}

/** What applying the plan would do, for a dry run (the store's own comparison, without writing). */
function predict(plan: ImportPlan, existing: ReadonlyArray<ImportPlan['members'][number]>): ImportResult {
  const byId = new Map(existing.map((m) => [m.candidateId, m]));
  const result: ImportResult = { candidatesCreated: plan.candidates?.length ?? 0, groupsCreated: plan.newGroups.length, membersAdded: 0, membersUpdated: 0, membersUnchanged: 0 };
  for (const m of plan.members) {
    const e = byId.get(m.candidateId);
    if (!e) result.membersAdded += 1;
    else if (e.groupId === m.groupId && e.level === m.level && e.targetAssessmentId === m.targetAssessmentId && e.displayName === m.displayName && e.hidden === m.hidden && e.importRow === m.importRow) result.membersUnchanged += 1;
    else result.membersUpdated += 1;
  }
  return result;
}
