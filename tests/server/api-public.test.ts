import { generateKeyPair, SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import { apiRoutes } from '../../src/server/api';
import { decodeStatusList, isBitSet } from '../../src/credentials/status-list';
import { publicCredentialSchema, verificationSchema } from '../../src/server/views';
import { gradingDone, startTestPortal, type TestPortal } from './support/portal';

describe('public API', () => {
  let portal: TestPortal;
  let credential: { id: string; jwt: string; slug: string; index: number };
  beforeAll(async () => {
    portal = await startTestPortal();
    const { attemptId, code } = await portal.newAttempt('pat@example.com');
    const token = await portal.signIn(code);
    await portal.api('POST', `/api/attempts/${attemptId}/start`, { token });
    await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } });
    await gradingDone(portal, attemptId, token);
    const r = await portal.api('GET', `/api/attempts/${attemptId}/credential`, { token });
    const status = r.body.credential.credentialStatus as { statusListIndex: string };
    credential = { id: r.body.id, jwt: r.body.jwt, slug: r.body.id.replace('urn:uuid:', ''), index: Number(status.statusListIndex) };
  });
  afterAll(() => portal.shutdown());

  it('answers GET /healthz with 200', async () => {
    const r = await portal.api('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok' });
  });

  it('publishes the issuer’s JWKS, with the key that signed the credential', async () => {
    const r = await portal.api('GET', '/.well-known/jwks.json');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/jwk-set+json');
    const { payload } = await jwtVerify(credential.jwt, createLocalJWKSet(r.body));
    expect(payload.jti).toBe(credential.id);
  });

  it('publishes the did:web document of did:web:localhost', async () => {
    const r = await portal.api('GET', '/.well-known/did.json');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: 'did:web:localhost', assertionMethod: [expect.stringMatching(/^did:web:localhost#/)] });
  });

  describe('POST /api/verify', () => {
    it('verifies an issued credential', async () => {
      const r = await portal.api('POST', '/api/verify', { body: { jwt: credential.jwt } });
      expect(verificationSchema.parse(r.body)).toMatchObject({ status: 'valid', statusChecked: true, credential: { id: credential.id } });
    });

    it('says a tampered credential is invalid', async () => {
      const [h, p, s] = credential.jwt.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
      payload.name = 'AWS Grand Master';
      const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
      const r = await portal.api('POST', '/api/verify', { body: { jwt: forged } });
      expect(r.body).toMatchObject({ status: 'invalid', reason: 'signature', credential: null });
    });

    it('says a credential signed by someone else’s key is invalid', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const jwt = await new SignJWT({ name: 'x' }).setProtectedHeader({ alg: 'ES256', kid: 'did:web:evil.example#k', typ: 'JWT' }).sign(privateKey);
      const r = await portal.api('POST', '/api/verify', { body: { jwt } });
      expect(r.body).toMatchObject({ status: 'invalid', reason: 'unknown-key' });
    });

    it('says text that is not a JWT is malformed, and refuses an empty body', async () => {
      expect((await portal.api('POST', '/api/verify', { body: { jwt: 'hello' } })).body).toMatchObject({ status: 'invalid', reason: 'malformed' });
      const r = await portal.api('POST', '/api/verify', { body: { jwt: '' } });
      expect(r.status).toBe(400);
    });
  });

  it('publishes the status list at the path the credential references, and sets the bit on revocation', async () => {
    const listUrl = new URL(JSON.parse(Buffer.from(credential.jwt.split('.')[1]!, 'base64url').toString()).credentialStatus.statusListCredential as string);
    expect(listUrl.pathname).toBe('/status/1');
    const bit = async () => {
      const r = await portal.api('GET', listUrl.pathname);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/vc+jwt');
      const jwks = (await portal.api('GET', '/.well-known/jwks.json')).body;
      const { payload } = await jwtVerify(r.text, createLocalJWKSet(jwks));
      return isBitSet(decodeStatusList((payload.credentialSubject as { encodedList: string }).encodedList), credential.index);
    };
    expect(await bit()).toBe(false);
    await portal.api('POST', `/api/admin/credentials/${credential.slug}/revoke`, { token: portal.adminToken, body: { reason: 'testing the status list' } });
    expect(await bit()).toBe(true);
    expect((await portal.api('POST', '/api/verify', { body: { jwt: credential.jwt } })).body).toMatchObject({ status: 'revoked', reason: 'revoked' });
    expect((await portal.api('GET', '/status/99')).status).toBe(404);
    expect((await portal.api('GET', '/status/abc')).status).toBe(404);
  });

  it('shows a credential’s facts and status by id, with or without urn:uuid:', async () => {
    for (const id of [credential.slug, encodeURIComponent(credential.id)]) {
      const r = await portal.api('GET', `/api/credentials/${id}`);
      expect(r.status).toBe(200);
      const view = publicCredentialSchema.parse(r.body);
      expect(view.credential).toMatchObject({ id: credential.id, issuer: { id: 'did:web:localhost', name: 'SkillProof Test Issuer' }, achievement: { name: 'AWS Serverless Builder' } });
      expect(view.credential?.evidence).toHaveLength(4);
      expect(view.credential?.evidence[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(view.jwtUrl).toBe(`${portal.url}/credentials/${credential.slug}/jwt`);
    }
    expect((await portal.api('GET', '/api/credentials/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await portal.api('GET', '/api/credentials/not-a-uuid')).status).toBe(404);
  });

  it('documents every endpoint in OpenAPI 3.1', async () => {
    const r = await portal.api('GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ openapi: '3.1.0', servers: [{ url: portal.url }] });
    for (const route of apiRoutes()) {
      const op = r.body.paths[route.path]?.[route.method.toLowerCase()];
      expect({ route: `${route.method} ${route.path}`, documented: Boolean(op?.summary && op.responses) }).toEqual({ route: `${route.method} ${route.path}`, documented: true });
      if (route.body) expect(op.requestBody.content['application/json'].schema.type).toBe('object');
      if (route.auth !== 'none') expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(r.body.paths['/api/admin/attempts'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['state', 'assessment', 'candidate']);
  });
});

describe('public API before the issuer is initialised', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await startTestPortal({ issuer: false });
  });
  afterAll(() => portal.shutdown());

  it('stays healthy and says the issuer is missing with 503', async () => {
    expect((await portal.api('GET', '/healthz')).status).toBe(200);
    for (const path of ['/.well-known/jwks.json', '/.well-known/did.json', '/status/1']) {
      const r = await portal.api('GET', path);
      expect(r.status).toBe(503);
      expect(r.body.error.message).toMatch(/skillproof issuer init/);
    }
  });

  it('grades a passing attempt and leaves its credential pending', async () => {
    const { attemptId, code } = await portal.newAttempt('early@example.com');
    const token = await portal.signIn(code);
    await portal.api('POST', `/api/attempts/${attemptId}/start`, { token });
    await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } });
    expect((await gradingDone(portal, attemptId, token)).body).toMatchObject({ state: 'graded', result: 'passed', credentialPending: true });
    const issue = await portal.api('POST', `/api/admin/attempts/${attemptId}/credential`, { token: portal.adminToken, body: { reason: 'try' } });
    expect(issue.status).toBe(503);
  });
});

describe('public API for an issuer whose did:web has a path', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await startTestPortal({ issuerId: 'did:web:localhost:badges' });
  });
  afterAll(() => portal.shutdown());

  it('serves the DID document and the status list where the identifier and the credentials point', async () => {
    const { attemptId, code } = await portal.newAttempt('path@example.com');
    const token = await portal.signIn(code);
    await portal.api('POST', `/api/attempts/${attemptId}/start`, { token });
    await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } });
    await gradingDone(portal, attemptId, token);
    const { credential } = (await portal.api('GET', `/api/attempts/${attemptId}/credential`, { token })).body;
    const listPath = new URL(credential.credentialStatus.statusListCredential).pathname;
    expect(listPath).toBe('/badges/status/1');
    const list = await portal.api('GET', listPath);
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toBe('application/vc+jwt');
    expect((await portal.api('GET', '/badges/did.json')).body.id).toBe('did:web:localhost:badges');
    expect((await portal.api('POST', '/api/verify', { body: { jwt: (await portal.api('GET', `/api/attempts/${attemptId}/credential`, { token })).body.jwt } })).body.status).toBe('valid');
  });
});

