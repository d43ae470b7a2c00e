import { apiRoutes, type ApiRoute } from '../../src/server/api';
import { startTestPortal, type TestPortal } from './support/portal';

/**
 * The authorisation matrix, for every endpoint of the route table (a new endpoint is covered
 * without touching this file): who may call it, and what everyone else is told.
 */
describe('API authorisation', () => {
  let portal: TestPortal;
  let ids: Record<string, string>;
  let aliceCode: string;
  const tokens: Record<'a' | 'b' | 'revokedCandidate' | 'revokedAdmin' | 'adminSession', string> = { a: '', b: '', revokedCandidate: '', revokedAdmin: '', adminSession: '' };

  beforeAll(async () => {
    portal = await startTestPortal();
    const a = await portal.newAttempt('alice@example.com', { target: 'serverless-orders-api' });
    const b = await portal.newAttempt('bob@example.com', { target: 'serverless-orders-api' });
    const c = await portal.newAttempt('carol@example.com', { target: 'serverless-orders-api' });
    aliceCode = a.code;
    tokens.a = await portal.signIn(a.code);
    tokens.b = await portal.signIn(b.code);
    tokens.revokedCandidate = await portal.signIn(c.code);
    const codes = (await portal.api('GET', `/api/admin/attempts/${c.attemptId}`, { token: portal.adminToken })).body.accessCodes;
    await portal.api('POST', `/api/admin/access-codes/${codes[0].id}/revoke`, { token: portal.adminToken });
    const extra = await portal.api('POST', '/api/admin/tokens', { token: portal.adminToken, body: { name: 'soon revoked' } });
    tokens.revokedAdmin = extra.body.token;
    await portal.api('POST', `/api/admin/tokens/${extra.body.id}/revoke`, { token: portal.adminToken });
    tokens.adminSession = (await portal.portal.signInAdmin(portal.adminToken)).token;
    ids = { id: a.attemptId, runId: 'run-000000000000', sha256: '0'.repeat(64), list: '1' };
  });
  afterAll(() => portal.shutdown());

  const routes = apiRoutes();
  const path = (route: ApiRoute, overrides: Record<string, string> = {}) => route.path.replace(/\{(\w+)\}/g, (_m, name: string) => overrides[name] ?? ids[name] ?? 'x');
  /** Valid bodies, so that an endpoint answers on authorisation rather than on validation. */
  const BODIES: Record<string, unknown> = { '/api/attempts/{id}/submit': { confirm: true } };
  const call = (route: ApiRoute, token?: string) =>
    portal.api(route.method, path(route), { ...(token ? { token } : {}), ...(route.method === 'POST' ? { body: BODIES[route.path] ?? {} } : {}) });
  const candidateRoutes = routes.filter((r) => r.auth === 'candidate').map((r) => [`${r.method} ${r.path}`, r] as const);
  const adminRoutes = routes.filter((r) => r.auth === 'admin').map((r) => [`${r.method} ${r.path}`, r] as const);
  const publicRoutes = routes.filter((r) => r.auth === 'none').map((r) => [`${r.method} ${r.path}`, r] as const);

  describe.each([...candidateRoutes, ...adminRoutes])('%s', (_name, route) => {
    it('answers 401 without a token', async () => {
      const r = await call(route);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('no-token');
    });

    it.each(['spa_not-a-real-token', 'sps_not-a-real-token', 'garbage'])('answers 401 to the unknown token %s', async (token) => {
      const r = await call(route, token);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('bad-token');
    });

    it('answers 401 to a revoked token', async () => {
      const r = await call(route, route.auth === 'admin' ? tokens.revokedAdmin : tokens.revokedCandidate);
      expect(r.status).toBe(401);
    });

    it('answers 403 to a valid token of the other kind', async () => {
      const r = await call(route, route.auth === 'admin' ? tokens.a : portal.adminToken);
      expect(r.status).toBe(403);
    });
  });

  describe.each(candidateRoutes)('%s', (_name, route) => {
    it('lets the candidate who holds the attempt in', async () => {
      // Signing out ends the session it is called with, so it gets a session of its own.
      const token = route.path === '/api/sign-out' ? await portal.signIn(aliceCode) : tokens.a;
      const r = await call(route, token);
      expect([401, 403]).not.toContain(r.status);
      expect(r.body?.error?.code).not.toBe('attempt-not-found');
    });

    if (route.path.includes('{id}')) {
      it('tells another candidate the attempt does not exist', async () => {
        const r = await call(route, tokens.b);
        expect(r.status).toBe(404);
        expect(r.body.error.code).toBe('attempt-not-found');
        expect(r.text).not.toContain('alice');
      });
    }
  });

  describe.each(adminRoutes)('%s', (_name, route) => {
    it.each(['admin token', 'admin session token'])('lets an %s in', async (kind) => {
      const r = await call(route, kind === 'admin token' ? portal.adminToken : tokens.adminSession);
      expect([401, 403]).not.toContain(r.status);
    });
  });

  describe.each(publicRoutes)('%s', (_name, route) => {
    it('needs no token', async () => {
      expect([401, 403]).not.toContain((await call(route)).status);
    });
  });

  it('shows candidate A only A’s attempts', async () => {
    const r = await portal.api('GET', '/api/attempts', { token: tokens.a });
    expect(r.body.attempts.map((a: { id: string }) => a.id)).toEqual([ids.id]);
  });
});
