import type Database from 'better-sqlite3';
import type { BadgeSettingsRecord } from './badge-types';
import { NotFoundError } from './errors';
import type { Migration } from './migrations';
import type { AuditInput } from './types';

/** Migration 5 (badges): the holder's per-credential choices for the public badge page. */
export const BADGES_MIGRATION: Migration = {
  version: 5,
  name: 'badge-settings',
  sql: `
    CREATE TABLE badge_settings (
      credential_id TEXT PRIMARY KEY REFERENCES credentials(id),
      shown_name    TEXT CHECK (shown_name IS NULL OR length(shown_name) BETWEEN 1 AND 80),
      updated_at    TEXT NOT NULL
    ) STRICT;
  `,
};

/** What SqliteStore lends the badge code: its connection, its transactions and its audit chain. */
export interface SqliteParts {
  db: Database.Database;
  tx<T>(fn: () => T): T;
  audit(input: AuditInput): unknown;
  stamp(): string;
}

type Row = Record<string, unknown>;

/** BadgeStore on SQLite; SqliteStore delegates to it. */
export class SqliteBadges {
  constructor(private readonly parts: SqliteParts) {}

  get(credentialId: string): BadgeSettingsRecord | undefined {
    const row = this.parts.db.prepare('SELECT * FROM badge_settings WHERE credential_id = ?').get(credentialId) as Row | undefined;
    return row && { credentialId: String(row.credential_id), shownName: row.shown_name === null ? null : String(row.shown_name), updatedAt: String(row.updated_at) };
  }

  setShownName(credentialId: string, shownName: string | null, audit: AuditInput): BadgeSettingsRecord {
    return this.parts.tx(() => {
      if (!this.parts.db.prepare('SELECT 1 FROM credentials WHERE id = ?').get(credentialId)) throw new NotFoundError('credential', credentialId);
      this.parts.db
        .prepare(
          `INSERT INTO badge_settings (credential_id, shown_name, updated_at) VALUES (?, ?, ?)
           ON CONFLICT(credential_id) DO UPDATE SET shown_name = excluded.shown_name, updated_at = excluded.updated_at`,
        )
        .run(credentialId, shownName, this.parts.stamp());
      this.parts.audit(audit);
      return this.get(credentialId) as BadgeSettingsRecord;
    });
  }
}
