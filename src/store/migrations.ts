import { BADGES_MIGRATION } from './sqlite-badges';
import { POOL_MIGRATION } from './sqlite-pool';

/**
 * Numbered schema migrations, applied in order, each in its own transaction and recorded in
 * `schema_migrations`. Never edit a released migration: add the next number.
 */
import { COHORTS_MIGRATION } from './sqlite-cohorts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial-schema',
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE candidates (
        id         TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL UNIQUE,
        email_hash TEXT UNIQUE,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE attempts (
        id                 TEXT PRIMARY KEY,
        candidate_id       TEXT NOT NULL REFERENCES candidates(id),
        kind               TEXT NOT NULL CHECK (kind IN ('assessment', 'practice')),
        target_id          TEXT NOT NULL,
        task_ids           TEXT NOT NULL CHECK (json_valid(task_ids) AND json_array_length(task_ids) >= 1),
        sandbox            TEXT NOT NULL CHECK (json_valid(sandbox)),
        state              TEXT NOT NULL CHECK (state IN ('created', 'active', 'submitted', 'graded', 'credentialed', 'expired', 'cancelled')),
        result             TEXT CHECK (result IN ('passed', 'failed', 'incomplete')),
        time_limit_seconds INTEGER CHECK (time_limit_seconds > 0),
        final_round        INTEGER NOT NULL DEFAULT 0 CHECK (final_round >= 0),
        version            INTEGER NOT NULL DEFAULT 1,
        created_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL,
        started_at         TEXT,
        expires_at         TEXT,
        submitted_at       TEXT,
        frozen_at          TEXT,
        graded_at          TEXT,
        last_check_at      TEXT,
        -- a result exists exactly when the attempt has been graded
        CHECK ((state IN ('graded', 'credentialed')) = (result IS NOT NULL)),
        -- only a passed assessment can carry a credential
        CHECK (state <> 'credentialed' OR (kind = 'assessment' AND result = 'passed'))
      ) STRICT;
      CREATE INDEX attempts_by_candidate ON attempts(candidate_id);
      CREATE INDEX attempts_by_state ON attempts(state);

      CREATE TABLE evidence_bundles (
        sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        json       TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER evidence_bundles_immutable BEFORE UPDATE ON evidence_bundles
      BEGIN SELECT RAISE(ABORT, 'evidence bundles are immutable'); END;

      CREATE TABLE grading_runs (
        id            TEXT PRIMARY KEY,
        attempt_id    TEXT NOT NULL REFERENCES attempts(id),
        task_id       TEXT NOT NULL,
        scope         TEXT NOT NULL CHECK (scope IN ('progress', 'final')),
        round         INTEGER NOT NULL CHECK (round >= 0),
        status        TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'incomplete')),
        report        TEXT NOT NULL CHECK (json_valid(report)),
        bundle_sha256 TEXT NOT NULL REFERENCES evidence_bundles(sha256),
        started_at    TEXT NOT NULL,
        finished_at   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX grading_runs_by_attempt ON grading_runs(attempt_id);
      CREATE UNIQUE INDEX grading_runs_one_final_per_task ON grading_runs(attempt_id, round, task_id) WHERE scope = 'final';

      CREATE TABLE issuer_keys (
        kid        TEXT PRIMARY KEY,
        issuer_id  TEXT NOT NULL,
        alg        TEXT NOT NULL CHECK (alg IN ('ES256', 'EdDSA')),
        public_jwk TEXT NOT NULL CHECK (json_valid(public_jwk)),
        created_at TEXT NOT NULL,
        retired_at TEXT
      ) STRICT;

      CREATE TABLE status_lists (
        id         INTEGER PRIMARY KEY,
        url        TEXT NOT NULL UNIQUE,
        purpose    TEXT NOT NULL CHECK (purpose = 'revocation'),
        size_bits  INTEGER NOT NULL CHECK (size_bits >= 131072 AND size_bits % 8 = 0),
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE status_allocations (
        list_id       INTEGER NOT NULL REFERENCES status_lists(id),
        idx           INTEGER NOT NULL CHECK (idx >= 0),
        attempt_id    TEXT NOT NULL UNIQUE REFERENCES attempts(id),
        credential_id TEXT NOT NULL UNIQUE,
        valid_from    TEXT NOT NULL,
        allocated_at  TEXT NOT NULL,
        PRIMARY KEY (list_id, idx)
      ) STRICT;

      CREATE TABLE credentials (
        id                TEXT PRIMARY KEY,
        attempt_id        TEXT NOT NULL UNIQUE REFERENCES attempts(id),
        candidate_id      TEXT NOT NULL REFERENCES candidates(id),
        list_id           INTEGER NOT NULL,
        idx               INTEGER NOT NULL,
        kid               TEXT NOT NULL REFERENCES issuer_keys(kid),
        jwt               TEXT NOT NULL,
        credential_json   TEXT NOT NULL CHECK (json_valid(credential_json)),
        valid_from        TEXT NOT NULL,
        valid_until       TEXT,
        issued_at         TEXT NOT NULL,
        revoked_at        TEXT,
        revocation_reason TEXT,
        UNIQUE (list_id, idx),
        FOREIGN KEY (list_id, idx) REFERENCES status_allocations(list_id, idx),
        CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
      ) STRICT;
      CREATE INDEX credentials_by_candidate ON credentials(candidate_id);
      -- an issued credential never changes, except that it may be revoked once
      CREATE TRIGGER credentials_immutable
      BEFORE UPDATE OF id, attempt_id, candidate_id, list_id, idx, kid, jwt, credential_json, valid_from, valid_until, issued_at ON credentials
      BEGIN SELECT RAISE(ABORT, 'issued credentials are immutable'); END;
      CREATE TRIGGER credentials_revoke_once BEFORE UPDATE OF revoked_at, revocation_reason ON credentials
      WHEN OLD.revoked_at IS NOT NULL
      BEGIN SELECT RAISE(ABORT, 'a revocation cannot be changed or undone'); END;
      CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials
      BEGIN SELECT RAISE(ABORT, 'issued credentials are never deleted; revoke instead'); END;

      CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        subject   TEXT NOT NULL,
        data      TEXT NOT NULL CHECK (json_valid(data)),
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL UNIQUE
      ) STRICT;
      CREATE INDEX audit_log_by_subject ON audit_log(subject);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
  },
  {
    version: 2,
    name: 'portal-access',
    sql: `
      -- Secrets are stored only as their sha256: a copy of the database does not let anyone sign in.
      CREATE TABLE admin_tokens (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
        created_at TEXT NOT NULL,
        revoked_at TEXT
      ) STRICT;

      CREATE TABLE access_codes (
        id         TEXT PRIMARY KEY,
        code_hash  TEXT NOT NULL UNIQUE CHECK (length(code_hash) = 64),
        attempt_id TEXT NOT NULL REFERENCES attempts(id),
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT
      ) STRICT;
      CREATE INDEX access_codes_by_attempt ON access_codes(attempt_id);

      CREATE TABLE sessions (
        token_hash     TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
        kind           TEXT NOT NULL CHECK (kind IN ('candidate', 'admin')),
        candidate_id   TEXT REFERENCES candidates(id),
        access_code_id TEXT REFERENCES access_codes(id),
        admin_token_id TEXT REFERENCES admin_tokens(id),
        created_at     TEXT NOT NULL,
        expires_at     TEXT NOT NULL,
        CHECK ((kind = 'candidate') = (candidate_id IS NOT NULL AND access_code_id IS NOT NULL)),
        CHECK ((kind = 'admin') = (admin_token_id IS NOT NULL))
      ) STRICT;
      CREATE INDEX sessions_by_expiry ON sessions(expires_at);
    `,
  },
  COHORTS_MIGRATION,
  POOL_MIGRATION,
  BADGES_MIGRATION,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
