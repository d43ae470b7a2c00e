/**
 * What the holder of a credential chooses to show on its public badge page. Kept apart from the
 * credential itself, which is signed and never changes: the credential names no person (its
 * subject is a salted hash), so a shown name is the holder's choice, per credential, and can be
 * changed or removed at any time.
 */
import type { AuditInput } from './types';

export interface BadgeSettingsRecord {
  credentialId: string;
  /** The name the badge page shows as "issued to", or null to show none ("a verified holder"). */
  shownName: string | null;
  updatedAt: string;
}

export interface BadgeStore {
  getBadgeSettings(credentialId: string): Promise<BadgeSettingsRecord | undefined>;
  /**
   * Sets (or, with null, removes) the shown name of an issued credential, with its audit entry in
   * the same transaction. The audit entry records that a name is shown, never the name: the log
   * is append-only and a person must be able to take their name back.
   */
  setBadgeShownName(credentialId: string, shownName: string | null, audit: AuditInput): Promise<BadgeSettingsRecord>;
}
