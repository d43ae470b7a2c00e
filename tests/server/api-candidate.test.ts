import { createGrade } from '../../src/attempts/grading';
import type { Grade } from '../../src/attempts/types';
import { loadCatalog } from '../../src/catalog/load';
import { candidateAttemptSchema, candidateCredentialSchema, progressViewSchema, sandboxAccessSchema, signInResultSchema } from '../../src/server/views';
import { ASSESSMENT_TASKS, gradingDone, startTestPortal, type TestPortal } from './support/portal';

const fakeAccess = {
  accountId: '123456789012',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::123456789012:role/skillproof/candidate',
  consoleUrl: 'https://signin.aws.amazon.com/federation?Action=login&SigninToken=abc',
  credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session', expiration: '2030-01-01T00:00:00.000Z' },
  sandboxExpiresAt: '2030-01-01T00:00:00.000Z',
};

describe('candidate API', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await startTestPortal({ sandboxAccess: async () => fakeAccess });
  });
  afterAll(() => portal.shutdown());

  describe('sign-in', () => {
    it('exchanges an access code for a session token, whatever its case and hyphens', async () => {
      const { attemptId, code } = await portal.newAttempt('sign-in@example.com');
      const r = await portal.api('POST', '/api/sign-in', { body: { accessCode: ` ${code.toLowerCase().replace(/-/g, '')} ` } });
      expect(r.status).toBe(200);
      expect(signInResultSchema.parse(r.body)).toMatchObject({ attemptId });
      expect(r.body.token).toMatch(/^sps_/);
    });

    it('refuses an unknown access code with 401 and a message saying what to do', async () => {
      const r = await portal.api('POST', '/api/sign-in', { body: { accessCode: 'AAAA-BBBB-CCCC-DDDD' } });
      expect(r.status).toBe(401);
      expect(r.body.error).toMatchObject({ code: 'bad-access-code' });
      expect(r.body.error.message).toMatch(/ask your administrator/);
    });

    it('names the missing field when the body is incomplete', async () => {
      const r = await portal.api('POST', '/api/sign-in', { body: {} });
      expect(r.status).toBe(400);
      expect(r.body.error.issues).toEqual([expect.objectContaining({ path: 'accessCode' })]);
    });

    it('ends the session on sign-out', async () => {
      const { code } = await portal.newAttempt('sign-out@example.com');
      const token = await portal.signIn(code);
      expect((await portal.api('POST', '/api/sign-out', { token })).status).toBe(200);
      expect((await portal.api('GET', '/api/attempts', { token })).status).toBe(401);
    });
  });

  describe('an assessment attempt from start to credential', () => {
    let attemptId: string;
    let token: string;
    beforeAll(async () => {
      ({ attemptId, code: token } = await portal.newAttempt('ada@example.com', { timeLimitMinutes: 90 }));
      token = await portal.signIn(token);
    });

    it('lists only the candidate’s own attempts', async () => {
      const r = await portal.api('GET', '/api/attempts', { token });
      expect(r.status).toBe(200);
      expect(r.body.attempts.map((a: { id: string }) => a.id)).toEqual([attemptId]);
    });

    it('shows a created attempt that can only be started', async () => {
      const r = await portal.api('GET', `/api/attempts/${attemptId}`, { token });
      const view = candidateAttemptSchema.parse(r.body);
      expect(view).toMatchObject({ state: 'created', title: 'AWS Serverless Builder', actions: ['start'], progress: null, resultDetail: null, credential: null });
      expect(view.tasks.map((t) => t.id)).toEqual(ASSESSMENT_TASKS);
    });

    it('renders each task’s README as Markdown and as sanitised HTML', async () => {
      const r = await portal.api('GET', `/api/attempts/${attemptId}/instructions`, { token });
      expect(r.status).toBe(200);
      expect(r.body.tasks).toHaveLength(4);
      expect(r.body.tasks[0].markdown).toContain('# Orders API');
      expect(r.body.tasks[0].html).toContain('<h1 id="orders-api-api-gateway-lambda-dynamodb">');
      expect(r.body.tasks[0].html).not.toMatch(/<script|on\w+=/i);
    });

    it('refuses progress checks before the attempt starts', async () => {
      const r = await portal.api('POST', `/api/attempts/${attemptId}/check`, { token });
      expect(r.status).toBe(409);
      expect(r.body.error.message).toMatch(/only possible while active/);
    });

    it('starts the clock', async () => {
      const r = await portal.api('POST', `/api/attempts/${attemptId}/start`, { token });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ state: 'active', actions: ['check', 'submit'] });
      expect(Date.parse(r.body.expiresAt) - Date.parse(r.body.startedAt)).toBe(90 * 60_000);
    });

    it('says a replay attempt has no sandbox to sign in to', async () => {
      const r = await portal.api('POST', `/api/attempts/${attemptId}/sandbox-access`, { token });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('no-sandbox');
    });

    it('checks progress: visible checks only, hints but never assessor detail', async () => {
      const r = await portal.api('POST', `/api/attempts/${attemptId}/check`, { token });
      expect(r.status).toBe(200);
      const progress = progressViewSchema.parse(r.body);
      expect(progress.tasks.map((t) => t.taskId)).toEqual(ASSESSMENT_TASKS);
      const checks = progress.tasks.flatMap((t) => t.checks);
      expect(checks.length).toBeGreaterThan(10);
      expect(checks.every((c) => c.visibility === 'visible')).toBe(true);
      expect(JSON.stringify(r.body)).not.toMatch(/"(expected|actual|resource|evidence)"/);
      const view = await portal.api('GET', `/api/attempts/${attemptId}`, { token });
      expect(view.body.progress.tasks).toHaveLength(4);
    });

    it('insists on confirmation before submitting', async () => {
      const r = await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: {} });
      expect(r.status).toBe(400);
      expect(r.body.error.issues[0]).toMatchObject({ path: 'confirm' });
      expect((await portal.api('GET', `/api/attempts/${attemptId}`, { token })).body.state).toBe('active');
    });

    it('submits, grades every check and issues the credential', async () => {
      const r = await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } });
      expect(r.status).toBe(202);
      const view = candidateAttemptSchema.parse((await gradingDone(portal, attemptId, token)).body);
      expect(view).toMatchObject({ state: 'credentialed', result: 'passed', actions: [], credentialPending: false });
      expect(view.resultDetail?.tasks.map((t) => t.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
      const shown = view.resultDetail!.tasks.flatMap((t) => t.checks);
      // Every check the candidate may see after submit is shown (on-submit ones included); hidden ones never are.
      const graders = view.resultDetail!.tasks.map((t) => loadCatalog().get(t.taskId).grader);
      expect(shown).toHaveLength(graders.reduce((n, g) => n + g.checks.filter((c) => c.visibility !== 'hidden').length, 0));
      expect(shown.some((c) => c.visibility === 'hidden')).toBe(false);
      expect(view.credential).toMatchObject({ status: 'valid', shareUrl: expect.stringMatching(new RegExp(`^${portal.url}/credentials/[0-9a-f-]{36}$`)) });
    });

    it('refuses a second submit', async () => {
      const r = await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } });
      expect(r.status).toBe(409);
    });

    it('hands out the credential as a VC-JWT and as Open Badges 3.0 JSON', async () => {
      const r = await portal.api('GET', `/api/attempts/${attemptId}/credential`, { token });
      expect(r.status).toBe(200);
      const credential = candidateCredentialSchema.parse(r.body);
      expect(credential.jwt.split('.')).toHaveLength(3);
      expect(credential.credential).toMatchObject({ type: ['VerifiableCredential', 'OpenBadgeCredential'], name: 'AWS Serverless Builder' });
      const verified = await portal.api('POST', '/api/verify', { body: { jwt: credential.jwt } });
      expect(verified.body.status).toBe('valid');
    });
  });

  it('fails an attempt whose evidence shows a wrong resource, and issues nothing', async () => {
    const { attemptId, code } = await portal.newAttempt('bob@example.com', { evidence: portal.evidence({ 'serverless-orders-api': 'fail' }) });
    const token = await portal.signIn(code);
    await portal.api('POST', `/api/attempts/${attemptId}/start`, { token });
    await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } });
    const view = (await gradingDone(portal, attemptId, token)).body;
    expect(view).toMatchObject({ state: 'graded', result: 'failed', credential: null, credentialPending: false });
    const failed = view.resultDetail.tasks[0].checks.filter((c: { outcome: string }) => c.outcome === 'FAIL');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0].hint).toEqual(expect.any(String));
    expect((await portal.api('GET', `/api/attempts/${attemptId}/credential`, { token })).status).toBe(404);
  });

  it('gives console and CLI access to a real sandbox while the attempt is active', async () => {
    const r = await portal.api('POST', '/api/admin/attempts', {
      token: portal.adminToken,
      body: {
        candidate: 'cloud@example.com',
        target: 'serverless-orders-api',
        sandbox: { kind: 'aws', accountId: '123456789012', roleArn: 'arn:aws:iam::123456789012:role/skillproof/grader', externalId: 'ext-123456' },
      },
    });
    expect(r.status).toBe(201);
    const token = await portal.signIn(r.body.accessCode.code);
    const id = r.body.attempt.id;
    expect((await portal.api('POST', `/api/attempts/${id}/sandbox-access`, { token })).status).toBe(409);
    const started = await portal.api('POST', `/api/attempts/${id}/start`, { token });
    expect(started.body.actions).toEqual(['sandbox-access', 'check', 'submit']);
    const access = await portal.api('POST', `/api/attempts/${id}/sandbox-access`, { token });
    expect(access.status).toBe(200);
    expect(sandboxAccessSchema.parse(access.body)).toEqual(fakeAccess);
    const audit = await portal.api('GET', `/api/admin/audit?subject=${id}`, { token: portal.adminToken });
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toContain('sandbox.access-granted');
    expect(JSON.stringify(audit.body)).not.toContain('secret');
  });
});

describe('candidate API over time', () => {
  let portal: TestPortal;
  let clock: Date;
  beforeAll(async () => {
    clock = new Date();
    portal = await startTestPortal({ now: () => new Date(clock), checkIntervalMs: 30_000 });
  });
  afterAll(() => portal.shutdown());

  it('rate-limits progress checks per attempt with 429 and Retry-After', async () => {
    const { attemptId, code } = await portal.newAttempt('eager@example.com', { target: 'serverless-orders-api' });
    const token = await portal.signIn(code);
    await portal.api('POST', `/api/attempts/${attemptId}/start`, { token });
    expect((await portal.api('POST', `/api/attempts/${attemptId}/check`, { token })).status).toBe(200);
    clock = new Date(clock.getTime() + 10_000);
    const r = await portal.api('POST', `/api/attempts/${attemptId}/check`, { token });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('20');
    expect(r.body.error).toMatchObject({ code: 'rate-limited', retryAfterSeconds: 20 });
    clock = new Date(clock.getTime() + 20_000);
    expect((await portal.api('POST', `/api/attempts/${attemptId}/check`, { token })).status).toBe(200);
  });

  it('expires an attempt when its time is up: no more checks or submitting', async () => {
    const { attemptId, code } = await portal.newAttempt('late@example.com', { target: 'serverless-orders-api', timeLimitMinutes: 30 });
    const token = await portal.signIn(code);
    await portal.api('POST', `/api/attempts/${attemptId}/start`, { token });
    clock = new Date(clock.getTime() + 31 * 60_000);
    expect((await portal.api('GET', `/api/attempts/${attemptId}`, { token })).body).toMatchObject({ state: 'expired', actions: [] });
    expect((await portal.api('POST', `/api/attempts/${attemptId}/check`, { token })).status).toBe(409);
    expect((await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } })).status).toBe(409);
  });

  it('ends a candidate session after 12 hours', async () => {
    const { code } = await portal.newAttempt('sleepy@example.com', { target: 'serverless-orders-api' });
    const token = await portal.signIn(code);
    clock = new Date(clock.getTime() + 11 * 3_600_000);
    expect((await portal.api('GET', '/api/attempts', { token })).status).toBe(200);
    clock = new Date(clock.getTime() + 2 * 3_600_000);
    expect((await portal.api('GET', '/api/attempts', { token })).status).toBe(401);
  });

  it('refuses an access code after it expires', async () => {
    const { attemptId } = await portal.newAttempt('slow@example.com', { target: 'serverless-orders-api' });
    const created = await portal.api('POST', `/api/admin/attempts/${attemptId}/access-codes`, { token: portal.adminToken, body: { expiresInHours: 1 } });
    expect(created.status).toBe(201);
    clock = new Date(clock.getTime() + 61 * 60_000);
    expect((await portal.api('POST', '/api/sign-in', { body: { accessCode: created.body.code } })).status).toBe(401);
  });
});

describe('candidate API when final grading breaks off', () => {
  let portal: TestPortal;
  let failNext = true;
  beforeAll(async () => {
    const real = createGrade(loadCatalog());
    const flaky: Grade = async (req) => {
      if (req.scope === 'final' && req.taskId === 'serverless-safe-deploy' && failNext) {
        failNext = false;
        throw new Error('connection reset by peer');
      }
      return real(req);
    };
    portal = await startTestPortal({ grade: flaky });
  });
  afterAll(() => portal.shutdown());

  it('keeps the attempt submitted, says grading was interrupted, and resumes it on request', async () => {
    const { attemptId, code } = await portal.newAttempt('unlucky@example.com');
    const token = await portal.signIn(code);
    await portal.api('POST', `/api/attempts/${attemptId}/start`, { token });
    await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } });
    const interrupted = (await gradingDone(portal, attemptId, token)).body;
    expect(interrupted).toMatchObject({ state: 'submitted', actions: ['resume-grading'], grading: { state: 'interrupted' } });
    expect(interrupted.grading.error).toMatch(/connection reset by peer/);
    const resumed = await portal.api('POST', `/api/attempts/${attemptId}/submit`, { token, body: { confirm: true } });
    expect(resumed.status).toBe(202);
    expect((await gradingDone(portal, attemptId, token)).body).toMatchObject({ state: 'credentialed', result: 'passed', grading: { state: 'idle', error: null } });
  });
});

