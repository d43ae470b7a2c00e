import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AttemptService } from '../../src/attempts/attempt-service';
import { hashIdentity } from '../../src/attempts/candidate';
import { GradingFailedError, InvalidAttemptInputError, RateLimitedError } from '../../src/attempts/errors';
import { IllegalTransitionError } from '../../src/attempts/state-machine';
import type { AssessmentRule, Freeze } from '../../src/attempts/types';
import type { AttemptRecord } from '../../src/store/types';
import { Clock, replaySandbox, scriptedGrade, tempStore } from './support/fixtures';

const assessment = { kind: 'assessment' as const, assessmentId: 'aws-serverless', taskIds: ['orders-api', 'event-fanout'] };

describe('AttemptService', () => {
  let ctx: ReturnType<typeof tempStore>;
  let clock: Clock;
  let events: string[];
  let freeze: Freeze;

  beforeEach(() => {
    clock = new Clock();
    ctx = tempStore(clock.now);
    events = [];
    freeze = async (a) => {
      events.push(`freeze ${a.id}`);
    };
  });
  afterEach(() => ctx.cleanup());

  function service(grade = scriptedGrade(), options: { checkIntervalMs?: number; freeze?: Freeze } = {}) {
    const tracking: typeof grade = Object.assign(async (req: Parameters<typeof grade>[0]) => {
      events.push(`grade ${req.scope} ${req.taskId}`);
      return grade(req);
    }, { calls: grade.calls });
    return new AttemptService({ store: ctx.store, grade: tracking, freeze: options.freeze ?? freeze, now: clock.now, checkIntervalMs: options.checkIntervalMs });
  }

  async function started(svc: AttemptService, target: Parameters<AttemptService['create']>[0]['target'] = assessment): Promise<AttemptRecord> {
    const attempt = await svc.create({ candidate: 'cand-ada', target, sandbox: replaySandbox, timeLimitMinutes: 90 });
    return svc.start(attempt.id);
  }

  describe('create', () => {
    it('keeps an e-mail address only as a salted hash', async () => {
      const svc = service();
      const attempt = await svc.create({ candidate: ' Ada@Example.COM ', target: assessment, sandbox: replaySandbox });
      const candidate = await ctx.store.getCandidate(attempt.candidateId);
      expect(candidate?.id).toMatch(/^cand-[0-9a-f]{12}$/);
      expect(candidate?.emailHash).toBe(hashIdentity('ada@example.com', await ctx.store.installationSalt()));
      const again = await svc.create({ candidate: 'ada@example.com', target: assessment, sandbox: replaySandbox });
      expect(again.candidateId).toBe(attempt.candidateId);
      ctx.store.close();
      for (const file of readdirSync(ctx.dir).filter((f) => f.startsWith('skillproof.db'))) {
        expect(readFileSync(join(ctx.dir, file)).toString('latin1').toLowerCase()).not.toContain('ada@example.com');
      }
    });

    it('gives one candidate to two attempts started at once for the same e-mail', async () => {
      const svc = service();
      const [a, b] = await Promise.all([
        svc.create({ candidate: 'grace@example.com', target: assessment, sandbox: replaySandbox }),
        svc.create({ candidate: 'grace@example.com', target: assessment, sandbox: replaySandbox }),
      ]);
      expect(a.candidateId).toBe(b.candidateId);
    });

    it('targets a single task for practice', async () => {
      const attempt = await service().create({ candidate: 'cand-ada', target: { kind: 'practice', taskId: 'orders-api' }, sandbox: replaySandbox });
      expect(attempt).toMatchObject({ kind: 'practice', targetId: 'orders-api', taskIds: ['orders-api'], state: 'created' });
    });

    it('accepts a real sandbox account with the role the grader assumes', async () => {
      const sandbox = { kind: 'aws' as const, accountId: '123456789012', roleArn: 'arn:aws:iam::123456789012:role/SkillProofGrader', externalId: 'sp-att-42' };
      expect((await service().create({ candidate: 'cand-ada', target: assessment, sandbox })).sandbox).toEqual(sandbox);
    });

    it.each([
      [{ kind: 'aws', accountId: '12345', roleArn: 'arn:aws:iam::123456789012:role/R', externalId: 'xx' }, /accountId must be a 12-digit AWS account id/],
      [{ kind: 'aws', accountId: '123456789012', roleArn: 'arn:aws:iam::210987654321:role/R', externalId: 'xx' }, /is not in account 123456789012/],
      [{ kind: 'aws', accountId: '123456789012', roleArn: 'arn:aws:iam::123456789012:role/R' }, /externalId/],
      [{ kind: 'replay', path: '' }, /path must name an evidence file or folder/],
      [{ kind: 'ssh', host: 'x' }, /Sandbox/],
    ])('refuses the sandbox %j', async (sandbox, message) => {
      await expect(service().create({ candidate: 'cand-ada', target: assessment, sandbox: sandbox as never })).rejects.toThrow(message);
    });

    it.each([
      [{ candidate: 'not an id!' }, /neither an e-mail address nor a pseudonymous id/],
      [{ target: { kind: 'assessment', assessmentId: 'aws-serverless', taskIds: [] } }, /has no tasks/],
      [{ target: { kind: 'assessment', assessmentId: 'aws-serverless', taskIds: ['a-task', 'a-task'] } }, /lists a task twice/],
      [{ target: { kind: 'practice', taskId: 'Orders API' } }, /must be kebab-case/],
      [{ timeLimitMinutes: 0 }, /whole number of minutes above 0/],
    ])('refuses %j with a clear error', async (override, message) => {
      const input = { candidate: 'cand-ada', target: assessment, sandbox: replaySandbox, ...override } as Parameters<AttemptService['create']>[0];
      await expect(service().create(input)).rejects.toThrow(InvalidAttemptInputError);
      await expect(service().create(input)).rejects.toThrow(message);
    });
  });

  describe('start', () => {
    it('starts the clock: the attempt expires after its time limit', async () => {
      const attempt = await started(service());
      expect(attempt).toMatchObject({ state: 'active', startedAt: '2026-03-01T09:00:00.000Z', expiresAt: '2026-03-01T10:30:00.000Z' });
    });
  });

  describe('check', () => {
    it('runs a progress grading of every task and stores each run with its evidence', async () => {
      const grade = scriptedGrade({ 'event-fanout': 'failed' });
      const svc = service(grade);
      const attempt = await started(svc);
      const { runs, nextCheckAt } = await svc.check(attempt.id);
      expect(grade.calls.map((c) => [c.taskId, c.scope, c.sandbox])).toEqual([
        ['orders-api', 'progress', replaySandbox],
        ['event-fanout', 'progress', replaySandbox],
      ]);
      expect(runs.map((r) => [r.taskId, r.scope, r.status])).toEqual([
        ['orders-api', 'progress', 'passed'],
        ['event-fanout', 'progress', 'failed'],
      ]);
      for (const run of runs) expect(await ctx.store.getEvidenceBundle(run.bundleSha256)).toBeDefined();
      expect(nextCheckAt).toBe('2026-03-01T09:00:30.000Z');
      expect((await svc.get(attempt.id)).state).toBe('active');
    });

    it('is rate-limited per attempt (one check per 30 s by default)', async () => {
      const svc = service();
      const attempt = await started(svc);
      await svc.check(attempt.id);
      clock.advance(10_000);
      await expect(svc.check(attempt.id)).rejects.toThrow(RateLimitedError);
      await expect(svc.check(attempt.id)).rejects.toThrow(/check again in 20 s/);
      clock.advance(20_000);
      await expect(svc.check(attempt.id)).resolves.toBeDefined();
    });

    it('takes the configured interval', async () => {
      const svc = service(scriptedGrade(), { checkIntervalMs: 5_000 });
      const attempt = await started(svc);
      await svc.check(attempt.id);
      clock.advance(5_000);
      await expect(svc.check(attempt.id)).resolves.toBeDefined();
    });

    it('counts a check whose grading failed, so a failing grader is not hammered', async () => {
      const svc = service(scriptedGrade({ 'orders-api': new Error('throttled') }));
      const attempt = await started(svc);
      await expect(svc.check(attempt.id)).rejects.toThrow(GradingFailedError);
      await expect(svc.check(attempt.id)).rejects.toThrow(RateLimitedError);
    });

    it('is refused before start and after submit', async () => {
      const svc = service();
      const created = await svc.create({ candidate: 'cand-ada', target: assessment, sandbox: replaySandbox });
      await expect(svc.check(created.id)).rejects.toThrow(`Attempt ${created.id} is created; cannot check: progress checks are only possible while active.`);
      const attempt = await svc.start(created.id);
      await svc.submit(attempt.id);
      await expect(svc.check(attempt.id)).rejects.toThrow(IllegalTransitionError);
    });

    it('expires the attempt once the time limit has passed', async () => {
      const svc = service();
      const attempt = await started(svc);
      clock.advance(90 * 60_000);
      await expect(svc.check(attempt.id)).rejects.toThrow(/is expired; cannot check/);
      expect((await svc.get(attempt.id)).state).toBe('expired');
    });
  });

  describe('submit', () => {
    it('freezes the sandbox, then runs one final grading per task, and passes when every task passed', async () => {
      const svc = service();
      const attempt = await started(svc);
      const graded = await svc.submit(attempt.id);
      expect(events).toEqual([`freeze ${attempt.id}`, 'grade final orders-api', 'grade final event-fanout']);
      expect(graded).toMatchObject({ state: 'graded', result: 'passed', finalRound: 1 });
      expect(graded.frozenAt).not.toBeNull();
      const finals = await ctx.store.listGradingRuns(attempt.id, { scope: 'final' });
      expect(finals.map((r) => [r.taskId, r.round, r.status])).toEqual([
        ['orders-api', 1, 'passed'],
        ['event-fanout', 1, 'passed'],
      ]);
      const gradedEntry = (await ctx.store.listAudit({ subject: attempt.id })).find((e) => e.action === 'attempt.graded');
      expect(gradedEntry?.data.runs).toEqual(finals.map((r) => ({ taskId: r.taskId, runId: r.id, status: r.status, bundle: r.bundleSha256 })));
    });

    it.each([
      [{ 'event-fanout': 'failed' }, 'failed'],
      [{ 'event-fanout': 'incomplete' }, 'incomplete'],
      [{ 'orders-api': 'incomplete', 'event-fanout': 'failed' }, 'failed'],
    ] as const)('with task outcomes %j the attempt is %s', async (statuses, result) => {
      const svc = service(scriptedGrade(statuses));
      expect((await svc.submit((await started(svc)).id)).result).toBe(result);
    });

    it('applies the assessment rule the caller supplies', async () => {
      const svc = service(scriptedGrade({ 'event-fanout': 'failed' }));
      const anyTaskPasses: AssessmentRule = (outcomes) => (outcomes.some((o) => o.status === 'passed') ? 'passed' : 'failed');
      expect((await svc.submit((await started(svc)).id, { rule: anyTaskPasses })).result).toBe('passed');
    });

    it('is refused once the time limit has passed, and the attempt expires', async () => {
      const svc = service();
      const attempt = await started(svc);
      clock.advance(90 * 60_000 + 1);
      await expect(svc.submit(attempt.id)).rejects.toThrow(`Attempt ${attempt.id} is expired; cannot submit: the time limit passed at 2026-03-01T10:30:00.000Z.`);
      expect(events).toEqual([]);
    });

    it('cannot submit a graded attempt again', async () => {
      const svc = service();
      const attempt = await started(svc);
      await svc.submit(attempt.id);
      await expect(svc.submit(attempt.id)).rejects.toThrow(`Attempt ${attempt.id} is graded (passed); cannot submit: submit is only possible from active.`);
    });

    it('resumes after the grader failed, grading only the tasks without a final run', async () => {
      const grade = scriptedGrade({ 'event-fanout': new Error('connect ETIMEDOUT') });
      const svc = service(grade);
      const attempt = await started(svc);
      await expect(svc.submit(attempt.id)).rejects.toThrow(/Grading task event-fanout of attempt .* failed: connect ETIMEDOUT.*run the same command again/);
      expect((await svc.get(attempt.id)).state).toBe('submitted');

      const healthy = scriptedGrade();
      const resumed = await service(healthy).submit(attempt.id);
      expect(healthy.calls.map((c) => c.taskId)).toEqual(['event-fanout']);
      expect(resumed).toMatchObject({ state: 'graded', result: 'passed' });
    });

    it('resumes after the freeze failed, freezing before any final run', async () => {
      const svc = service(scriptedGrade(), { freeze: async () => Promise.reject(new Error('AccessDenied on PutRolePolicy')) });
      const attempt = await started(svc);
      await expect(svc.submit(attempt.id)).rejects.toThrow(/AccessDenied/);
      expect(await svc.get(attempt.id)).toMatchObject({ state: 'submitted', frozenAt: null });
      expect(events).toEqual([]);
      await service().submit(attempt.id);
      expect(events).toEqual([`freeze ${attempt.id}`, 'grade final orders-api', 'grade final event-fanout']);
    });
  });

  describe('regrade', () => {
    it('re-runs an incomplete attempt in a new round (admin)', async () => {
      const svc = service(scriptedGrade({ 'orders-api': 'incomplete' }));
      const attempt = await svc.submit((await started(svc)).id);
      expect(attempt.result).toBe('incomplete');
      const regraded = await service().regrade(attempt.id, { actor: 'admin:grace' });
      expect(regraded).toMatchObject({ state: 'graded', result: 'passed', finalRound: 2 });
      expect((await ctx.store.listGradingRuns(attempt.id, { scope: 'final', round: 2 })).map((r) => r.status)).toEqual(['passed', 'passed']);
      expect((await ctx.store.listAudit({ subject: attempt.id })).some((e) => e.action === 'attempt.regrade-requested' && e.actor === 'admin:grace')).toBe(true);
    });

    it.each(['failed', 'passed'] as const)('refuses to re-run a %s attempt: the result is final', async (status) => {
      const svc = service(scriptedGrade({ 'orders-api': status }));
      const attempt = await svc.submit((await started(svc)).id);
      await expect(svc.regrade(attempt.id, { actor: 'admin:grace' })).rejects.toThrow(`${status} is final`);
    });
  });

  describe('cancel', () => {
    it('cancels an open attempt, and nothing after that', async () => {
      const svc = service();
      const attempt = await started(svc);
      expect((await svc.cancel(attempt.id, { actor: 'admin:grace', reason: 'duplicate' })).state).toBe('cancelled');
      await expect(svc.submit(attempt.id)).rejects.toThrow(/is cancelled; cannot submit/);
    });
  });

  it('expireOverdue sweeps every active attempt past its limit', async () => {
    const svc = service();
    const late = await started(svc);
    clock.advance(60 * 60_000);
    const onTime = await started(svc);
    clock.advance(31 * 60_000);
    expect((await svc.expireOverdue()).map((a) => a.id)).toEqual([late.id]);
    expect((await svc.get(onTime.id)).state).toBe('active');
  });

  it('leaves a consistent store behind', async () => {
    const svc = service(scriptedGrade({ 'orders-api': 'incomplete' }));
    const a = await svc.submit((await started(svc)).id);
    await service().regrade(a.id, { actor: 'admin:grace' });
    await svc.cancel((await started(svc)).id);
    expect(await ctx.store.integrityCheck()).toMatchObject({ ok: true, problems: [] });
  });
});
