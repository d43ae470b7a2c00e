import { z } from 'zod';
import type { RequestContext } from './context';
import { download, HttpError, jsonBody, jsonReply, validate, type Reply } from './http';
import { ceremonyCsv } from './cohorts';
import {
  badgeNameRequest,
  ceremonySchema,
  cohortDetailSchema,
  cohortRecordSchema,
  cohortViewSchema,
  groupViewSchema,
  memberRecordSchema,
  membershipSchema,
  memberSelfUpdateRequest,
  publicBadgeSchema,
} from './cohort-schemas';
import { buildOpenApi } from './openapi';
import { actorOf as actor, type Principal } from './portal';
import {
  accessCodeRequest,
  attemptFilterQuery,
  auditQuery,
  createAttemptRequest,
  createTokenRequest,
  reasonRequest,
  signInRequest,
  submitRequest,
  verifyRequest,
} from './requests';
import {
  accessCodeViewSchema,
  adminAttemptSchema,
  adminCredentialSchema,
  adminTokenViewSchema,
  attemptSummarySchema,
  auditViewSchema,
  candidateAttemptSchema,
  candidateCredentialSchema,
  catalogViewSchema,
  createdAttemptSchema,
  instructionsSchema,
  newAccessCodeSchema,
  newAdminTokenSchema,
  progressViewSchema,
  publicCredentialSchema,
  runDetailSchema,
  sandboxAccessSchema,
  signInResultSchema,
  verificationSchema,
} from './views';

export type Auth = 'none' | 'candidate' | 'admin';

/**
 * How long verifiers and shared caches may keep the public verification documents (everything else
 * is no-store). Keys change rarely; a status list carries revocations, so it is kept for a minute.
 */
export const PUBLIC_CACHE = { keys: 'public, max-age=300', statusList: 'public, max-age=60' } as const;

/** One documented endpoint: the OpenAPI document is generated from this table. */
export interface ApiRoute {
  method: 'GET' | 'POST';
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  query?: z.ZodType;
  /** JSON responses: the schema of the body; other media types: what is sent. */
  response: { status: number; schema: z.ZodType } | { status: number; contentType: string; description: string };
  /** Statuses this endpoint may answer besides its success and the 401/403 of its auth. */
  errors: number[];
  handle(ctx: RequestContext): Promise<Reply>;
}

type Input<A extends Auth, B extends z.ZodType, Q extends z.ZodType> = {
  principal: A extends 'none' ? undefined : Principal;
  body: z.output<B>;
  query: z.output<Q>;
};

const noQuery = z.strictObject({});

interface Spec<A extends Auth, B extends z.ZodType, Q extends z.ZodType> {
  method: 'GET' | 'POST';
  path: string;
  summary: string;
  auth: A;
  body?: B;
  query?: Q;
  errors?: number[];
}

async function inputs<A extends Auth, B extends z.ZodType, Q extends z.ZodType>(ctx: RequestContext, spec: Spec<A, B, Q>): Promise<Input<A, B, Q>> {
  const principal = spec.auth === 'none' ? undefined : await ctx.requireBearer(spec.auth);
  const query = validate(spec.query ?? noQuery, ctx.query(), 'query') as z.output<Q>;
  const body = (spec.body ? await jsonBody(ctx.req, spec.body) : undefined) as z.output<B>;
  return { principal: principal as Input<A, B, Q>['principal'], body, query };
}

/** A JSON endpoint whose answer is typed by (and documented as) `schema`. */
function json<A extends Auth, R extends z.ZodType, B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = typeof noQuery>(
  spec: Spec<A, B, Q> & { status?: number; response: R; run(ctx: RequestContext, input: Input<A, B, Q>): Promise<z.input<R>> },
): ApiRoute {
  const status = spec.status ?? 200;
  return {
    ...spec,
    errors: spec.errors ?? [],
    response: { status, schema: spec.response },
    handle: async (ctx) => jsonReply(await spec.run(ctx, await inputs(ctx, spec)), status),
  };
}

/** An endpoint that answers with another media type (a JWT, a file). */
function other<A extends Auth, B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = typeof noQuery>(
  spec: Spec<A, B, Q> & { contentType: string; description: string; run(ctx: RequestContext, input: Input<A, B, Q>): Promise<Reply> },
): ApiRoute {
  return {
    ...spec,
    errors: spec.errors ?? [],
    response: { status: 200, contentType: spec.contentType, description: spec.description },
    handle: async (ctx) => spec.run(ctx, await inputs(ctx, spec)),
  };
}

const list = <T extends z.ZodType>(key: string, item: T) => z.object({ [key]: z.array(item) });

export function apiRoutes(): ApiRoute[] {
  const routes: ApiRoute[] = [
    // ── public ──────────────────────────────────────────────────────────────────────────────
    json({ method: 'GET', path: '/healthz', summary: 'Liveness: the process answers and its database is open', auth: 'none', response: z.object({ status: z.literal('ok') }), run: async (ctx) => {
      await ctx.portal.store.installationSalt();
      return { status: 'ok' as const };
    } }),
    other({ method: 'GET', path: '/api/openapi.json', summary: 'This API described in OpenAPI 3.1', auth: 'none', contentType: 'application/json', description: 'the OpenAPI document', run: async (ctx) =>
      jsonReply(buildOpenApi(routes, ctx.origin)) }),
    other({ method: 'GET', path: '/.well-known/jwks.json', summary: "The issuer's public keys (JWKS) that credentials are signed with", auth: 'none', errors: [503], contentType: 'application/jwk-set+json', description: 'JWK Set', run: async (ctx) => {
      const issuer = await ctx.portal.requireIssuer();
      return { ...jsonReply(issuer.jwks), headers: { 'Content-Type': 'application/jwk-set+json', 'Access-Control-Allow-Origin': '*', 'Cache-Control': PUBLIC_CACHE.keys } };
    } }),
    other({ method: 'GET', path: '/.well-known/did.json', summary: "The issuer's did:web DID document", auth: 'none', errors: [404, 503], contentType: 'application/did+json', description: 'DID document', run: async (ctx) => didDocument(ctx) }),
    other({ method: 'GET', path: '/status/{list}', summary: 'A signed Bitstring Status List credential (the URL credentials reference in credentialStatus)', auth: 'none', errors: [404, 503], contentType: 'application/vc+jwt', description: 'status list credential as a VC-JWT', run: async (ctx) => {
      const issuer = await ctx.portal.requireIssuer();
      if (!/^\d{1,9}$/.test(ctx.param('list'))) throw new HttpError(404, 'not-found', 'Status lists are numbered: /status/<number>.');
      return statusList(ctx, issuer.statusListUrl(Number(ctx.param('list'))));
    } }),
    json({ method: 'GET', path: '/api/credentials/{id}', summary: 'Verify an issued credential: issuer, achievement, dates, status and evidence hashes', auth: 'none', errors: [404, 503], response: publicCredentialSchema, run: async (ctx) => {
      const view = await ctx.portal.publicCredential(ctx.param('id'), ctx.origin);
      if (!view) throw new HttpError(404, 'credential-not-found', `No credential "${ctx.param('id')}" was issued here.`);
      return view;
    } }),
    json({ method: 'GET', path: '/api/badges/{credentialId}', summary: 'A public badge: what it certifies, to whom (the name its holder chose, if any), its status verified now, its images and LinkedIn link', auth: 'none', errors: [404, 503], response: publicBadgeSchema, run: async (ctx) => {
      const badge = await ctx.portal.badges.publicBadge(ctx.param('credentialId'), ctx.origin);
      if (!badge) throw new HttpError(404, 'badge-not-found', `No credential "${ctx.param('credentialId')}" was issued here.`);
      return badge;
    } }),
    json({ method: 'POST', path: '/api/verify', summary: "Verify a VC-JWT against this issuer's key and status list", auth: 'none', body: verifyRequest, errors: [400, 503], response: verificationSchema, run: async (ctx, { body }) =>
      ctx.portal.verify(body.jwt) }),

    // ── candidates ──────────────────────────────────────────────────────────────────────────
    json({ method: 'POST', path: '/api/sign-in', summary: 'Exchange an access code for a session token (failed sign-ins are rate-limited per address and per code)', auth: 'none', body: signInRequest, errors: [400, 401, 429], response: signInResultSchema, run: async (ctx, { body }) => {
      const { token, session, attemptId } = await ctx.limitedSignIn('candidate', body.accessCode, () => ctx.portal.signInCandidate(body.accessCode));
      return { token, expiresAt: session.expiresAt, candidateId: session.candidateId as string, attemptId };
    } }),
    json({ method: 'POST', path: '/api/sign-out', summary: 'End the session of the bearer token', auth: 'candidate', response: z.object({ signedOut: z.literal(true) }), run: async (ctx) => {
      await ctx.portal.signOut(/^Bearer\s+(\S+)/i.exec(ctx.req.headers.authorization ?? '')?.[1] ?? '');
      return { signedOut: true as const };
    } }),
    json({ method: 'GET', path: '/api/attempts', summary: "The signed-in candidate's attempts", auth: 'candidate', response: list('attempts', attemptSummarySchema), run: async (ctx, { principal }) => ({
      attempts: await ctx.portal.candidateAttempts(principal),
    }) }),
    json({ method: 'GET', path: '/api/attempts/{id}', summary: 'One of your attempts: state, time left, latest progress, result and credential', auth: 'candidate', errors: [404], response: candidateAttemptSchema, run: async (ctx, { principal }) =>
      ctx.portal.candidateView(principal, ctx.param('id'), ctx.origin) }),
    json({ method: 'GET', path: '/api/attempts/{id}/instructions', summary: "The tasks' instructions, as Markdown and as sanitised HTML", auth: 'candidate', errors: [404], response: instructionsSchema, run: async (ctx, { principal }) => ({
      tasks: await ctx.portal.instructions(principal, ctx.param('id')),
    }) }),
    json({ method: 'POST', path: '/api/attempts/{id}/start', summary: 'Start the attempt: the clock starts', auth: 'candidate', errors: [404, 409], response: candidateAttemptSchema, run: async (ctx, { principal }) => {
      await ctx.portal.start(principal, ctx.param('id'));
      return ctx.portal.candidateView(principal, ctx.param('id'), ctx.origin);
    } }),
    json({ method: 'POST', path: '/api/attempts/{id}/sandbox-access', summary: 'Temporary AWS credentials and a console sign-in link for the sandbox (active attempts)', auth: 'candidate', errors: [404, 409, 502, 503], response: sandboxAccessSchema, run: async (ctx, { principal }) =>
      ctx.portal.sandboxAccess(principal, ctx.param('id')) }),
    json({ method: 'POST', path: '/api/attempts/{id}/check', summary: 'Check my progress: grade the visible checks now (rate-limited per attempt)', auth: 'candidate', errors: [404, 409, 429, 503], response: progressViewSchema, run: async (ctx, { principal }) =>
      ctx.portal.check(principal, ctx.param('id')) }),
    json({ method: 'POST', path: '/api/attempts/{id}/submit', summary: 'Submit: freezes the sandbox and starts the final grading (poll the attempt until grading.state is idle); also resumes an interrupted grading', auth: 'candidate', body: submitRequest, status: 202, errors: [400, 404, 409], response: candidateAttemptSchema, run: async (ctx, { principal }) => {
      await ctx.portal.submit(principal, ctx.param('id'));
      return ctx.portal.candidateView(principal, ctx.param('id'), ctx.origin);
    } }),
    json({ method: 'GET', path: '/api/attempts/{id}/credential', summary: 'Your credential: the VC-JWT, its Open Badges 3.0 JSON and the share link', auth: 'candidate', errors: [404], response: candidateCredentialSchema, run: async (ctx, { principal }) => {
      const credential = await ctx.portal.candidateCredential(principal, ctx.param('id'));
      const view = await ctx.portal.candidateView(principal, ctx.param('id'), ctx.origin);
      return { ...(view.credential as NonNullable<typeof view.credential>), jwt: credential.jwt, credential: credential.credential };
    } }),
    json({ method: 'POST', path: '/api/attempts/{id}/badge', summary: "Choose the name your credential's public badge shows as \"issued to\" (null or empty: none)", auth: 'candidate', body: badgeNameRequest, errors: [400, 404, 503], response: publicBadgeSchema, run: async (ctx, { principal, body }) =>
      ctx.portal.badges.setShownName(principal, ctx.param('id'), body.shownName, ctx.origin) }),
    json({ method: 'GET', path: '/api/cohorts', summary: 'The cohort groups you belong to', auth: 'candidate', errors: [503], response: list('memberships', membershipSchema), run: async (ctx, { principal }) => ({
      memberships: await ctx.portal.cohorts.memberships(principal),
    }) }),
    json({ method: 'GET', path: '/api/cohorts/{cohortId}/groups/{groupId}', summary: "Your group: each member's milestones, tasks passed, badges and standing, by name (403 for a group you are not in)", auth: 'candidate', errors: [404, 503], response: groupViewSchema, run: async (ctx, { principal }) =>
      ctx.portal.cohorts.groupView(principal, ctx.param('cohortId'), ctx.param('groupId')) }),
    json({ method: 'POST', path: '/api/cohorts/{cohortId}/me', summary: 'Change your own entry in a cohort: the name your group sees, and whether they see your entry at all', auth: 'candidate', body: memberSelfUpdateRequest, errors: [400, 404, 409, 503], response: memberRecordSchema, run: async (ctx, { principal, body }) =>
      ctx.portal.cohorts.updateOwnEntry(principal, ctx.param('cohortId'), body) }),

    // ── administrators ──────────────────────────────────────────────────────────────────────
    json({ method: 'GET', path: '/api/admin/catalog', summary: 'Assessments and tasks', auth: 'admin', response: catalogViewSchema, run: async (ctx) => ctx.portal.catalogView() }),
    json({ method: 'GET', path: '/api/admin/attempts', summary: 'Attempts, newest first, filtered by state, assessment or task, and candidate', auth: 'admin', query: attemptFilterQuery, errors: [400], response: list('attempts', attemptSummarySchema), run: async (ctx, { query }) => ({
      attempts: await ctx.portal.adminAttempts(query),
    }) }),
    json({ method: 'POST', path: '/api/admin/attempts', summary: 'Create an attempt and its first access code', auth: 'admin', body: createAttemptRequest, status: 201, errors: [400], response: createdAttemptSchema, run: async (ctx, { principal, body }) => {
      const { attempt, accessCode } = await ctx.portal.createAttempt(body, actor(principal), ctx.origin);
      return { attempt, accessCode: { ...accessCodeView(accessCode.record), code: accessCode.code } };
    } }),
    json({ method: 'GET', path: '/api/admin/attempts/{id}', summary: "One attempt: runs, access codes, credential and what can be done next", auth: 'admin', errors: [404], response: adminAttemptSchema, run: async (ctx) =>
      ctx.portal.adminView(ctx.param('id'), ctx.origin) }),
    json({ method: 'GET', path: '/api/admin/attempts/{id}/runs/{runId}', summary: "A grading run with its full report (assessor detail included)", auth: 'admin', errors: [404], response: runDetailSchema, run: async (ctx) =>
      ctx.portal.runDetail(ctx.param('id'), ctx.param('runId')) }),
    other({ method: 'GET', path: '/api/admin/evidence/{sha256}', summary: 'An evidence bundle (every AWS call of a grading run), by its sha256', auth: 'admin', errors: [400, 404], contentType: 'application/json', description: 'the evidence bundle (skillproof.evidence/v1)', run: async (ctx) =>
      download(await ctx.portal.evidence(ctx.param('sha256')), 'application/json; charset=utf-8', `evidence-${ctx.param('sha256').slice(0, 12)}.json`) }),
    json({ method: 'POST', path: '/api/admin/attempts/{id}/access-codes', summary: 'Create another access code for the attempt (shown once)', auth: 'admin', body: accessCodeRequest, status: 201, errors: [400, 404], response: newAccessCodeSchema, run: async (ctx, { principal, body }) => {
      const { code, record } = await ctx.portal.createAccessCode(ctx.param('id'), body.expiresInHours, actor(principal));
      return { ...accessCodeView(record), code };
    } }),
    json({ method: 'POST', path: '/api/admin/access-codes/{id}/revoke', summary: 'Revoke an access code; sessions opened with it end', auth: 'admin', errors: [404], response: accessCodeViewSchema, run: async (ctx, { principal }) =>
      accessCodeView(await ctx.portal.revokeAccessCode(ctx.param('id'), actor(principal))) }),
    json({ method: 'POST', path: '/api/admin/attempts/{id}/regrade', summary: 'Re-run the final grading of an incomplete attempt (in the background)', auth: 'admin', status: 202, errors: [404, 409], response: adminAttemptSchema, run: async (ctx, { principal }) => {
      await ctx.portal.regrade(ctx.param('id'), actor(principal));
      return ctx.portal.adminView(ctx.param('id'), ctx.origin);
    } }),
    json({ method: 'POST', path: '/api/admin/attempts/{id}/credential', summary: 'Issue the credential of a passed assessment attempt, with a reason for the audit log', auth: 'admin', body: reasonRequest, status: 201, errors: [400, 404, 409, 503], response: adminCredentialSchema, run: async (ctx, { principal, body }) => {
      const credential = await ctx.portal.issue(ctx.param('id'), body.reason, actor(principal));
      return ctx.portal.adminCredential(credential.id, ctx.origin);
    } }),
    json({ method: 'GET', path: '/api/admin/credentials', summary: 'Issued credentials, newest first', auth: 'admin', response: list('credentials', adminCredentialSchema), run: async (ctx) => ({
      credentials: await ctx.portal.adminCredentials(ctx.origin),
    }) }),
    json({ method: 'POST', path: '/api/admin/credentials/{id}/revoke', summary: 'Revoke a credential with a reason (idempotent; its status list bit is set)', auth: 'admin', body: reasonRequest, errors: [400, 404], response: adminCredentialSchema, run: async (ctx, { principal, body }) => {
      const credential = await ctx.portal.revoke(ctx.param('id'), body.reason, actor(principal));
      return ctx.portal.adminCredential(credential.id, ctx.origin);
    } }),
    json({ method: 'GET', path: '/api/admin/audit', summary: 'The audit log, newest first, and whether its hash chain is intact', auth: 'admin', query: auditQueryWithLimit(), errors: [400], response: auditViewSchema, run: async (ctx, { query }) =>
      ctx.portal.audit(query.subject, query.limit ?? 500) }),
    json({ method: 'GET', path: '/api/admin/cohorts', summary: 'Cohorts, by name', auth: 'admin', errors: [503], response: list('cohorts', cohortRecordSchema), run: async (ctx) => ({
      cohorts: await ctx.portal.cohorts.cohorts(),
    }) }),
    json({ method: 'GET', path: '/api/admin/cohorts/{cohortId}', summary: 'A cohort and its groups', auth: 'admin', errors: [404, 503], response: cohortDetailSchema, run: async (ctx) =>
      ctx.portal.cohorts.cohortDetail(ctx.param('cohortId')) }),
    json({ method: 'GET', path: '/api/admin/cohorts/{cohortId}/view', summary: 'The organiser’s view: completion funnel by milestone, progress per group, who is behind (nothing ranked)', auth: 'admin', errors: [404, 503], response: cohortViewSchema, run: async (ctx) =>
      ctx.portal.cohorts.cohortView(ctx.param('cohortId')) }),
    json({ method: 'GET', path: '/api/admin/cohorts/{cohortId}/groups/{groupId}', summary: 'A group as the organiser sees it (hidden entries included, marked hidden)', auth: 'admin', errors: [404, 503], response: groupViewSchema, run: async (ctx, { principal }) =>
      ctx.portal.cohorts.groupView(principal, ctx.param('cohortId'), ctx.param('groupId')) }),
    json({ method: 'GET', path: '/api/admin/cohorts/{cohortId}/ceremony', summary: 'The closing ceremony: completion and voucher eligibility per member, by group and name', auth: 'admin', errors: [404, 503], response: ceremonySchema, run: async (ctx) =>
      ctx.portal.cohorts.ceremony(ctx.param('cohortId')) }),
    other({ method: 'GET', path: '/api/admin/cohorts/{cohortId}/ceremony.csv', summary: 'The closing ceremony as CSV (fields that could run as spreadsheet formulas are quoted out)', auth: 'admin', errors: [404, 503], contentType: 'text/csv', description: 'one row per member', run: async (ctx) => {
      const { cohortId, entries } = await ctx.portal.cohorts.ceremony(ctx.param('cohortId'));
      return download(ceremonyCsv(entries), 'text/csv; charset=utf-8', `ceremony-${cohortId}.csv`);
    } }),
    json({ method: 'GET', path: '/api/admin/tokens', summary: 'Admin tokens (never the tokens themselves)', auth: 'admin', response: list('tokens', adminTokenViewSchema), run: async (ctx) => ({
      tokens: (await ctx.portal.listAdminTokens()).map(tokenView),
    }) }),
    json({ method: 'POST', path: '/api/admin/tokens', summary: 'Create another admin token (shown once)', auth: 'admin', body: createTokenRequest, status: 201, errors: [400], response: newAdminTokenSchema, run: async (ctx, { principal, body }) => {
      const { token, record } = await ctx.portal.createAdminToken(body.name, actor(principal));
      return { ...tokenView(record), token };
    } }),
    json({ method: 'POST', path: '/api/admin/tokens/{id}/revoke', summary: 'Revoke an admin token; its sessions end', auth: 'admin', errors: [404], response: adminTokenViewSchema, run: async (ctx, { principal }) =>
      tokenView(await ctx.portal.revokeAdminToken(ctx.param('id'), actor(principal))) }),
  ];
  return routes;
}

function auditQueryWithLimit() {
  return auditQuery.extend({ limit: z.coerce.number().int().min(1).max(10_000).optional().describe('newest entries to return (default 500)') });
}

const accessCodeView = (r: { id: string; attemptId: string; createdAt: string; expiresAt: string | null; revokedAt: string | null }) => ({
  id: r.id,
  attemptId: r.attemptId,
  createdAt: r.createdAt,
  expiresAt: r.expiresAt,
  revokedAt: r.revokedAt,
});

const tokenView = (r: { id: string; name: string; createdAt: string; revokedAt: string | null }) => ({ id: r.id, name: r.name, createdAt: r.createdAt, revokedAt: r.revokedAt });

async function didDocument(ctx: RequestContext): Promise<Reply> {
  const issuer = await ctx.portal.requireIssuer();
  if (!issuer.didDocument) throw new HttpError(404, 'not-did-web', `The issuer ${issuer.id} is not a did:web identifier, so there is no DID document.`);
  return { ...jsonReply(issuer.didDocument), headers: { 'Content-Type': 'application/did+json', 'Access-Control-Allow-Origin': '*', 'Cache-Control': PUBLIC_CACHE.keys } };
}

async function statusList(ctx: RequestContext, listUrl: string): Promise<Reply> {
  const jwt = await ctx.portal.statusListJwt(listUrl);
  if (!jwt) throw new HttpError(404, 'status-list-not-found', `No status list ${listUrl} has been published by this issuer.`);
  return { status: 200, headers: { 'Content-Type': 'application/vc+jwt', 'Access-Control-Allow-Origin': '*', 'Cache-Control': PUBLIC_CACHE.statusList }, body: jwt };
}

/**
 * The issuer's documents where its identifier says they are when that is not the conventional
 * path: a did:web with a path (`did:web:host:badges` → /badges/did.json) and a status list base
 * URL other than /status.
 */
export async function issuerDocumentAt(ctx: RequestContext): Promise<Reply | undefined> {
  const issuer = await ctx.portal.issuer();
  if (!issuer) return undefined;
  const path = ctx.url.pathname;
  const base = new URL(issuer.baseUrl).pathname.replace(/\/$/, '');
  if (issuer.didDocument && base && path === `${base}/did.json`) return didDocument(ctx);
  const listBase = new URL(issuer.statusListBaseUrl).pathname.replace(/\/$/, '');
  const match = path.startsWith(`${listBase}/`) ? /^(\d{1,9})$/.exec(path.slice(listBase.length + 1)) : null;
  return match ? statusList(ctx, issuer.statusListUrl(Number(match[1]))) : undefined;
}
