import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog/load';
import { synthSandbox } from '../../src/sandbox/synth';
import { ordersApiLike, parse, queueWorkerLike } from '../cdk/sample-tasks';

const out = mkdtempSync(join(tmpdir(), 'skillproof-synth-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

type Template = { Parameters?: object; Rules?: object; Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Template;
const byType = (t: Template, type: string) => Object.values(t.Resources).filter((r) => r.Type === type);

/** What `sandbox synth` must produce for any task or assessment: the roles, the boundary, nothing to bootstrap. */
function expectSandboxTemplate(t: Template, attemptId: string, externalId: string) {
  expect(Object.keys(t.Parameters ?? {})).toEqual(['FreezeAt']);
  expect(t.Rules).toBeUndefined();
  const roles = byType(t, 'AWS::IAM::Role');
  const candidate = roles.find((r) => r.Properties.RoleName === `skillproof-${attemptId}-candidate`);
  const grader = roles.find((r) => r.Properties.RoleName === `skillproof-${attemptId}-grader`);
  expect(candidate?.Properties.PermissionsBoundary).toEqual({ Ref: expect.stringMatching(/^CandidateBoundary/) });
  expect(byType(t, 'AWS::IAM::ManagedPolicy').map((p) => p.Properties.ManagedPolicyName)).toContain(`skillproof-${attemptId}-boundary`);
  expect(JSON.stringify(grader?.Properties.AssumeRolePolicyDocument)).toContain(`"sts:ExternalId":"${externalId}"`);
}

describe('synthSandbox', () => {
  // Each task's own sandbox is synthesised (and evaluated) by tests/cdk/task-sandbox-iam.test.ts.
  it('writes <out>/skillproof-<attempt>.template.json for every assessment in the catalog, with its time limit', () => {
    const catalog = loadCatalog();
    expect(catalog.assessments().length).toBeGreaterThan(0);
    for (const assessment of catalog.assessments()) {
      const result = synthSandbox([assessment.id], assessment.id, out, { externalId: 'ext-1234' });
      expect(result).toMatchObject({ templatePath: join(out, `skillproof-${assessment.id}.template.json`), tasks: assessment.tasks, timeLimitMinutes: assessment.timeLimitMinutes });
      expect(existsSync(result.templatePath!)).toBe(true);
      expectSandboxTemplate(read(result.templatePath!), assessment.id, 'ext-1234');
    }
  });

  it('accepts task definitions directly, adds their time limits and makes up an external id', () => {
    const result = synthSandbox([parse(ordersApiLike), parse(queueWorkerLike)], 'inline-1');
    expect(result).toMatchObject({ stackName: 'skillproof-inline-1', tasks: ['inline-orders-api', 'inline-queue-worker'], timeLimitMinutes: 150 });
    expect(result.templatePath).toBeUndefined();
    expect(result.externalId).toMatch(/^[0-9a-f-]{36}$/);
    expectSandboxTemplate(result.template as Template, 'inline-1', result.externalId);
  });

  it('reports bad input as such', () => {
    expect(() => synthSandbox([parse(ordersApiLike)], 'Bad_Id')).toThrow(expect.objectContaining({ code: 'bad-input' }));
    expect(() => synthSandbox([parse(ordersApiLike)], 'ok', undefined, { externalId: 'x' })).toThrow(expect.objectContaining({ code: 'bad-input', message: expect.stringMatching(/externalId/) }));
    expect(() => synthSandbox(['no-such-task'], 't1')).toThrow(/no task "no-such-task"/);
    expect(() => synthSandbox([], 't1')).toThrow(expect.objectContaining({ code: 'bad-input' }));
  });
});
