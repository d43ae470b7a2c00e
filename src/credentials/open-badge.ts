/**
 * Open Badges 3.0 `OpenBadgeCredential` on the W3C Verifiable Credentials Data Model 2.0.
 * Property names, types and required members follow the OB 3.0 data model (AchievementCredential,
 * Profile, AchievementSubject, IdentityObject, Achievement, Criteria, ResultDescription, Result,
 * Evidence) and Bitstring Status List v1.0 (BitstringStatusListEntry).
 */

export const VC_CONTEXT_V2 = 'https://www.w3.org/ns/credentials/v2';
export const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
export const OB_CREDENTIAL_SCHEMA = {
  id: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json',
  type: '1EdTechJsonSchemaValidator2019',
} as const;

export interface IssuerProfile {
  /** `did:web:...` or an https URL. */
  id: string;
  name: string;
  url?: string;
}

export interface Profile extends IssuerProfile {
  type: ['Profile'];
}

export type IdentityType = 'identifier' | 'emailAddress';

export interface IdentityObject {
  type: 'IdentityObject';
  hashed: true;
  /** `sha256$<hex>` of the identity followed by `salt`. */
  identityHash: string;
  identityType: IdentityType;
  salt: string;
}

export interface ResultDescription {
  id: string;
  type: ['ResultDescription'];
  name: string;
  resultType: 'Status' | 'Percent';
}

export interface Achievement {
  id: string;
  type: ['Achievement'];
  name: string;
  description: string;
  criteria: { narrative: string };
  achievementType: string;
  resultDescription?: ResultDescription[];
}

export interface Result {
  type: ['Result'];
  /** The `id` of the ResultDescription this result answers. */
  resultDescription: string;
  status?: 'Completed';
  value?: string;
}

export interface Evidence {
  id: string;
  type: ['Evidence'];
  name: string;
  narrative: string;
}

export interface BitstringStatusListEntry {
  id: string;
  type: 'BitstringStatusListEntry';
  statusPurpose: 'revocation';
  /** A decimal integer, as a string (Bitstring Status List v1.0). */
  statusListIndex: string;
  statusListCredential: string;
}

export interface OpenBadgeCredential {
  '@context': [typeof VC_CONTEXT_V2, typeof OB_CONTEXT];
  id: string;
  type: ['VerifiableCredential', 'OpenBadgeCredential'];
  name: string;
  description?: string;
  issuer: Profile;
  validFrom: string;
  validUntil?: string;
  awardedDate: string;
  credentialSubject: {
    id?: string;
    type: ['AchievementSubject'];
    identifier: IdentityObject[];
    achievement: Achievement;
    result: Result[];
  };
  evidence: Evidence[];
  credentialStatus?: BitstringStatusListEntry;
  credentialSchema: [typeof OB_CREDENTIAL_SCHEMA];
}

export interface AchievementInput {
  /** A URI; defaults (in issuance) to `<issuer base>/achievements/<assessment-id>`. */
  id: string;
  name: string;
  description: string;
  criteriaNarrative: string;
  /** An OB 3.0 AchievementType, or `ext:<Name>`; default `MicroCredential`. */
  achievementType?: string;
}

export interface EvidenceInput {
  sha256: string;
  name: string;
  narrative: string;
}

export interface OpenBadgeInput {
  /** A URI, normally `urn:uuid:<uuid>`; becomes the JWT `jti`. */
  id: string;
  issuer: IssuerProfile;
  validFrom: Date | string;
  validUntil?: Date | string;
  subject: { id?: string; identifiers: Array<Omit<IdentityObject, 'type' | 'hashed'>> };
  achievement: AchievementInput;
  /** Percentage score, shown alongside the pass status when given. */
  scorePercent?: number;
  evidence: EvidenceInput[];
  status?: { listUrl: string; index: number };
}

export class CredentialInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialInputError';
  }
}

/**
 * An instant as a VC `dateTimeStamp` in whole seconds: JWT NumericDates are seconds, and OB 3.0
 * requires `nbf` to equal `validFrom` exactly.
 */
export function toDateTimeStamp(value: Date | string): string {
  const ms = typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (Number.isNaN(ms)) throw new CredentialInputError(`"${String(value)}" is not a date-time.`);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const URI = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/;

function requireUri(what: string, value: string | undefined): void {
  if (value === undefined || !URI.test(value)) throw new CredentialInputError(`${what} must be a URI (e.g. urn:uuid:..., did:web:..., https://...); got "${value}".`);
}

export function statusListEntry(listUrl: string, index: number): BitstringStatusListEntry {
  return {
    id: `${listUrl}#${index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: 'revocation',
    statusListIndex: String(index),
    statusListCredential: listUrl,
  };
}

export function evidenceId(sha256: string): string {
  return `urn:sha256:${sha256}`;
}

export function buildOpenBadgeCredential(input: OpenBadgeInput): OpenBadgeCredential {
  requireUri('Credential id', input.id);
  requireUri('Issuer id', input.issuer.id);
  requireUri('Achievement id', input.achievement.id);
  if (input.subject.id !== undefined) requireUri('Subject id', input.subject.id);
  if (!input.issuer.name.trim()) throw new CredentialInputError('The issuer needs a name.');
  for (const field of ['name', 'description', 'criteriaNarrative'] as const) {
    if (!input.achievement[field].trim()) throw new CredentialInputError(`Achievement ${input.achievement.id} needs a non-empty ${field}.`);
  }
  if (input.subject.id === undefined && input.subject.identifiers.length === 0) {
    throw new CredentialInputError('The credential subject needs an id or at least one identifier.');
  }
  for (const e of input.evidence) {
    if (!/^[0-9a-f]{64}$/.test(e.sha256)) throw new CredentialInputError(`Evidence "${e.name}" needs a lower-case hex sha256; got "${e.sha256}".`);
  }
  const validFrom = toDateTimeStamp(input.validFrom);
  const validUntil = input.validUntil === undefined ? undefined : toDateTimeStamp(input.validUntil);
  if (validUntil !== undefined && Date.parse(validUntil) <= Date.parse(validFrom)) {
    throw new CredentialInputError(`validUntil (${validUntil}) must be after validFrom (${validFrom}).`);
  }

  const statusDescription: ResultDescription = {
    id: `${input.achievement.id}#result-status`,
    type: ['ResultDescription'],
    name: 'Assessment outcome',
    resultType: 'Status',
  };
  const resultDescription: ResultDescription[] = [statusDescription];
  const result: Result[] = [{ type: ['Result'], resultDescription: statusDescription.id, status: 'Completed' }];
  if (input.scorePercent !== undefined) {
    const scoreDescription: ResultDescription = {
      id: `${input.achievement.id}#result-score`,
      type: ['ResultDescription'],
      name: 'Score',
      resultType: 'Percent',
    };
    resultDescription.push(scoreDescription);
    result.push({ type: ['Result'], resultDescription: scoreDescription.id, value: String(Math.round(input.scorePercent)) });
  }

  const credential: OpenBadgeCredential = {
    '@context': [VC_CONTEXT_V2, OB_CONTEXT],
    id: input.id,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: input.achievement.name,
    issuer: { id: input.issuer.id, type: ['Profile'], name: input.issuer.name, ...(input.issuer.url ? { url: input.issuer.url } : {}) },
    validFrom,
    ...(validUntil ? { validUntil } : {}),
    awardedDate: validFrom,
    credentialSubject: {
      ...(input.subject.id ? { id: input.subject.id } : {}),
      type: ['AchievementSubject'],
      identifier: input.subject.identifiers.map((i) => ({ type: 'IdentityObject', hashed: true, ...i })),
      achievement: {
        id: input.achievement.id,
        type: ['Achievement'],
        name: input.achievement.name,
        description: input.achievement.description,
        criteria: { narrative: input.achievement.criteriaNarrative },
        achievementType: input.achievement.achievementType ?? 'MicroCredential',
        resultDescription,
      },
      result,
    },
    evidence: input.evidence.map((e) => ({ id: evidenceId(e.sha256), type: ['Evidence'], name: e.name, narrative: e.narrative })),
    ...(input.status ? { credentialStatus: statusListEntry(input.status.listUrl, input.status.index) } : {}),
    credentialSchema: [OB_CREDENTIAL_SCHEMA],
  };
  return credential;
}
