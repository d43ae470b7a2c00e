/**
 * Where a credential's public pages live. One definition for everyone who links to them: the
 * portal's own pages and the cohort views src/cohorts computes (its badges link here), so a link
 * can never point where the portal does not serve.
 */

/** `urn:uuid:<uuid>` → `<uuid>`, the form used in URLs. */
export function credentialSlug(id: string): string {
  return id.replace(/^urn:uuid:/, '');
}

/** The public badge page of a credential: `/badges/<uuid>`. */
export function badgePath(credentialId: string): string {
  return `/badges/${encodeURIComponent(credentialSlug(credentialId))}`;
}

/** The public verification page of a credential: `/credentials/<uuid>`. */
export function credentialPath(credentialId: string): string {
  return `/credentials/${encodeURIComponent(credentialSlug(credentialId))}`;
}
