import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { z } from 'zod';
import { OB_CONTEXT, VC_CONTEXT_V2 } from './open-badge';
import { decodeStatusList, isBitSet, StatusListError } from './status-list';
import { ALLOWED_HEADER_PARAMETERS, issuerIdOf, JWT_TYP, REGISTERED_CLAIMS, SIGNING_ALGORITHMS, toNumericDate } from './vc-jwt';

export type VerificationReason = 'signature' | 'expired' | 'not-yet-valid' | 'revoked' | 'malformed' | 'unknown-key' | 'status-unavailable';

export interface VerificationResult {
  valid: boolean;
  reason?: VerificationReason;
  /** What was wrong, for a person. */
  message?: string;
  /** The credential, once its signature has been verified (also for expired or revoked ones). */
  credential?: Record<string, unknown>;
  /** Whether the revocation status was looked up (false when no status resolver was given). */
  statusChecked: boolean;
  /** The status list the revocation bit was read from, once its signature and validity were checked. */
  statusList?: StatusListUsed;
}

/** Which status list answered, and how fresh it was: an old list could predate a revocation. */
export interface StatusListUsed {
  url: string;
  validFrom: string;
  validUntil?: string;
}

/** Returns the status list credential (a VC-JWT) published at `url`, or undefined if unavailable. */
export type StatusListResolver = (url: string) => Promise<string | undefined>;

export interface VerifierOptions {
  /** The issuer's public keys; the only trust anchor. */
  jwks: JSONWebKeySet;
  resolveStatusList?: StatusListResolver;
  now?: () => Date;
  clockToleranceSeconds?: number;
}

const dateTime = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an XML Schema dateTimeStamp');
const uri = z.string().regex(/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/, 'must be a URI');
const typeIncluding = (...required: string[]) =>
  z.array(z.string()).refine((t) => required.every((r) => t.includes(r)), `must include ${required.join(', ')}`);

const openBadgeSchema = z.looseObject({
  '@context': z
    .array(z.unknown())
    .refine((c) => c[0] === VC_CONTEXT_V2, `must start with ${VC_CONTEXT_V2}`)
    .refine((c) => c.some((x) => typeof x === 'string' && x.startsWith('https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.')), `must include ${OB_CONTEXT}`),
  id: uri,
  type: z.array(z.string()).refine((t) => t.includes('VerifiableCredential') && (t.includes('OpenBadgeCredential') || t.includes('AchievementCredential')), 'must include VerifiableCredential and OpenBadgeCredential'),
  name: z.string().min(1),
  issuer: z.union([uri, z.looseObject({ id: uri, type: typeIncluding('Profile') })]),
  validFrom: dateTime,
  validUntil: dateTime.optional(),
  credentialSubject: z.looseObject({
    id: uri.optional(),
    type: typeIncluding('AchievementSubject'),
    achievement: z.looseObject({
      id: uri,
      type: typeIncluding('Achievement'),
      name: z.string().min(1),
      description: z.string().min(1),
      criteria: z.looseObject({}),
    }),
  }),
  credentialStatus: z
    .looseObject({
      type: z.literal('BitstringStatusListEntry'),
      statusPurpose: z.string(),
      statusListIndex: z.string().regex(/^\d+$/, 'must be a decimal integer'),
      statusListCredential: uri,
    })
    .optional(),
});

const statusListSchema = z.looseObject({
  '@context': z.array(z.unknown()).refine((c) => c[0] === VC_CONTEXT_V2, `must start with ${VC_CONTEXT_V2}`),
  id: uri,
  type: typeIncluding('VerifiableCredential', 'BitstringStatusListCredential'),
  issuer: z.union([uri, z.looseObject({ id: uri })]),
  validFrom: dateTime,
  validUntil: dateTime.optional(),
  credentialSubject: z.looseObject({
    type: z.literal('BitstringStatusList'),
    statusPurpose: z.string(),
    encodedList: z.string(),
  }),
});

type Failure = { reason: VerificationReason; message: string; credential?: Record<string, unknown> };
type Verified<T> = { credential: T; payload: JWTPayload } | Failure;

const fail = (reason: VerificationReason, message: string, credential?: Record<string, unknown>): Failure => ({
  reason,
  message,
  ...(credential ? { credential } : {}),
});

/**
 * A verifier for one issuer's key set. Reuse it: imported keys are cached. It checks, in order,
 * the compact JWS form and header, the signature against the key set, the validity period, the
 * credential's shape and its agreement with the JWT claims, and the revocation bit.
 */
export function createVerifier(options: VerifierOptions): (jwt: string) => Promise<VerificationResult> {
  const keySet = createLocalJWKSet(options.jwks);
  const now = options.now ?? (() => new Date());
  const tolerance = options.clockToleranceSeconds ?? 0;

  async function verifyVcJwt<T extends Record<string, unknown>>(jwt: string, schema: z.ZodType<T>): Promise<Verified<T>> {
    if (typeof jwt !== 'string' || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(jwt.trim())) {
      return fail('malformed', 'not a compact JWS (three base64url parts separated by dots)');
    }
    const token = jwt.trim();
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return fail('malformed', 'the JOSE header is not base64url-encoded JSON');
    }
    if (!SIGNING_ALGORITHMS.includes(header.alg as (typeof SIGNING_ALGORITHMS)[number])) {
      return fail('signature', `alg "${String(header.alg)}" is not accepted; credentials are signed with ${SIGNING_ALGORITHMS.join(' or ')}`);
    }
    const extra = Object.keys(header).filter((k) => !ALLOWED_HEADER_PARAMETERS.includes(k));
    if (extra.length > 0) return fail('malformed', `JOSE header parameters ${extra.join(', ')} are not allowed (only alg, kid, typ)`);
    if (header.typ !== undefined && header.typ !== JWT_TYP) return fail('malformed', `typ must be "${JWT_TYP}", not "${String(header.typ)}"`);

    let payload: JWTPayload;
    let timeFailure: Failure | undefined;
    try {
      ({ payload } = await jwtVerify(token, keySet, { algorithms: [...SIGNING_ALGORITHMS], currentDate: now(), clockTolerance: tolerance }));
    } catch (e) {
      if (e instanceof errors.JWTExpired) {
        payload = e.payload;
        timeFailure = fail('expired', `expired at ${new Date(Number(e.payload.exp) * 1000).toISOString()}`);
      } else if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'nbf') {
        payload = e.payload;
        timeFailure = fail('not-yet-valid', `not valid before ${new Date(Number(e.payload.nbf) * 1000).toISOString()}`);
      } else {
        return mapJoseError(e, header);
      }
    }

    const raw = credentialOf(payload);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail('malformed', `credential ${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'is invalid'}`);
    }
    const credential = parsed.data;
    if (timeFailure) return { ...timeFailure, credential };
    const mismatch = claimMismatch(payload, credential as unknown as ClaimSource, header.kid);
    if (mismatch) return fail(mismatch.reason, mismatch.message, credential);
    const time = Math.floor(now().getTime() / 1000);
    const validFrom = toNumericDate(credential.validFrom as string);
    if (validFrom > time + tolerance) return fail('not-yet-valid', `not valid before ${String(credential.validFrom)}`, credential);
    if (typeof credential.validUntil === 'string' && toNumericDate(credential.validUntil) <= time - tolerance) {
      return fail('expired', `expired at ${credential.validUntil}`, credential);
    }
    return { credential, payload };
  }

  async function checkStatus(credential: z.infer<typeof openBadgeSchema>): Promise<Failure | StatusListUsed | undefined> {
    const entry = credential.credentialStatus;
    if (!entry || !options.resolveStatusList) return undefined;
    let listJwt: string | undefined;
    try {
      listJwt = await options.resolveStatusList(entry.statusListCredential);
    } catch (e) {
      return fail('status-unavailable', `status list ${entry.statusListCredential} could not be fetched: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!listJwt) return fail('status-unavailable', `status list ${entry.statusListCredential} could not be found`);
    const list = await verifyVcJwt(listJwt, statusListSchema);
    if ('reason' in list && list.reason === 'expired') {
      // A list past its validUntil may predate a revocation: it is refused, not trusted a little.
      return fail('status-unavailable', `status list ${entry.statusListCredential} ${list.message}, so it may not show a later revocation; fetch the current list`);
    }
    if ('reason' in list) return fail('status-unavailable', `status list ${entry.statusListCredential} is not trustworthy: ${list.reason}: ${list.message}`);
    const subject = list.credential.credentialSubject;
    if (list.credential.id !== entry.statusListCredential) {
      return fail('status-unavailable', `the status list at ${entry.statusListCredential} describes ${list.credential.id}`);
    }
    if (issuerIdOf(list.credential.issuer) !== issuerIdOf(credential.issuer as string | { id: string })) {
      return fail('status-unavailable', `the status list was issued by ${issuerIdOf(list.credential.issuer)}, not by the credential's issuer`);
    }
    if (subject.statusPurpose !== entry.statusPurpose) {
      return fail('status-unavailable', `the status list's purpose is ${subject.statusPurpose}, the entry's is ${entry.statusPurpose}`);
    }
    try {
      const bits = decodeStatusList(subject.encodedList);
      if (isBitSet(bits, Number(entry.statusListIndex))) {
        return fail(entry.statusPurpose === 'revocation' ? 'revoked' : 'status-unavailable', `${entry.statusPurpose} bit ${entry.statusListIndex} is set in ${entry.statusListCredential}`);
      }
    } catch (e) {
      if (e instanceof StatusListError) return fail('status-unavailable', e.message);
      throw e;
    }
    const { validFrom, validUntil } = list.credential;
    return { url: entry.statusListCredential, validFrom, ...(validUntil ? { validUntil } : {}) };
  }

  return async (jwt: string): Promise<VerificationResult> => {
    const verified = await verifyVcJwt(jwt, openBadgeSchema);
    if ('reason' in verified) return { valid: false, statusChecked: false, ...verified };
    const { credential } = verified;
    const status = await checkStatus(credential);
    const statusChecked = Boolean(credential.credentialStatus && options.resolveStatusList);
    if (status && 'reason' in status) return { valid: false, statusChecked, ...status, credential };
    return { valid: true, credential, statusChecked, ...(status ? { statusList: status } : {}) };
  };
}

/** One-off verification; prefer `createVerifier` when verifying many. */
export function verifyCredentialJwt(jwt: string, options: VerifierOptions): Promise<VerificationResult> {
  return createVerifier(options)(jwt);
}

/** VCDM 2.0 JWTs carry the credential as the payload; VCDM 1.1-era ones wrap it in a `vc` claim. */
function credentialOf(payload: JWTPayload): Record<string, unknown> {
  if (payload.vc !== null && typeof payload.vc === 'object' && !Array.isArray(payload.vc)) return payload.vc as Record<string, unknown>;
  return Object.fromEntries(Object.entries(payload).filter(([k]) => !REGISTERED_CLAIMS.includes(k)));
}

interface ClaimSource {
  id: string;
  issuer: string | { id: string };
  validFrom: string;
  validUntil?: string;
  credentialSubject: { id?: string };
}

/** OB 3.0 §8.2: each registered claim must agree with the credential member it maps. */
function claimMismatch(payload: JWTPayload, c: ClaimSource, kid: string | undefined): Failure | undefined {
  const issuer = issuerIdOf(c.issuer);
  if (payload.iss !== issuer) return fail('malformed', `iss (${String(payload.iss)}) does not match issuer.id (${issuer})`);
  if (payload.jti !== c.id) return fail('malformed', `jti (${String(payload.jti)}) does not match the credential id (${c.id})`);
  if (payload.sub !== c.credentialSubject.id) {
    return fail('malformed', `sub (${String(payload.sub)}) does not match credentialSubject.id (${String(c.credentialSubject.id)})`);
  }
  if (payload.nbf !== toNumericDate(c.validFrom)) return fail('malformed', `nbf does not match validFrom (${c.validFrom})`);
  if ((payload.exp ?? undefined) !== (c.validUntil === undefined ? undefined : toNumericDate(c.validUntil))) {
    return fail('malformed', `exp does not match validUntil (${c.validUntil ?? 'absent'})`);
  }
  // A DID URL key id belongs to its DID: a key of another issuer in the same key set must not sign for this one.
  if (kid?.startsWith('did:') && kid.split('#')[0] !== issuer) {
    return fail('unknown-key', `key ${kid} does not belong to the issuer ${issuer}`);
  }
  return undefined;
}

function mapJoseError(e: unknown, header: ProtectedHeaderParameters): Failure {
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) {
    return fail('unknown-key', `no key${header.kid ? ` "${header.kid}"` : ''} for ${String(header.alg)} in the issuer's key set`);
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return fail('signature', 'the signature does not match the header and payload');
  if (e instanceof errors.JOSEAlgNotAllowed) return fail('signature', `alg "${String(header.alg)}" is not accepted`);
  if (e instanceof errors.JOSEError) return fail('malformed', e.message);
  return fail('malformed', e instanceof Error ? e.message : String(e));
}
