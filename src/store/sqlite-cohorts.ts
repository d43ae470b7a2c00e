/**
 * The SQLite CohortStore: programmes, cohorts, groups, members and bulk-start runs, in the same
 * database, transactions and audit chain as SqliteStore (which owns the connection and hands this
 * module its transaction, audit and clock helpers). Schema: migration 3 below.
 */
import type Database from 'better-sqlite3';
import type {
  BulkItemRecord,
  BulkItemState,
  BulkRunRecord,
  CohortPatch,
  CohortRecord,
  CohortStore,
  GroupRecord,
  ImportPlan,
  ImportResult,
  MemberPatch,
  MemberRecord,
  NewCohort,
  ProgrammeRecord,
} from './cohort-types';
import { canonicalJson, sha256Hex } from './canonical-json';
import { ConcurrentModificationError, ConstraintViolationError, NotFoundError, StoreError } from './errors';
import type { Migration } from './migrations';
import type { AuditInput } from './types';

export const COHORTS_MIGRATION: Migration = {
  version: 3,
  name: 'cohorts',
  sql: `
    CREATE TABLE programmes (
      id         TEXT PRIMARY KEY,
      name       TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE cohorts (
      id                    TEXT PRIMARY KEY,
      programme_id          TEXT NOT NULL REFERENCES programmes(id),
      name                  TEXT NOT NULL,
      cadence_months        INTEGER NOT NULL CHECK (cadence_months IN (3, 6, 9)),
      starts_at             TEXT NOT NULL,
      ends_at               TEXT NOT NULL CHECK (ends_at > starts_at),
      target_assessment_ids TEXT NOT NULL CHECK (json_valid(target_assessment_ids) AND json_array_length(target_assessment_ids) >= 1),
      group_size            INTEGER NOT NULL CHECK (group_size >= 1),
      milestones            TEXT NOT NULL CHECK (json_valid(milestones)),
      voucher_rule          TEXT NOT NULL CHECK (json_valid(voucher_rule)),
      version               INTEGER NOT NULL DEFAULT 1,
      created_at            TEXT NOT NULL,
      updated_at            TEXT NOT NULL
    ) STRICT;
    CREATE INDEX cohorts_by_programme ON cohorts(programme_id);

    CREATE TABLE cohort_groups (
      id                   TEXT PRIMARY KEY,
      cohort_id            TEXT NOT NULL REFERENCES cohorts(id),
      name                 TEXT NOT NULL,
      level                TEXT NOT NULL,
      target_assessment_id TEXT NOT NULL,
      created_at           TEXT NOT NULL,
      UNIQUE (cohort_id, name),
      UNIQUE (id, cohort_id)
    ) STRICT;

    -- A member is a pseudonymous candidate; the e-mail, if any, is only the candidate's salted hash.
    CREATE TABLE cohort_members (
      cohort_id            TEXT NOT NULL REFERENCES cohorts(id),
      candidate_id         TEXT NOT NULL REFERENCES candidates(id),
      group_id             TEXT NOT NULL,
      level                TEXT NOT NULL,
      target_assessment_id TEXT NOT NULL,
      display_name         TEXT,
      hidden               INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
      import_row           INTEGER CHECK (import_row >= 1),
      joined_at            TEXT NOT NULL,
      updated_at           TEXT NOT NULL,
      PRIMARY KEY (cohort_id, candidate_id),
      -- the member's group is a group of the same cohort
      FOREIGN KEY (group_id, cohort_id) REFERENCES cohort_groups(id, cohort_id)
    ) STRICT;
    CREATE INDEX cohort_members_by_group ON cohort_members(group_id);
    CREATE INDEX cohort_members_by_candidate ON cohort_members(candidate_id);

    CREATE TABLE cohort_bulk_runs (
      id          TEXT PRIMARY KEY,
      cohort_id   TEXT NOT NULL REFERENCES cohorts(id),
      group_id    TEXT REFERENCES cohort_groups(id),
      created_at  TEXT NOT NULL,
      finished_at TEXT
    ) STRICT;
    CREATE INDEX cohort_bulk_runs_by_cohort ON cohort_bulk_runs(cohort_id);

    CREATE TABLE cohort_bulk_items (
      run_id       TEXT NOT NULL REFERENCES cohort_bulk_runs(id),
      candidate_id TEXT NOT NULL REFERENCES candidates(id),
      state        TEXT NOT NULL CHECK (state IN ('pending', 'started', 'failed')),
      attempt_id   TEXT REFERENCES attempts(id),
      error        TEXT,
      updated_at   TEXT NOT NULL,
      PRIMARY KEY (run_id, candidate_id)
    ) STRICT;
    -- the attempt a bulk item started is set once: a resumed run reuses it, never starts another
    CREATE TRIGGER cohort_bulk_items_attempt_once BEFORE UPDATE OF attempt_id ON cohort_bulk_items
    WHEN OLD.attempt_id IS NOT NULL AND NEW.attempt_id IS NOT OLD.attempt_id
    BEGIN SELECT RAISE(ABORT, 'a bulk item keeps the attempt it started'); END;
  `,
};

/** What SqliteStore lends this module: its connection and the helpers every change goes through. */
export interface SqliteContext {
  readonly db: Database.Database;
  /** One IMMEDIATE transaction; constraint violations surface as ConstraintViolationError. */
  tx<T>(fn: () => T): T;
  /** Appends an audit entry; call inside the transaction of the change it records. */
  audit(input: AuditInput): void;
  /** The store clock's ISO instant. */
  stamp(): string;
}

type Row = Record<string, unknown>;

export class SqliteCohortStore implements CohortStore {
  constructor(private readonly ctx: SqliteContext) {}

  private get db(): Database.Database {
    return this.ctx.db;
  }

  // ── programmes and cohorts ──────────────────────────────────────────────────────────────────

  async createProgramme(programme: Omit<ProgrammeRecord, 'createdAt'>, audit: AuditInput): Promise<ProgrammeRecord> {
    return this.ctx.tx(() => {
      this.db.prepare('INSERT INTO programmes (id, name, created_at) VALUES (?, ?, ?)').run(programme.id, programme.name, this.ctx.stamp());
      this.ctx.audit(audit);
      return this.programmeRow(programme.id) as ProgrammeRecord;
    });
  }

  async getProgramme(id: string): Promise<ProgrammeRecord | undefined> {
    return this.programmeRow(id);
  }

  async listProgrammes(): Promise<ProgrammeRecord[]> {
    return (this.db.prepare('SELECT * FROM programmes ORDER BY name, id').all() as Row[]).map(toProgramme);
  }

  async createCohort(cohort: NewCohort, audit: AuditInput): Promise<CohortRecord> {
    return this.ctx.tx(() => {
      if (!this.programmeRow(cohort.programmeId)) throw new NotFoundError('programme', cohort.programmeId);
      const at = this.ctx.stamp();
      this.db
        .prepare(
          `INSERT INTO cohorts (id, programme_id, name, cadence_months, starts_at, ends_at, target_assessment_ids, group_size, milestones, voucher_rule, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          cohort.id,
          cohort.programmeId,
          cohort.name,
          cohort.cadenceMonths,
          cohort.startsAt,
          cohort.endsAt,
          JSON.stringify(cohort.targetAssessmentIds),
          cohort.groupSize,
          JSON.stringify(cohort.milestones),
          JSON.stringify(cohort.voucherRule),
          at,
          at,
        );
      this.ctx.audit(audit);
      return this.cohortRow(cohort.id) as CohortRecord;
    });
  }

  async getCohort(id: string): Promise<CohortRecord | undefined> {
    return this.cohortRow(id);
  }

  async listCohorts(filter: { programmeId?: string } = {}): Promise<CohortRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM cohorts WHERE (@programmeId IS NULL OR programme_id = @programmeId) ORDER BY starts_at, id')
      .all({ programmeId: filter.programmeId ?? null }) as Row[];
    return rows.map(toCohort);
  }

  async updateCohort(cohortId: string, expectedVersion: number, patch: CohortPatch, audit: AuditInput): Promise<CohortRecord> {
    return this.ctx.tx(() => {
      const sets: string[] = [];
      const values: Record<string, unknown> = { id: cohortId, expectedVersion, updatedAt: this.ctx.stamp() };
      for (const [key, column] of Object.entries(COHORT_PATCH_COLUMNS) as Array<[keyof CohortPatch, string]>) {
        const value = patch[key];
        if (value === undefined) continue;
        sets.push(`${column} = @${key}`);
        values[key] = typeof value === 'object' ? JSON.stringify(value) : value;
      }
      this.casCohort(cohortId, expectedVersion, sets, values);
      this.ctx.audit(audit);
      return this.cohortRow(cohortId) as CohortRecord;
    });
  }

  // ── import: groups and members ──────────────────────────────────────────────────────────────

  async applyImport(plan: ImportPlan, audit: AuditInput): Promise<ImportResult> {
    const wrong = [...plan.newGroups, ...plan.members].find((r) => r.cohortId !== plan.cohortId);
    if (wrong) throw new StoreError(`The import plan for cohort ${plan.cohortId} contains a record of cohort ${wrong.cohortId}; nothing was imported.`);
    return this.ctx.tx(() => {
      const cohort = this.cohortRow(plan.cohortId);
      if (!cohort) throw new NotFoundError('cohort', plan.cohortId);
      if (plan.expectedVersion !== undefined && cohort.version !== plan.expectedVersion) {
        throw new ConcurrentModificationError(plan.cohortId, plan.expectedVersion, cohort.version, 'Cohort');
      }
      const at = this.ctx.stamp();
      const result: ImportResult = { groupsCreated: 0, membersAdded: 0, membersUpdated: 0, membersUnchanged: 0 };

      if (plan.candidates) {
        const insertCandidate = this.db.prepare('INSERT INTO candidates (id, subject_id, email_hash, created_at) VALUES (?, ?, ?, ?)');
        const existsCandidate = this.db.prepare('SELECT 1 FROM candidates WHERE id = ?');
        let created = 0;
        for (const c of plan.candidates) {
          if (existsCandidate.get(c.id)) continue;
          // Another candidate with the same e-mail hash (registered since the plan was made) fails the whole import.
          insertCandidate.run(c.id, c.subjectId, c.emailHash, at);
          created += 1;
        }
        result.candidatesCreated = created;
      }

      const groupById = this.db.prepare('SELECT * FROM cohort_groups WHERE id = ?');
      const insertGroup = this.db.prepare('INSERT INTO cohort_groups (id, cohort_id, name, level, target_assessment_id, created_at) VALUES (?, ?, ?, ?, ?, ?)');
      for (const g of plan.newGroups) {
        const existing = groupById.get(g.id) as Row | undefined;
        if (existing) {
          const same = existing.cohort_id === g.cohortId && existing.name === g.name && existing.level === g.level && existing.target_assessment_id === g.targetAssessmentId;
          if (!same) throw new ConstraintViolationError('cohort_groups', `group ${g.id} already exists with other contents`);
          continue;
        }
        insertGroup.run(g.id, g.cohortId, g.name, g.level, g.targetAssessmentId, at);
        result.groupsCreated += 1;
      }

      const existingMembers = new Map(
        (this.db.prepare('SELECT * FROM cohort_members WHERE cohort_id = ?').all(plan.cohortId) as Row[]).map((r) => [String(r.candidate_id), toMember(r)]),
      );
      const insertMember = this.db.prepare(
        `INSERT INTO cohort_members (cohort_id, candidate_id, group_id, level, target_assessment_id, display_name, hidden, import_row, joined_at, updated_at)
         VALUES (@cohortId, @candidateId, @groupId, @level, @targetAssessmentId, @displayName, @hidden, @importRow, @at, @at)`,
      );
      const updateMember = this.db.prepare(
        `UPDATE cohort_members SET group_id = @groupId, level = @level, target_assessment_id = @targetAssessmentId, display_name = @displayName,
           hidden = @hidden, import_row = @importRow, updated_at = @at
         WHERE cohort_id = @cohortId AND candidate_id = @candidateId`,
      );
      const seen = new Set<string>();
      for (const m of plan.members) {
        if (seen.has(m.candidateId)) throw new ConstraintViolationError('cohort_members', `candidate ${m.candidateId} appears twice in the import plan`);
        seen.add(m.candidateId);
        const values = { ...m, hidden: m.hidden ? 1 : 0, at };
        const existing = existingMembers.get(m.candidateId);
        if (!existing) {
          insertMember.run(values);
          result.membersAdded += 1;
        } else if (
          existing.groupId === m.groupId &&
          existing.level === m.level &&
          existing.targetAssessmentId === m.targetAssessmentId &&
          existing.displayName === m.displayName &&
          existing.hidden === m.hidden &&
          existing.importRow === m.importRow
        ) {
          result.membersUnchanged += 1;
        } else {
          updateMember.run(values);
          result.membersUpdated += 1;
        }
      }

      const changed = result.groupsCreated + result.membersAdded + result.membersUpdated + (result.candidatesCreated ?? 0) > 0;
      // Re-applying the same plan changes nothing: no new version, no audit entry.
      if (changed) {
        this.casCohort(plan.cohortId, cohort.version, [], { id: plan.cohortId, expectedVersion: cohort.version, updatedAt: at });
        this.ctx.audit({ ...audit, data: { ...audit.data, ...result, plan: sha256Hex(canonicalJson(plan)) } });
      }
      return result;
    });
  }

  async getGroup(id: string): Promise<GroupRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM cohort_groups WHERE id = ?').get(id) as Row | undefined;
    return row && toGroup(row);
  }

  async listGroups(cohortId: string): Promise<GroupRecord[]> {
    return (this.db.prepare('SELECT * FROM cohort_groups WHERE cohort_id = ? ORDER BY name, id').all(cohortId) as Row[]).map(toGroup);
  }

  async getMember(cohortId: string, candidateId: string): Promise<MemberRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM cohort_members WHERE cohort_id = ? AND candidate_id = ?').get(cohortId, candidateId) as Row | undefined;
    return row && toMember(row);
  }

  async listMembers(filter: { cohortId?: string; groupId?: string; candidateId?: string }): Promise<MemberRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM cohort_members
         WHERE (@cohortId IS NULL OR cohort_id = @cohortId) AND (@groupId IS NULL OR group_id = @groupId) AND (@candidateId IS NULL OR candidate_id = @candidateId)
         ORDER BY cohort_id, candidate_id`,
      )
      .all({ cohortId: filter.cohortId ?? null, groupId: filter.groupId ?? null, candidateId: filter.candidateId ?? null }) as Row[];
    return rows.map(toMember);
  }

  async updateMember(cohortId: string, candidateId: string, patch: MemberPatch, audit: AuditInput): Promise<MemberRecord> {
    return this.ctx.tx(() => {
      const existing = this.db.prepare('SELECT * FROM cohort_members WHERE cohort_id = ? AND candidate_id = ?').get(cohortId, candidateId) as Row | undefined;
      if (!existing) throw new NotFoundError('cohort member', `${cohortId}/${candidateId}`);
      const member = toMember(existing);
      const next = { ...member, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as MemberRecord;
      this.db
        .prepare(
          `UPDATE cohort_members SET group_id = ?, display_name = ?, hidden = ?, updated_at = ? WHERE cohort_id = ? AND candidate_id = ?`,
        )
        .run(next.groupId, next.displayName, next.hidden ? 1 : 0, this.ctx.stamp(), cohortId, candidateId);
      this.ctx.audit(audit);
      return toMember(this.db.prepare('SELECT * FROM cohort_members WHERE cohort_id = ? AND candidate_id = ?').get(cohortId, candidateId) as Row);
    });
  }

  // ── bulk start runs ─────────────────────────────────────────────────────────────────────────

  async createBulkRun(run: Omit<BulkRunRecord, 'createdAt' | 'finishedAt'>, candidateIds: string[], audit: AuditInput): Promise<BulkRunRecord> {
    return this.ctx.tx(() => {
      const existing = this.bulkRunRow(run.id);
      if (existing) return existing;
      const at = this.ctx.stamp();
      this.db.prepare('INSERT INTO cohort_bulk_runs (id, cohort_id, group_id, created_at) VALUES (?, ?, ?, ?)').run(run.id, run.cohortId, run.groupId, at);
      const item = this.db.prepare("INSERT INTO cohort_bulk_items (run_id, candidate_id, state, updated_at) VALUES (?, ?, 'pending', ?)");
      for (const candidateId of new Set(candidateIds)) item.run(run.id, candidateId, at);
      this.ctx.audit({ ...audit, data: { ...audit.data, cohortId: run.cohortId, groupId: run.groupId, members: new Set(candidateIds).size } });
      return this.bulkRunRow(run.id) as BulkRunRecord;
    });
  }

  async getBulkRun(id: string): Promise<BulkRunRecord | undefined> {
    return this.bulkRunRow(id);
  }

  async listBulkItems(runId: string): Promise<BulkItemRecord[]> {
    return (this.db.prepare('SELECT * FROM cohort_bulk_items WHERE run_id = ? ORDER BY candidate_id').all(runId) as Row[]).map(toBulkItem);
  }

  async updateBulkItem(runId: string, candidateId: string, change: { state: BulkItemState; attemptId?: string | null; error?: string | null }): Promise<BulkItemRecord> {
    return this.ctx.tx(() => {
      const get = this.db.prepare('SELECT * FROM cohort_bulk_items WHERE run_id = ? AND candidate_id = ?');
      const existing = get.get(runId, candidateId) as Row | undefined;
      if (!existing) throw new NotFoundError('bulk run item', `${runId}/${candidateId}`);
      const attemptId = change.attemptId === undefined ? str(existing.attempt_id) : change.attemptId;
      const error = change.error === undefined ? str(existing.error) : change.error;
      this.db
        .prepare('UPDATE cohort_bulk_items SET state = ?, attempt_id = ?, error = ?, updated_at = ? WHERE run_id = ? AND candidate_id = ?')
        .run(change.state, attemptId, error, this.ctx.stamp(), runId, candidateId);
      return toBulkItem(get.get(runId, candidateId) as Row);
    });
  }

  async finishBulkRun(id: string, audit: AuditInput): Promise<BulkRunRecord> {
    return this.ctx.tx(() => {
      const existing = this.bulkRunRow(id);
      if (!existing) throw new NotFoundError('bulk run', id);
      if (existing.finishedAt) return existing;
      this.db.prepare('UPDATE cohort_bulk_runs SET finished_at = ? WHERE id = ?').run(this.ctx.stamp(), id);
      this.ctx.audit(audit);
      return this.bulkRunRow(id) as BulkRunRecord;
    });
  }

  /**
   * Not part of CohortStore (src/cohorts' CandidateLookup): many candidates found in one read, for
   * a large import; the ids of candidates with these e-mail hashes, and which of these ids exist.
   */
  async findCandidateIds(query: { emailHashes: readonly string[]; ids: readonly string[] }): Promise<{ byEmailHash: Map<string, string>; existingIds: Set<string> }> {
    const byHash = this.db.prepare('SELECT id FROM candidates WHERE email_hash = ?').pluck();
    const byId = this.db.prepare('SELECT 1 FROM candidates WHERE id = ?').pluck();
    const byEmailHash = new Map<string, string>();
    const existingIds = new Set<string>();
    this.db.transaction(() => {
      for (const hash of query.emailHashes) {
        const id = byHash.get(hash) as string | undefined;
        if (id !== undefined) byEmailHash.set(hash, id);
      }
      for (const id of query.ids) if (byId.get(id) !== undefined) existingIds.add(id);
    }).deferred();
    return { byEmailHash, existingIds };
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  /** Compare-and-set on the cohort's version, applying `sets` (which read `values`). */
  private casCohort(cohortId: string, expectedVersion: number, sets: string[], values: Record<string, unknown>): void {
    const changed = this.db
      .prepare(`UPDATE cohorts SET ${[...sets, 'version = version + 1', 'updated_at = @updatedAt'].join(', ')} WHERE id = @id AND version = @expectedVersion`)
      .run(values).changes;
    if (changed === 0) {
      const current = this.cohortRow(cohortId);
      if (!current) throw new NotFoundError('cohort', cohortId);
      throw new ConcurrentModificationError(cohortId, expectedVersion, current.version, 'Cohort');
    }
  }

  private programmeRow(id: string): ProgrammeRecord | undefined {
    const row = this.db.prepare('SELECT * FROM programmes WHERE id = ?').get(id) as Row | undefined;
    return row && toProgramme(row);
  }

  private cohortRow(id: string): CohortRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cohorts WHERE id = ?').get(id) as Row | undefined;
    return row && toCohort(row);
  }

  private bulkRunRow(id: string): BulkRunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cohort_bulk_runs WHERE id = ?').get(id) as Row | undefined;
    return row && toBulkRun(row);
  }
}

const COHORT_PATCH_COLUMNS: Record<keyof CohortPatch, string> = {
  name: 'name',
  milestones: 'milestones',
  voucherRule: 'voucher_rule',
  groupSize: 'group_size',
  startsAt: 'starts_at',
  endsAt: 'ends_at',
};

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toProgramme(r: Row): ProgrammeRecord {
  return { id: String(r.id), name: String(r.name), createdAt: String(r.created_at) };
}

function toCohort(r: Row): CohortRecord {
  return {
    id: String(r.id),
    programmeId: String(r.programme_id),
    name: String(r.name),
    cadenceMonths: Number(r.cadence_months) as CohortRecord['cadenceMonths'],
    startsAt: String(r.starts_at),
    endsAt: String(r.ends_at),
    targetAssessmentIds: JSON.parse(String(r.target_assessment_ids)) as string[],
    groupSize: Number(r.group_size),
    milestones: JSON.parse(String(r.milestones)) as CohortRecord['milestones'],
    voucherRule: JSON.parse(String(r.voucher_rule)) as CohortRecord['voucherRule'],
    version: Number(r.version),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

function toGroup(r: Row): GroupRecord {
  return {
    id: String(r.id),
    cohortId: String(r.cohort_id),
    name: String(r.name),
    level: String(r.level),
    targetAssessmentId: String(r.target_assessment_id),
    createdAt: String(r.created_at),
  };
}

function toMember(r: Row): MemberRecord {
  return {
    cohortId: String(r.cohort_id),
    candidateId: String(r.candidate_id),
    groupId: String(r.group_id),
    level: String(r.level),
    targetAssessmentId: String(r.target_assessment_id),
    displayName: str(r.display_name),
    hidden: Number(r.hidden) === 1,
    importRow: r.import_row === null || r.import_row === undefined ? null : Number(r.import_row),
    joinedAt: String(r.joined_at),
    updatedAt: String(r.updated_at),
  };
}

function toBulkRun(r: Row): BulkRunRecord {
  return { id: String(r.id), cohortId: String(r.cohort_id), groupId: str(r.group_id), createdAt: String(r.created_at), finishedAt: str(r.finished_at) };
}

function toBulkItem(r: Row): BulkItemRecord {
  return {
    runId: String(r.run_id),
    candidateId: String(r.candidate_id),
    state: r.state as BulkItemState,
    attemptId: str(r.attempt_id),
    error: str(r.error),
    updatedAt: String(r.updated_at),
  };
}
