import { join } from 'node:path';
import { adminAttemptSchema, adminCredentialSchema, auditViewSchema, catalogViewSchema, publicCredentialSchema, runDetailSchema } from '../../src/server/views';
import { sha256Hex } from '../../src/store/canonical-json';
import { bundleHash } from '../../src/evidence/bundle';
import { ASSESSMENT, gradingDone, startTestPortal, writeEvidence, type TestPortal } from './support/portal';

/** Creates, signs in, starts and submits an attempt; returns it once graded. */
async function gradedAttempt(portal: TestPortal, candidate: string, evidence?: string) {
  const { attemptId, code } = await portal.newAttempt(candidate, evidence ? { evidence } : {});
  const token = await portal.signIn(code);
  await portal.api('POST', `/api/attempts/${attemptId}/start`, { token });
  await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } });
  await gradingDone(portal, attemptId, token);
  return { attemptId, token };
}

describe('admin API', () => {
  let portal: TestPortal;
  const admin = () => ({ token: portal.adminToken });
  beforeAll(async () => {
    portal = await startTestPortal();
  });
  afterAll(() => portal.shutdown());

  it('lists the assessments and tasks of the catalog', async () => {
    const r = await portal.api('GET', '/api/admin/catalog', admin());
    const catalog = catalogViewSchema.parse(r.body);
    expect(catalog.assessments.map((a) => a.id)).toEqual(['aws-agentic-ai', 'aws-serverless']);
    expect(catalog.tasks.map((t) => t.id)).toContain('serverless-orders-api');
  });

  describe('creating attempts', () => {
    it('creates an attempt for an assessment with its time limit and an access code', async () => {
      const r = await portal.api('POST', '/api/admin/attempts', {
        ...admin(),
        body: { candidate: 'new@example.com', target: ASSESSMENT, sandbox: { kind: 'replay', path: portal.evidence() } },
      });
      expect(r.status).toBe(201);
      expect(adminAttemptSchema.parse(r.body.attempt)).toMatchObject({ kind: 'assessment', state: 'created', timeLimitSeconds: 6 * 3600 });
      expect(r.body.accessCode.code).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
      expect(JSON.stringify(await portal.api('GET', `/api/admin/attempts/${r.body.attempt.id}`, admin()))).not.toContain(r.body.accessCode.code);
    });

    it.each([
      ['an unknown assessment or task', { target: 'no-such-thing' }, 'unknown-target'],
      ['a sandbox that is neither aws nor replay', { sandbox: { kind: 'gcp' } }, 'invalid-request'],
      ['an account id that is not 12 digits', { sandbox: { kind: 'aws', accountId: '42', roleArn: 'arn:aws:iam::123456789012:role/x', externalId: 'abc' } }, 'invalid-request'],
      ['a grader role in another account', { sandbox: { kind: 'aws', accountId: '123456789012', roleArn: 'arn:aws:iam::210987654321:role/grader', externalId: 'abc' } }, 'invalid-input'],
      ['replay evidence that does not cover every task', { sandbox: { kind: 'replay', path: join(__dirname, '..', '..', 'tasks', 'serverless-orders-api', 'fixtures', 'pass') } }, 'bad-replay-evidence'],
      ['an unknown field', { colour: 'blue' }, 'invalid-request'],
    ])('refuses %s with 400', async (_name, change, code) => {
      const body = { candidate: 'x@example.com', target: ASSESSMENT, sandbox: { kind: 'replay', path: portal.evidence() }, ...change };
      const r = await portal.api('POST', '/api/admin/attempts', { ...admin(), body });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message.length).toBeGreaterThan(20);
    });
  });

  describe('attempts, runs and evidence', () => {
    let attemptId: string;
    beforeAll(async () => {
      ({ attemptId } = await gradedAttempt(portal, 'grace@example.com'));
    });

    it('filters attempts by state, assessment and candidate (id or e-mail)', async () => {
      const { attemptId: other } = await portal.newAttempt('other@example.com', { target: 'serverless-orders-api' });
      const ids = async (query: string) => (await portal.api('GET', `/api/admin/attempts${query}`, admin())).body.attempts.map((a: { id: string }) => a.id);
      expect(await ids('?state=credentialed')).toEqual([attemptId]);
      expect(await ids('?candidate=grace@example.com')).toEqual([attemptId]);
      expect(await ids('?assessment=serverless-orders-api')).toContain(other);
      expect(await ids('?assessment=serverless-orders-api')).not.toContain(attemptId);
      expect(await ids('?candidate=nobody@example.com')).toEqual([]);
      const bad = await portal.api('GET', '/api/admin/attempts?state=sleeping', admin());
      expect(bad.status).toBe(400);
      expect(bad.body.error.issues[0].path).toBe('state');
    });

    it('shows one attempt with its runs, access codes and credential', async () => {
      const view = adminAttemptSchema.parse((await portal.api('GET', `/api/admin/attempts/${attemptId}`, admin())).body);
      expect(view).toMatchObject({ state: 'credentialed', result: 'passed', finalRound: 1, actions: [] });
      expect(view.runs.filter((r) => r.scope === 'final')).toHaveLength(4);
      expect(view.accessCodes).toHaveLength(1);
      expect(view.credential).toMatchObject({ status: 'valid', attemptId });
    });

    it('shows a run with its full report, assessor detail included', async () => {
      const view = (await portal.api('GET', `/api/admin/attempts/${attemptId}`, admin())).body;
      const run = view.runs[0];
      const r = await portal.api('GET', `/api/admin/attempts/${attemptId}/runs/${run.id}`, admin());
      expect(runDetailSchema.parse(r.body).report).toMatchObject({ format: 'skillproof.report/v1', status: 'passed' });
      expect(JSON.stringify(r.body.report)).toContain('"evidence"');
      expect((await portal.api('GET', `/api/admin/attempts/${attemptId}/runs/run-nope`, admin())).status).toBe(404);
    });

    it('serves an evidence bundle whose content matches its hash', async () => {
      const view = (await portal.api('GET', `/api/admin/attempts/${attemptId}`, admin())).body;
      const sha = view.runs[0].bundleSha256;
      const r = await portal.api('GET', `/api/admin/evidence/${sha}`, admin());
      expect(r.status).toBe(200);
      expect(r.headers.get('content-disposition')).toMatch(/^attachment/);
      expect([sha256Hex(r.text), bundleHash(r.body)]).toContain(sha);
      expect((await portal.api('GET', '/api/admin/evidence/not-a-hash', admin())).status).toBe(400);
      expect((await portal.api('GET', `/api/admin/evidence/${'0'.repeat(64)}`, admin())).status).toBe(404);
    });

    it('creates a further access code that signs the candidate in, and revokes it', async () => {
      const created = await portal.api('POST', `/api/admin/attempts/${attemptId}/access-codes`, { ...admin(), body: {} });
      expect(created.status).toBe(201);
      const token = await portal.signIn(created.body.code);
      expect((await portal.api('GET', `/api/attempts/${attemptId}`, { token })).status).toBe(200);
      const revoked = await portal.api('POST', `/api/admin/access-codes/${created.body.id}/revoke`, admin());
      expect(revoked.body.revokedAt).toEqual(expect.any(String));
      expect((await portal.api('GET', `/api/attempts/${attemptId}`, { token })).status).toBe(401);
      expect((await portal.api('POST', '/api/sign-in', { body: { accessCode: created.body.code } })).status).toBe(401);
    });
  });

  describe('re-running an incomplete grading', () => {
    it('re-grades when the grader could not finish, and issues the credential once it passes', async () => {
      const folder = portal.evidence({ 'serverless-queue-worker': 'error' });
      const { attemptId, token } = await gradedAttempt(portal, 'ivy@example.com', folder);
      const before = (await portal.api('GET', `/api/admin/attempts/${attemptId}`, admin())).body;
      expect(before).toMatchObject({ state: 'graded', result: 'incomplete', actions: ['regrade'] });
      expect((await portal.api('GET', `/api/attempts/${attemptId}`, { token })).body.resultDetail.result).toBe('incomplete');

      writeEvidence(folder, {});
      const r = await portal.api('POST', `/api/admin/attempts/${attemptId}/regrade`, admin());
      expect(r.status).toBe(202);
      await portal.portal.idle();
      const after = adminAttemptSchema.parse((await portal.api('GET', `/api/admin/attempts/${attemptId}`, admin())).body);
      expect(after).toMatchObject({ state: 'credentialed', result: 'passed', finalRound: 2 });
      expect(after.credential?.status).toBe('valid');
    });

    it('refuses to re-run a final result', async () => {
      const { attemptId } = await gradedAttempt(portal, 'jo@example.com', portal.evidence({ 'serverless-orders-api': 'fail' }));
      const r = await portal.api('POST', `/api/admin/attempts/${attemptId}/regrade`, admin());
      expect(r.status).toBe(409);
      expect(r.body.error.message).toMatch(/failed is final/);
    });
  });

  describe('revoking credentials', () => {
    let credentialId: string;
    beforeAll(async () => {
      const { attemptId } = await gradedAttempt(portal, 'kim@example.com');
      credentialId = (await portal.api('GET', `/api/admin/attempts/${attemptId}`, admin())).body.credential.id;
    });

    it('needs a reason', async () => {
      const r = await portal.api('POST', `/api/admin/credentials/${encodeURIComponent(credentialId)}/revoke`, { ...admin(), body: { reason: '' } });
      expect(r.status).toBe(400);
      expect(r.body.error.issues[0].path).toBe('reason');
    });

    it('revokes with a reason; the public status and the status list say so', async () => {
      const slug = credentialId.replace('urn:uuid:', '');
      expect((await portal.api('GET', `/api/credentials/${slug}`)).body.status).toBe('valid');
      const r = await portal.api('POST', `/api/admin/credentials/${slug}/revoke`, { ...admin(), body: { reason: 'shared the sandbox with a friend' } });
      expect(r.status).toBe(200);
      expect(adminCredentialSchema.parse(r.body)).toMatchObject({ status: 'revoked', revocationReason: 'shared the sandbox with a friend' });
      const pub = publicCredentialSchema.parse((await portal.api('GET', `/api/credentials/${slug}`)).body);
      expect(pub).toMatchObject({ status: 'revoked', reason: 'revoked', statusChecked: true });
      expect(JSON.stringify(pub)).not.toContain('friend');
      const again = await portal.api('POST', `/api/admin/credentials/${slug}/revoke`, { ...admin(), body: { reason: 'second thoughts' } });
      expect(again.body.revocationReason).toBe('shared the sandbox with a friend');
      const list = await portal.api('GET', '/api/admin/credentials', admin());
      expect(list.body.credentials.find((c: { id: string }) => c.id === credentialId).status).toBe('revoked');
    });

    it('answers 404 for an unknown credential', async () => {
      const r = await portal.api('POST', '/api/admin/credentials/00000000-0000-4000-8000-000000000000/revoke', { ...admin(), body: { reason: 'nothing' } });
      expect(r.status).toBe(404);
    });
  });

  it('keeps an audit log whose hash chain is intact', async () => {
    const r = await portal.api('GET', '/api/admin/audit?limit=5', admin());
    const audit = auditViewSchema.parse(r.body);
    expect(audit.chain.ok).toBe(true);
    expect(audit.entries).toHaveLength(5);
    expect(audit.entries[0]!.seq).toBeGreaterThan(audit.entries[4]!.seq);
    const all = (await portal.api('GET', '/api/admin/audit?limit=10000', admin())).body.entries.map((e: { action: string }) => e.action);
    expect(all).toEqual(expect.arrayContaining(['admin-token.created', 'attempt.created', 'access-code.created', 'session.signed-in', 'credential.issued', 'credential.revoked']));
  });

  describe('admin tokens', () => {
    it('creates a token that works, lists it without the secret, and revokes it', async () => {
      const created = await portal.api('POST', '/api/admin/tokens', { ...admin(), body: { name: 'ci bot' } });
      expect(created.status).toBe(201);
      const token = created.body.token as string;
      expect((await portal.api('GET', '/api/admin/catalog', { token })).status).toBe(200);
      const list = await portal.api('GET', '/api/admin/tokens', admin());
      expect(list.body.tokens.map((t: { name: string }) => t.name)).toEqual(['test-admin', 'ci bot']);
      expect(list.text).not.toContain(token);
      await portal.api('POST', `/api/admin/tokens/${created.body.id}/revoke`, admin());
      expect((await portal.api('GET', '/api/admin/catalog', { token })).status).toBe(401);
    });
  });
});

describe('admin API without automatic issuing', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await startTestPortal({ autoIssue: false });
  });
  afterAll(() => portal.shutdown());

  it('issues a passed attempt’s credential by hand, with a reason, exactly once', async () => {
    const { attemptId, token } = await gradedAttempt(portal, 'lee@example.com');
    expect((await portal.api('GET', `/api/attempts/${attemptId}`, { token })).body).toMatchObject({ state: 'graded', credentialPending: true });
    const admin = { token: portal.adminToken };
    expect((await portal.api('POST', `/api/admin/attempts/${attemptId}/credential`, { ...admin, body: {} })).status).toBe(400);
    const r = await portal.api('POST', `/api/admin/attempts/${attemptId}/credential`, { ...admin, body: { reason: 'issuer key restored' } });
    expect(r.status).toBe(201);
    expect(adminCredentialSchema.parse(r.body)).toMatchObject({ attemptId, status: 'valid' });
    expect((await portal.api('POST', `/api/admin/attempts/${attemptId}/credential`, { ...admin, body: { reason: 'again' } })).status).toBe(409);
    const audit = (await portal.api('GET', `/api/admin/audit?subject=${attemptId}`, admin)).body.entries;
    expect(audit.find((e: { action: string }) => e.action === 'credential.issue-requested').data).toEqual({ reason: 'issuer key restored' });
  });

  it('refuses to issue for a failed attempt', async () => {
    const { attemptId } = await gradedAttempt(portal, 'max@example.com', portal.evidence({ 'serverless-orders-api': 'fail' }));
    const r = await portal.api('POST', `/api/admin/attempts/${attemptId}/credential`, { token: portal.adminToken, body: { reason: 'please' } });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/only a passed attempt earns a credential/);
  });
});
