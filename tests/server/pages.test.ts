import { FormClient } from './support/form-client';
import { startTestPortal, type TestPortal } from './support/portal';

/** Markup the CSP would block, or that would let input run as script. */
function expectNoInlineScript(html: string): void {
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
  expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/\sstyle\s*=/i);
  expect(html).not.toMatch(/javascript:/i);
}

describe('web pages', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await startTestPortal({
      sandboxAccess: async () => ({
        accountId: '123456789012',
        region: 'eu-west-1',
        roleArn: 'arn:aws:iam::123456789012:role/skillproof/candidate',
        consoleUrl: 'https://signin.aws.amazon.com/federation?Action=login&SigninToken=abc',
        credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI', sessionToken: 'FwoGZXIvYXdzE', expiration: '2030-01-01T00:00:00.000Z' },
        sandboxExpiresAt: '2030-01-01T00:00:00.000Z',
      }),
    });
  });
  afterAll(() => portal.shutdown());

  describe('headers', () => {
    it.each(['/', '/sign-in', '/verify', '/admin/sign-in', '/healthz', '/api/openapi.json', '/no-such-page'])('%s carries the security headers', async (path) => {
      const r = await fetch(`${portal.url}${path}`);
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    });

    it('serves the stylesheet and script the pages load', async () => {
      const css = await fetch(`${portal.url}/static/portal.css`);
      expect(css.headers.get('content-type')).toMatch(/^text\/css/);
      const js = await fetch(`${portal.url}/static/portal.js`);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await js.text()).toContain('data-countdown');
    });

    it('answers GET / with HTML', async () => {
      const r = await new FormClient(portal.url).get('/');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.html).toMatch(/^<!doctype html>/);
      expectNoInlineScript(r.html);
    });

    it('answers an unknown page with an HTML 404 and an unknown API path with JSON', async () => {
      const page = await fetch(`${portal.url}/nowhere`);
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const api = await portal.api('GET', '/api/nowhere');
      expect(api.status).toBe(404);
      expect(api.body.error.code).toBe('not-found');
    });

    it('answers a wrong method with 405 and Allow', async () => {
      const r = await portal.api('DELETE', '/api/attempts');
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET');
    });
  });

  describe('request bodies', () => {
    it('refuses malformed JSON with 400', async () => {
      const r = await portal.api('POST', '/api/sign-in', { body: '{"accessCode":', headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('malformed-json');
    });

    it('refuses a body that is not JSON with 415', async () => {
      const r = await portal.api('POST', '/api/verify', { body: 'jwt=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(r.status).toBe(415);
    });

    it('refuses a body over 64 KiB with 413', async () => {
      const r = await portal.api('POST', '/api/verify', { body: { jwt: 'x'.repeat(70_000) } });
      expect(r.status).toBe(413);
    });

    it('survives a request line it cannot parse', async () => {
      const { connect } = await import('node:net');
      const { port } = new URL(portal.url);
      const reply = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write('GARBAGE / \r\n\r\n'));
        let data = '';
        socket.on('data', (d) => (data += d.toString()));
        socket.on('close', () => resolve(data));
      });
      expect(reply).toMatch(/^HTTP\/1.1 400/);
      expect((await portal.api('GET', '/healthz')).status).toBe(200);
    });
  });

  describe('candidate sign-in form', () => {
    it('signs in with a valid code and a session cookie that scripts cannot read', async () => {
      const { attemptId, code } = await portal.newAttempt('form@example.com', { target: 'serverless-orders-api' });
      const browser = new FormClient(portal.url);
      const r = await browser.submit('/sign-in', '/sign-in', { accessCode: code });
      expect(r.status).toBe(303);
      expect(r.location).toBe(`/attempts/${attemptId}?notice=signed-in`);
      const cookie = r.headers.getSetCookie().find((c) => c.startsWith('sp_session='));
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      const page = await browser.get(r.location!);
      expect(page.status).toBe(200);
      expect(page.html).toContain('Orders API');
      expectNoInlineScript(page.html);
    });

    it('refuses a form without a CSRF token', async () => {
      const browser = new FormClient(portal.url);
      await browser.get('/sign-in');
      const r = await browser.post('/sign-in', { accessCode: 'AAAA' });
      expect(r.status).toBe(403);
      expect(r.html).toContain('did not come from this site');
    });

    it('refuses a CSRF token taken from another browser', async () => {
      const attacker = new FormClient(portal.url);
      await attacker.get('/sign-in');
      const victim = new FormClient(portal.url);
      await victim.get('/sign-in');
      expect((await victim.post('/sign-in', { _csrf: attacker.csrf(), accessCode: 'AAAA' })).status).toBe(403);
    });

    it.each([
      ['Origin of another site', { origin: 'https://evil.example' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ])('refuses a form sent with %s', async (_name, headers) => {
      const browser = new FormClient(portal.url);
      await browser.get('/sign-in');
      expect((await browser.post('/sign-in', { _csrf: browser.csrf(), accessCode: 'AAAA' }, headers)).status).toBe(403);
    });

  });

  it('shows sandbox access (console link and CLI credentials) on a page nobody caches', async () => {
    const created = await portal.api('POST', '/api/admin/attempts', {
      token: portal.adminToken,
      body: {
        candidate: 'console@example.com',
        target: 'serverless-orders-api',
        sandbox: { kind: 'aws', accountId: '123456789012', roleArn: 'arn:aws:iam::123456789012:role/skillproof/grader', externalId: 'ext-123456' },
      },
    });
    const id = created.body.attempt.id as string;
    const browser = new FormClient(portal.url);
    await browser.submit('/sign-in', '/sign-in', { accessCode: created.body.accessCode.code });
    await browser.submit(`/attempts/${id}`, `/attempts/${id}/start`);
    const r = await browser.submit(`/attempts/${id}`, `/attempts/${id}/sandbox-access`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.html).toContain('href="https://signin.aws.amazon.com/federation?Action=login&amp;SigninToken=abc" target="_blank" rel="noopener noreferrer"');
    expect(r.html).toContain('export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI');
    expectNoInlineScript(r.html);
  });

  describe('who sees which page', () => {
    it('sends a visitor without a session to the sign-in pages', async () => {
      const browser = new FormClient(portal.url);
      expect((await browser.get('/attempts')).headers.get('location')).toBe('/sign-in');
      expect((await browser.get('/admin/attempts')).headers.get('location')).toBe('/admin/sign-in');
    });

    it('shows a candidate another candidate’s attempt as not found', async () => {
      const a = await portal.newAttempt('pages-a@example.com', { target: 'serverless-orders-api' });
      const b = await portal.newAttempt('pages-b@example.com', { target: 'serverless-orders-api' });
      const browser = new FormClient(portal.url);
      await browser.submit('/sign-in', '/sign-in', { accessCode: b.code });
      expect((await browser.get(`/attempts/${a.attemptId}`)).status).toBe(404);
      expect((await browser.get(`/attempts/${a.attemptId}/credential.jwt`)).status).toBe(404);
    });

    it('does not let a candidate session into the admin pages', async () => {
      const { code } = await portal.newAttempt('sneaky@example.com', { target: 'serverless-orders-api' });
      const browser = new FormClient(portal.url);
      await browser.submit('/sign-in', '/sign-in', { accessCode: code });
      expect((await browser.get('/admin/attempts')).headers.get('location')).toBe('/admin/sign-in');
    });

    it('binds a form’s CSRF token to the session it was made for', async () => {
      const { attemptId, code } = await portal.newAttempt('bound@example.com', { target: 'serverless-orders-api' });
      const browser = new FormClient(portal.url);
      await browser.get('/sign-in');
      const beforeSignIn = browser.csrf();
      await browser.post('/sign-in', { _csrf: beforeSignIn, accessCode: code });
      expect((await browser.post(`/attempts/${attemptId}/start`, { _csrf: beforeSignIn })).status).toBe(403);
      expect((await browser.submit(`/attempts/${attemptId}`, `/attempts/${attemptId}/start`)).status).toBe(303);
    });
  });

  describe('admin pages', () => {
    let admin: FormClient;
    beforeAll(async () => {
      admin = new FormClient(portal.url);
      const r = await admin.submit('/admin/sign-in', '/admin/sign-in', { token: portal.adminToken });
      expect(r.location).toBe('/admin?notice=signed-in');
    });

    it('refuses a wrong admin token', async () => {
      const r = await new FormClient(portal.url).submit('/admin/sign-in', '/admin/sign-in', { token: 'spa_wrong' });
      expect(r.status).toBe(401);
      expect(r.html).toContain('not valid or was revoked');
    });

    it.each(['/admin', '/admin/attempts', '/admin/attempts/new', '/admin/credentials', '/admin/audit'])('renders %s without inline script', async (path) => {
      const r = await admin.get(path);
      expect(r.status).toBe(200);
      expectNoInlineScript(r.html);
    });

    it('escapes what it echoes', async () => {
      const r = await admin.get(`/admin/attempts?candidate=${encodeURIComponent('<script>alert(1)</script>')}`);
      expect(r.html).not.toContain('<script>alert(1)</script>');
      expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });

    it('creates an attempt from the form and shows its access code once', async () => {
      const r = await admin.submit('/admin/attempts/new', '/admin/attempts', {
        candidate: 'walk-in@example.com',
        target: 'serverless-orders-api',
        sandboxKind: 'replay',
        path: portal.evidence({}, ['serverless-orders-api']),
        timeLimitMinutes: '45',
      });
      expect(r.status).toBe(200);
      const code = /id="access-code">([A-Z0-9-]+)</.exec(r.html)?.[1];
      expect(code).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
      const attemptId = /\/admin\/attempts\/(att-[0-9a-f]+)/.exec(r.html)?.[1];
      const detail = await admin.get(`/admin/attempts/${attemptId}`);
      expect(detail.html).not.toContain(code!);
      expect((await portal.api('POST', '/api/sign-in', { body: { accessCode: code } })).status).toBe(200);
    });

    it('explains an invalid form field', async () => {
      const r = await admin.submit('/admin/attempts/new', '/admin/attempts', { candidate: 'x', target: 'serverless-orders-api', sandboxKind: 'aws', accountId: '12' });
      expect(r.status).toBe(400);
      expect(r.html).toContain('sandbox.accountId');
      expect(r.html).toContain('12-digit');
    });
  });
});

describe('sign-in rate limit', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await startTestPortal({ signInPerMinute: 3 });
  });
  afterAll(() => portal.shutdown());

  it('answers 429 with Retry-After once an address has failed too often, on the form and the API alike; admins keep their own limit', async () => {
    const browser = new FormClient(portal.url);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await browser.submit('/sign-in', '/sign-in', { accessCode: `WRONG-${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const api = await portal.api('POST', '/api/sign-in', { body: { accessCode: 'WRONG' } });
    expect(api.status).toBe(429);
    expect(Number(api.headers.get('retry-after'))).toBeGreaterThan(0);
    const admin = await new FormClient(portal.url).submit('/admin/sign-in', '/admin/sign-in', { token: portal.adminToken });
    expect(admin.status).toBe(303);
  });
});
