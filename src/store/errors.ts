/** Base class for errors the store raises on purpose (as opposed to driver failures). */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends StoreError {
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`No ${kind} with id "${id}" in this data directory. Check the id, or the --data-dir / SKILLPROOF_HOME in use.`);
  }
}

/**
 * Someone else changed the record between our read and our write; re-read and retry. `attemptId`
 * names the record (an attempt unless `kind` says otherwise, e.g. `Cohort`).
 */
export class ConcurrentModificationError extends StoreError {
  constructor(
    readonly attemptId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
    readonly kind: string = 'Attempt',
  ) {
    super(
      `${kind} ${attemptId} changed while this operation ran (expected version ${expectedVersion}, found ${actualVersion}); run the command again.`,
    );
  }
}

export class EvidenceHashMismatchError extends StoreError {
  constructor(
    readonly claimed: string,
    readonly actual: string,
  ) {
    super(
      `Evidence bundle claims sha256 ${claimed} but its content hashes to ${actual}; the bundle is corrupt or was changed after hashing, so it was not stored.`,
    );
  }
}

export class DuplicateFinalRunError extends StoreError {
  constructor(
    readonly attemptId: string,
    readonly round: number,
    readonly taskId: string,
  ) {
    super(`Attempt ${attemptId} already has a final grading run for task ${taskId} in round ${round}.`);
  }
}

/**
 * A grading run with this id is already recorded. Queued grading jobs derive a run's id from the
 * job's id, so this is how a duplicate delivery of a progress job is refused (never a bug).
 */
export class DuplicateRunIdError extends StoreError {
  constructor(readonly runId: string) {
    super(`A grading run with id ${runId} is already recorded.`);
  }
}

export class SchemaVersionError extends StoreError {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `The database ${path} is at schema version ${found}, newer than this SkillProof supports (${supported}). Upgrade SkillProof, or point --data-dir at another directory.`,
    );
  }
}

/** The database refused a change that would break one of its constraints (uniqueness, foreign key, check). */
export class ConstraintViolationError extends StoreError {
  constructor(
    readonly constraint: string,
    detail: string,
  ) {
    super(`The store refused the change: ${detail}. This is a bug in SkillProof or a damaged data directory; please report it with the command you ran.`);
  }
}

/** Another process changed the pool account first (leased it, quarantined it…); nothing was changed. */
export class PoolConflictError extends StoreError {
  constructor(
    readonly accountId: string,
    readonly expected: { state: string; version: number },
    readonly actual: { state: string; version: number } | undefined,
  ) {
    super(
      actual
        ? `Pool account ${accountId} changed while this operation ran (expected ${expected.state} at version ${expected.version}, found ${actual.state} at version ${actual.version}); nothing was changed. Run the command again.`
        : `No pool account ${accountId}; \`skillproof pool list\` shows the pool.`,
    );
  }
}
