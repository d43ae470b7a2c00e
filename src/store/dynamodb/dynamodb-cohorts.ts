/**
 * CohortStore on the DynamoDB store's table. A cohort's record, groups and members share the
 * partition `COH#<cohortId>` (one strongly consistent Query reads them all, which an import needs
 * to decide what it adds and updates); a group is also found by id through `GRP#<groupId>`, and a
 * member by candidate through gsi2. An import is one commit (see commit-log.ts): decided in full,
 * then carried by its audit entry, so it is all or nothing however many items it writes.
 * Records carry `ord` (commit seq and position) so lists come back in insertion order, as SQLite's
 * rowid order does.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  COHORT_CADENCES,
  type BulkItemRecord,
  type BulkItemState,
  type BulkRunRecord,
  type CohortPatch,
  type CohortRecord,
  type GroupRecord,
  type ImportPlan,
  type ImportResult,
  type MemberPatch,
  type MemberRecord,
  type NewCohort,
  type ProgrammeRecord,
} from '../cohort-types';
import { ConcurrentModificationError, ConstraintViolationError, NotFoundError, StoreError } from '../errors';
import type { AuditInput, CandidateRecord } from '../types';
import type { CommitContext, Decision, Write } from './commit-log';
import { isConditionalCheckFailed, keys, recordItem, recordOf, type TableAccess } from './table-access';

type Ordered<T> = T & { ord: number };
type Commit = <T>(audit: AuditInput, decide: (ctx: CommitContext) => Promise<Decision<T>>) => Promise<T>;

const BULK_STATES: readonly BulkItemState[] = ['pending', 'started', 'failed'];

export class DynamoCohorts {
  constructor(
    private readonly access: TableAccess,
    private readonly commit: Commit,
  ) {}

  async createProgramme(programme: Omit<ProgrammeRecord, 'createdAt'>, audit: AuditInput): Promise<ProgrammeRecord> {
    return this.commit<ProgrammeRecord>(audit, async ({ at }) => {
      if (await this.access.get(keys.programme(programme.id))) throw new ConstraintViolationError('programmes.id', `programme ${programme.id} already exists`);
      const record: ProgrammeRecord = { id: programme.id, name: programme.name, createdAt: at };
      return { writes: [{ mode: 'create', item: recordItem(keys.programme(record.id), 'programme', record, { gsi1: ['PROGS', `${at}#${record.id}`] }) }], result: record };
    });
  }

  async getProgramme(id: string): Promise<ProgrammeRecord | undefined> {
    return this.access.getRecord<ProgrammeRecord>(keys.programme(id));
  }

  async listProgrammes(): Promise<ProgrammeRecord[]> {
    return sortBy((await this.access.index('gsi1', 'PROGS')).map((i) => recordOf<ProgrammeRecord>(i)), (p) => `${p.createdAt}#${p.id}`);
  }

  async createCohort(cohort: NewCohort, audit: AuditInput): Promise<CohortRecord> {
    return this.commit<CohortRecord>(audit, async ({ at }) => {
      if (!(await this.access.get(keys.programme(cohort.programmeId)))) {
        throw new ConstraintViolationError('cohorts.programme_id', `cohort ${cohort.id} names programme ${cohort.programmeId}, which does not exist (FOREIGN KEY)`);
      }
      if (await this.access.get(keys.cohort(cohort.id))) throw new ConstraintViolationError('cohorts.id', `cohort ${cohort.id} already exists`);
      const record: CohortRecord = { ...cohort, version: 1, createdAt: at, updatedAt: at };
      checkCohort(record);
      return { writes: [cohortWrite(record, 'create')], result: record };
    });
  }

  async getCohort(id: string): Promise<CohortRecord | undefined> {
    return this.access.getRecord<CohortRecord>(keys.cohort(id));
  }

  async listCohorts(filter: { programmeId?: string } = {}): Promise<CohortRecord[]> {
    const items = filter.programmeId ? await this.access.index('gsi2', `PROGCOH#${filter.programmeId}`) : await this.access.index('gsi1', 'COHORTS');
    return sortBy(items.map((i) => recordOf<CohortRecord>(i)), (c) => `${c.createdAt}#${c.id}`);
  }

  async updateCohort(cohortId: string, expectedVersion: number, patch: CohortPatch, audit: AuditInput): Promise<CohortRecord> {
    return this.commit<CohortRecord>(audit, async ({ at }) => {
      const current = await this.currentCohort(cohortId, expectedVersion);
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const next: CohortRecord = { ...current, ...defined, version: current.version + 1, updatedAt: at };
      checkCohort(next);
      return { writes: [cohortWrite(next, 'replace')], result: next };
    });
  }

  async applyImport(plan: ImportPlan, audit: AuditInput): Promise<ImportResult> {
    return this.commit<ImportResult>(audit, async ({ seq, at }) => {
      const cohort = await this.currentCohort(plan.cohortId, plan.expectedVersion);
      const partition = await this.access.partition(`COH#${plan.cohortId}`);
      const groups = new Map<string, Ordered<GroupRecord>>();
      const members = new Map<string, Ordered<MemberRecord>>();
      for (const item of partition) {
        if (item.sk?.S?.startsWith('GRP#')) {
          const g = recordOf<Ordered<GroupRecord>>(item);
          groups.set(g.id, g);
        } else if (item.sk?.S?.startsWith('MEM#')) {
          const m = recordOf<Ordered<MemberRecord>>(item);
          members.set(m.candidateId, m);
        }
      }
      const writes: Write[] = [];
      const result: ImportResult = { groupsCreated: 0, membersAdded: 0, membersUpdated: 0, membersUnchanged: 0 };
      let ord = seq * 1_000_000;

      const candidatesCreated = new Set<string>();
      if (plan.candidates) {
        result.candidatesCreated = 0;
        for (const c of plan.candidates) {
          if (candidatesCreated.has(c.id) || (await this.access.get(keys.candidate(c.id)))) continue;
          const record: CandidateRecord = { id: c.id, subjectId: c.subjectId, emailHash: c.emailHash, createdAt: at };
          writes.push({ mode: 'once', item: recordItem(keys.candidate(c.id), 'candidate', record) });
          await this.claim(writes, keys.candidateSubject(c.subjectId), 'candidates.subject_id', { candidateId: c.id });
          if (c.emailHash) await this.claim(writes, keys.candidateEmail(c.emailHash), 'candidates.email_hash', { candidateId: c.id });
          candidatesCreated.add(c.id);
          result.candidatesCreated += 1;
        }
      }

      for (const g of plan.newGroups) {
        if (g.cohortId !== plan.cohortId) throw new ConstraintViolationError('groups.cohort_id', `group ${g.id} belongs to cohort ${g.cohortId}, not ${plan.cohortId}`);
        const existing = groups.get(g.id);
        if (existing) {
          if (existing.name !== g.name || existing.level !== g.level || existing.targetAssessmentId !== g.targetAssessmentId) {
            throw new ConstraintViolationError('groups.id', `group ${g.id} already exists in cohort ${plan.cohortId} with other details`);
          }
          continue;
        }
        if (await this.access.get(keys.groupRef(g.id))) throw new ConstraintViolationError('groups.id', `group ${g.id} already exists in another cohort`);
        const record: Ordered<GroupRecord> = { ...g, createdAt: at, ord: ord++ };
        groups.set(g.id, record);
        writes.push(
          { mode: 'once', item: recordItem(keys.group(g.cohortId, g.id), 'group', record) },
          { mode: 'once', item: recordItem(keys.groupRef(g.id), 'group-ref', { cohortId: g.cohortId }) },
        );
        result.groupsCreated += 1;
      }

      const seen = new Set<string>();
      for (const m of plan.members) {
        if (m.cohortId !== plan.cohortId) throw new ConstraintViolationError('members.cohort_id', `member ${m.candidateId} belongs to cohort ${m.cohortId}, not ${plan.cohortId}`);
        if (seen.has(m.candidateId)) throw new ConstraintViolationError('members.candidate_id', `candidate ${m.candidateId} appears twice in the import`);
        seen.add(m.candidateId);
        if (!groups.has(m.groupId)) throw new ConstraintViolationError('members.group_id', `member ${m.candidateId} is placed in group ${m.groupId}, which is not a group of cohort ${plan.cohortId}`);
        if (!candidatesCreated.has(m.candidateId) && !(await this.access.get(keys.candidate(m.candidateId)))) {
          throw new ConstraintViolationError('members.candidate_id', `member ${m.candidateId} is not a candidate (FOREIGN KEY)`);
        }
        const existing = members.get(m.candidateId);
        if (existing && sameMember(existing, m)) {
          result.membersUnchanged += 1;
          continue;
        }
        const record: Ordered<MemberRecord> = existing
          ? { ...existing, ...m, updatedAt: at }
          : { ...m, joinedAt: at, updatedAt: at, ord: ord++ };
        writes.push(memberWrite(record, existing ? 'replace' : 'create'));
        if (existing) result.membersUpdated += 1;
        else result.membersAdded += 1;
      }
      if (writes.length > 0) writes.push(cohortWrite({ ...cohort, version: cohort.version + 1, updatedAt: at }, 'replace'));
      return { writes, result };
    });
  }

  async getGroup(id: string): Promise<GroupRecord | undefined> {
    const ref = await this.access.getRecord<{ cohortId: string }>(keys.groupRef(id));
    const group = ref && (await this.access.getRecord<Ordered<GroupRecord>>(keys.group(ref.cohortId, id)));
    return group && strip(group);
  }

  async listGroups(cohortId: string): Promise<GroupRecord[]> {
    const groups = (await this.access.partition(`COH#${cohortId}`, 'GRP#')).map((i) => recordOf<Ordered<GroupRecord>>(i));
    return groups.sort((a, b) => a.ord - b.ord).map(strip);
  }

  async getMember(cohortId: string, candidateId: string): Promise<MemberRecord | undefined> {
    const member = await this.access.getRecord<Ordered<MemberRecord>>(keys.member(cohortId, candidateId));
    return member && strip(member);
  }

  async listMembers(filter: { cohortId?: string; groupId?: string; candidateId?: string }): Promise<MemberRecord[]> {
    let cohortId = filter.cohortId;
    if (!cohortId && filter.groupId) cohortId = (await this.access.getRecord<{ cohortId: string }>(keys.groupRef(filter.groupId)))?.cohortId ?? '';
    let items;
    if (cohortId !== undefined) items = await this.access.partition(`COH#${cohortId}`, 'MEM#');
    else if (filter.candidateId) items = await this.access.index('gsi2', `CANDMEM#${filter.candidateId}`);
    else items = await this.access.index('gsi1', 'MEMBERS');
    return items
      .map((i) => recordOf<Ordered<MemberRecord>>(i))
      .filter((m) => (!filter.groupId || m.groupId === filter.groupId) && (!filter.candidateId || m.candidateId === filter.candidateId))
      .sort((a, b) => a.ord - b.ord)
      .map(strip);
  }

  async updateMember(cohortId: string, candidateId: string, patch: MemberPatch, audit: AuditInput): Promise<MemberRecord> {
    return this.commit<MemberRecord>(audit, async ({ at }) => {
      const existing = await this.access.getRecord<Ordered<MemberRecord>>(keys.member(cohortId, candidateId));
      if (!existing) throw new NotFoundError('cohort member', `${cohortId}/${candidateId}`);
      if (patch.groupId !== undefined && !(await this.access.get(keys.group(cohortId, patch.groupId)))) {
        throw new ConstraintViolationError('members.group_id', `group ${patch.groupId} is not a group of cohort ${cohortId}`);
      }
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const next: Ordered<MemberRecord> = { ...existing, ...defined, updatedAt: at };
      return { writes: [memberWrite(next, 'replace')], result: strip(next) };
    });
  }

  async createBulkRun(run: Omit<BulkRunRecord, 'createdAt' | 'finishedAt'>, candidateIds: string[], audit: AuditInput): Promise<BulkRunRecord> {
    return this.commit<BulkRunRecord>(audit, async ({ seq, at }) => {
      const existing = await this.getBulkRun(run.id);
      if (existing) return { unchanged: existing };
      if (!(await this.access.get(keys.cohort(run.cohortId)))) {
        throw new ConstraintViolationError('bulk_runs.cohort_id', `bulk run ${run.id} names cohort ${run.cohortId}, which does not exist (FOREIGN KEY)`);
      }
      if (run.groupId !== null && !(await this.access.get(keys.group(run.cohortId, run.groupId)))) {
        throw new ConstraintViolationError('bulk_runs.group_id', `bulk run ${run.id} names group ${run.groupId}, which is not a group of cohort ${run.cohortId}`);
      }
      const record: BulkRunRecord = { id: run.id, cohortId: run.cohortId, groupId: run.groupId, createdAt: at, finishedAt: null };
      const writes: Write[] = [{ mode: 'create', item: recordItem(keys.bulkRun(run.id), 'bulk-run', record) }];
      [...new Set(candidateIds)].forEach((candidateId, i) => {
        const item: Ordered<BulkItemRecord> = { runId: run.id, candidateId, state: 'pending', attemptId: null, error: null, updatedAt: at, ord: seq * 1_000_000 + i };
        writes.push({ mode: 'create', item: recordItem(keys.bulkItem(run.id, candidateId), 'bulk-item', item) });
      });
      return { writes, result: record };
    });
  }

  async getBulkRun(id: string): Promise<BulkRunRecord | undefined> {
    return this.access.getRecord<BulkRunRecord>(keys.bulkRun(id));
  }

  async listBulkItems(runId: string): Promise<BulkItemRecord[]> {
    return (await this.access.partition(`BULK#${runId}`, 'ITEM#'))
      .map((i) => recordOf<Ordered<BulkItemRecord>>(i))
      .sort((a, b) => a.ord - b.ord)
      .map(strip);
  }

  /**
   * Not audited, so not a commit: a compare-and-set put on the item's record itself (the only
   * writer of an item after its creation), retried when another update got there first.
   */
  async updateBulkItem(runId: string, candidateId: string, change: { state: BulkItemState; attemptId?: string | null; error?: string | null }): Promise<BulkItemRecord> {
    if (!BULK_STATES.includes(change.state)) throw new ConstraintViolationError('bulk_items.state', `bulk item state "${change.state}" is not one of ${BULK_STATES.join(', ')}`);
    for (let tries = 0; tries < 20; tries += 1) {
      // The table's item itself, not a pending image: the compare-and-set below is on what the table holds.
      const item = await this.access.getApplied(keys.bulkItem(runId, candidateId));
      if (!item) throw new NotFoundError('bulk item', `${runId}/${candidateId}`);
      const current = recordOf<Ordered<BulkItemRecord>>(item);
      const attemptId = change.attemptId === undefined ? current.attemptId : change.attemptId;
      if (current.attemptId !== null && attemptId !== current.attemptId) {
        throw new ConstraintViolationError('bulk_items.attempt_id', `bulk item ${runId}/${candidateId} already started attempt ${current.attemptId}; it cannot change to ${attemptId}`);
      }
      const next: Ordered<BulkItemRecord> = {
        ...current,
        state: change.state,
        attemptId,
        error: change.error === undefined ? current.error : change.error,
        updatedAt: new Date().toISOString(),
      };
      try {
        await this.access.client.send(
          new PutItemCommand({
            TableName: this.access.tableName,
            Item: { ...recordItem(keys.bulkItem(runId, candidateId), 'bulk-item', next), ...(item.appliedSeq ? { appliedSeq: item.appliedSeq } : {}) },
            ConditionExpression: 'rec = :old',
            ExpressionAttributeValues: { ':old': { S: String(item.rec?.S) } },
          }),
        );
        return strip(next);
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
    }
    throw new StoreError(`Bulk item ${runId}/${candidateId} kept changing under this update; try again.`);
  }

  async finishBulkRun(id: string, audit: AuditInput): Promise<BulkRunRecord> {
    return this.commit<BulkRunRecord>(audit, async ({ at }) => {
      const existing = await this.getBulkRun(id);
      if (!existing) throw new NotFoundError('bulk run', id);
      if (existing.finishedAt) return { unchanged: existing };
      const next = { ...existing, finishedAt: at };
      return { writes: [{ mode: 'replace', item: recordItem(keys.bulkRun(id), 'bulk-run', next) }], result: next };
    });
  }

  private async currentCohort(cohortId: string, expectedVersion: number | undefined): Promise<CohortRecord> {
    const current = await this.getCohort(cohortId);
    if (!current) throw new NotFoundError('cohort', cohortId);
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw new ConcurrentModificationError(cohortId, expectedVersion, current.version, 'Cohort');
    }
    return current;
  }

  private async claim(writes: Write[], key: { pk: string; sk: string }, constraint: string, record: object): Promise<void> {
    if (await this.access.get(key)) throw new ConstraintViolationError(constraint, `UNIQUE constraint failed: ${constraint}`);
    writes.push({ mode: 'once', item: recordItem(key, 'claim', record) });
  }
}

function cohortWrite(c: CohortRecord, mode: Write['mode']): Write {
  return {
    mode,
    item: recordItem(keys.cohort(c.id), 'cohort', c, { gsi1: ['COHORTS', `${c.createdAt}#${c.id}`], gsi2: [`PROGCOH#${c.programmeId}`, `${c.createdAt}#${c.id}`] }),
  };
}

function memberWrite(m: Ordered<MemberRecord>, mode: Write['mode']): Write {
  return {
    mode,
    item: recordItem(keys.member(m.cohortId, m.candidateId), 'member', m, {
      gsi1: ['MEMBERS', `${m.cohortId}#${m.candidateId}`],
      gsi2: [`CANDMEM#${m.candidateId}`, m.cohortId],
    }),
  };
}

function sameMember(a: MemberRecord, b: Omit<MemberRecord, 'joinedAt' | 'updatedAt'>): boolean {
  return (
    a.groupId === b.groupId &&
    a.level === b.level &&
    a.targetAssessmentId === b.targetAssessmentId &&
    a.displayName === b.displayName &&
    a.hidden === b.hidden &&
    a.importRow === b.importRow
  );
}

/** The schema's CHECKs on a cohort. */
function checkCohort(c: CohortRecord): void {
  const fail = (detail: string) => {
    throw new ConstraintViolationError('cohorts.check', `CHECK constraint failed: cohort ${c.id}: ${detail}`);
  };
  if (!(COHORT_CADENCES as readonly number[]).includes(c.cadenceMonths)) fail(`cadence ${c.cadenceMonths} is not one of ${COHORT_CADENCES.join(', ')} months`);
  if (!(Number.isInteger(c.groupSize) && c.groupSize >= 1)) fail('group size must be a whole number of at least 1');
  if (!(c.endsAt > c.startsAt)) fail('it must end after it starts');
}

function strip<T extends { ord: number }>({ ord: _ord, ...rest }: T): Omit<T, 'ord'> {
  return rest;
}

function sortBy<T>(items: T[], key: (t: T) => string): T[] {
  return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
