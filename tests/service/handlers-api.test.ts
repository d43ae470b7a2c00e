import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadCatalog } from '../../src/catalog/load';
import { initIssuer } from '../../src/credentials/issuer-keys';
import { cohortCatalog } from '../../src/cohorts/catalog';
import { createCohort } from '../../src/cohorts/setup';
import { createAccessCode, createAdminToken } from '../../src/server/portal';
import { createApiHandler, publicUrlOf } from '../../src/service/handlers/api';
import { httpApiHandler, isTextual, type HttpApiHandler } from '../../src/service/handlers/http-api-adapter';
import { SqliteStore } from '../../src/store/sqlite-store';
import { replaySandbox } from '../attempts/support/fixtures';

/** An HTTP API (payload format 2.0) event as API Gateway sends it, for a request from 198.51.100.7. */
function httpEvent(method: string, rawPath: string, options: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': '0',
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-65f1c0de-0123456789abcdef01234567',
      'x-forwarded-for': '198.51.100.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '111122223333',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'curl/8.5.0' },
      requestId: 'UmCZ0jWnliAEJvw=',
      routeKey: '$default',
      stage: '$default',
      time: '13/Mar/2026:09:00:00 +0000',
      timeEpoch: 1773392400000,
    },
    isBase64Encoded: false,
    ...options,
  };
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  peer: string;
}

describe('HTTP API adapter', () => {
  let seen: Seen[];
  let handler: HttpApiHandler;
  beforeAll(() => {
    seen = [];
    handler = httpApiHandler(() =>
      createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: body.toString('latin1'), peer: req.socket.remoteAddress! });
          if (req.url === '/binary') {
            res.writeHead(200, { 'Content-Type': 'image/png' });
            res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]));
            return;
          }
          res.setHeader('Set-Cookie', ['a=1; Path=/; HttpOnly', 'b=2; Path=/; Secure']);
          res.setHeader('Vary', 'Accept');
          res.appendHeader('Vary', 'Cookie');
          // A chunked response: the adapter must hand back the whole body without the framing.
          res.writeHead(201, { 'Content-Type': 'application/json; charset=utf-8' });
          res.write('{"echo":');
          res.end(`${JSON.stringify(body.toString('utf8'))}}`);
        });
      }),
    );
  });
  afterAll(() => handler.close());

  it('replays method, raw path and raw query string (repeated keys, escapes) unchanged', async () => {
    await handler(httpEvent('GET', '/api/admin/attempts', { rawQueryString: 'state=active&state=graded&q=a%20b%26c', queryStringParameters: { state: 'active,graded', q: 'a b&c' } }));
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/api/admin/attempts?state=active&state=graded&q=a%20b%26c' });
  });

  it('decodes a base64 body byte for byte and sets its length', async () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a]);
    await handler(httpEvent('POST', '/upload', { body: bytes.toString('base64'), isBase64Encoded: true, headers: { 'content-type': 'application/octet-stream' } }));
    expect(Buffer.from(seen.at(-1)!.body, 'latin1')).toEqual(bytes);
    expect(seen.at(-1)!.headers['content-length']).toBe('6');
  });

  it('passes a text body as UTF-8', async () => {
    const r = await handler(httpEvent('POST', '/api/verify', { body: '{"jwt":"é…"}', headers: { 'content-type': 'application/json' } }));
    expect(seen.at(-1)!.body).toBe(Buffer.from('{"jwt":"é…"}', 'utf8').toString('latin1'));
    expect(JSON.parse(r.body!)).toEqual({ echo: '{"jwt":"é…"}' });
  });

  it('joins the cookies array into one Cookie header', async () => {
    await handler(httpEvent('GET', '/', { cookies: ['sp_session=abc', 'sp_csrf=def'] }));
    expect(seen.at(-1)!.headers.cookie).toBe('sp_session=abc; sp_csrf=def');
  });

  it("replaces the client's X-Forwarded-For with the source IP API Gateway saw", async () => {
    const event = httpEvent('GET', '/');
    event.headers['x-forwarded-for'] = '203.0.113.66, 198.51.100.7';
    await handler(event);
    expect(seen.at(-1)!.headers['x-forwarded-for']).toBe('198.51.100.7');
    expect(seen.at(-1)!.peer).toBe('127.0.0.1');
  });

  it('returns every Set-Cookie in cookies, joins other repeated headers, and drops hop-by-hop ones', async () => {
    const r = await handler(httpEvent('GET', '/'));
    expect(r.statusCode).toBe(201);
    expect(r.cookies).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/; Secure']);
    expect(r.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', vary: 'Accept, Cookie' });
    expect(r.headers).not.toHaveProperty('transfer-encoding');
    expect(r.headers).not.toHaveProperty('connection');
    expect(r.headers).not.toHaveProperty('set-cookie');
    expect(r.isBase64Encoded).toBe(false);
  });

  it('base64-encodes a binary response body', async () => {
    const r = await handler(httpEvent('GET', '/binary'));
    expect(r.isBase64Encoded).toBe(true);
    expect(Buffer.from(r.body!, 'base64')).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]));
  });

  it('answers HEAD with headers and no body', async () => {
    const r = await handler(httpEvent('HEAD', '/'));
    expect(r).toMatchObject({ statusCode: 201, body: '', isBase64Encoded: false });
  });

  it('treats text, JSON, JWTs and SVG as text, and everything else as binary', () => {
    for (const type of ['text/html; charset=utf-8', 'application/json', 'application/jwk-set+json', 'application/did+json', 'application/vc+jwt', 'image/svg+xml', 'text/css']) expect(isTextual(type)).toBe(true);
    for (const type of ['image/png', 'application/octet-stream', 'application/zip', undefined]) expect(isTextual(type)).toBe(false);
  });

  it('builds the server again on the next event when the factory failed', async () => {
    let calls = 0;
    const flaky = httpApiHandler(() => {
      calls += 1;
      if (calls === 1) throw new Error('store unreachable');
      return createServer((_req, res) => res.end('ok'));
    });
    try {
      await expect(flaky(httpEvent('GET', '/'))).rejects.toThrow('store unreachable');
      expect((await flaky(httpEvent('GET', '/'))).statusCode).toBe(200);
    } finally {
      await flaky.close();
    }
  });
});

describe('API handler: the portal behind the adapter', () => {
  let dir: string;
  let store: SqliteStore;
  let handler: HttpApiHandler;
  let code: string;
  let attemptId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-api-handler-'));
    store = SqliteStore.open(dir);
    await initIssuer(dir, store, { id: 'did:web:badges.example.com', name: 'Test Issuer' });
    await store.ensureCandidate({ id: 'cand-1', subjectId: 'urn:uuid:00000000-0000-4000-8000-000000000001', emailHash: null }, { actor: 'test', action: 'candidate.created', subject: 'cand-1' });
    attemptId = 'att-0123456789ab';
    await store.createAttempt(
      { id: attemptId, candidateId: 'cand-1', kind: 'practice', targetId: 'serverless-orders-api', taskIds: ['serverless-orders-api'], sandbox: replaySandbox, timeLimitSeconds: 3600 },
      { actor: 'test', action: 'attempt.created', subject: attemptId },
    );
    code = (await createAccessCode(store, attemptId, { actor: 'test' })).code;
    handler = createApiHandler({
      store: async () => store,
      catalog: () => loadCatalog(),
      env: { SKILLPROOF_SANDBOX_POOL: '', AWS_REGION: 'eu-west-1' },
      server: { dataDir: dir, log: () => undefined },
    });
  });
  afterAll(async () => {
    await handler.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cookieValue = (r: APIGatewayProxyStructuredResultV2, name: string) => r.cookies?.find((c) => c.startsWith(`${name}=`))?.split(';')[0];

  it('answers /healthz with the security headers and no-store', async () => {
    const r = await handler(httpEvent('GET', '/healthz'));
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body!)).toEqual({ status: 'ok' });
    expect(r.headers).toMatchObject({ 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff' });
  });

  it('lets verifiers and caches keep the JWKS and DID document for 5 minutes, status lists for 1', async () => {
    const jwks = await handler(httpEvent('GET', '/.well-known/jwks.json'));
    expect(jwks.statusCode).toBe(200);
    expect(jwks.headers).toMatchObject({ 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' });
    expect(JSON.parse(jwks.body!).keys).toHaveLength(1);
    expect((await handler(httpEvent('GET', '/.well-known/did.json'))).headers).toMatchObject({ 'cache-control': 'public, max-age=300' });
    // No status list is published before the first credential: a 404 must not be cached.
    expect((await handler(httpEvent('GET', '/status/1'))).headers).toMatchObject({ 'cache-control': 'no-store' });
    await store.allocateStatusIndex(
      { attemptId, credentialId: 'urn:uuid:00000000-0000-4000-8000-0000000000aa', validFrom: '2026-03-13T09:00:00Z', listUrl: (id) => `https://badges.example.com/status/${id}` },
      { actor: 'test', action: 'credential.status-allocated', subject: attemptId },
    );
    const list = await handler(httpEvent('GET', '/status/1'));
    expect(list.statusCode).toBe(200);
    expect(list.headers).toMatchObject({ 'content-type': 'application/vc+jwt', 'cache-control': 'public, max-age=60' });
  });

  it('signs a candidate in through the page form (base64 form body, CSRF cookie) and keeps the session cookie', async () => {
    const page = await handler(httpEvent('GET', '/sign-in'));
    expect(page.statusCode).toBe(200);
    const csrfCookie = cookieValue(page, 'sp_csrf')!;
    expect(page.cookies![0]).toMatch(/; Secure$/); // the public URL is https, so cookies are Secure
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body!)![1]!;
    const form = new URLSearchParams({ _csrf: csrf, accessCode: code }).toString();
    const signedIn = await handler(
      httpEvent('POST', '/sign-in', {
        cookies: [csrfCookie],
        headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
        body: Buffer.from(form).toString('base64'),
        isBase64Encoded: true,
      }),
    );
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers!.location).toBe(`/attempts/${attemptId}?notice=signed-in`);
    const session = cookieValue(signedIn, 'sp_session')!;
    expect(session).toMatch(/^sp_session=/);
    const attemptPage = await handler(httpEvent('GET', `/attempts/${attemptId}`, { cookies: [csrfCookie, session] }));
    expect(attemptPage.statusCode).toBe(200);
    expect(attemptPage.body).toContain(attemptId);
  });

  it("serves the store's cohorts (the cohort API answers, not 503)", async () => {
    const { token } = await createAdminToken(store, 'ops', 'test');
    await createCohort(
      { cohorts: store.cohorts, catalog: cohortCatalog(loadCatalog()), actor: 'test' },
      { programme: 'Level Up', name: 'Spring 2026', cadenceMonths: 3, startsAt: '2026-03-02', targetAssessmentIds: ['aws-serverless'], groupSize: 10 },
    );
    const r = await handler(httpEvent('GET', '/api/admin/cohorts', { headers: { authorization: `Bearer ${token}`, host: 'abc123.execute-api.eu-west-1.amazonaws.com' } }));
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body!).cohorts.map((c: { id: string }) => c.id)).toEqual(['spring-2026']);
  });

  it('uses the configured public URL, else the API domain, for links and cookies', () => {
    const event = httpEvent('GET', '/');
    expect(publicUrlOf(event, {})).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
    expect(publicUrlOf(event, { SKILLPROOF_PUBLIC_URL: 'https://badges.example.com/ignored' })).toBe('https://badges.example.com');
  });
});
