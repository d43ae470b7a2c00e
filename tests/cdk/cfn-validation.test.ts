import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { SandboxOrgStack } from '../../cdk/lib/sandbox-org-stack';
import { ServiceStack } from '../../cdk/lib/service-stack';
import { TaskSandboxStack } from '../../cdk/lib/task-sandbox-stack';
import { loadCatalog } from '../../src/catalog/load';
import { ordersApiLike, parse } from './sample-tasks';

/**
 * CDK's built-in CloudFormation validation (schemas, linting rules), made strict: a finding fails the
 * synthesis. tests/support/setup-env.ts turns the validation off for every other test, where it only
 * warns and costs seconds per file; here it runs once over the stacks SkillProof deploys — a sandbox
 * holding every catalog task and the seeded inline sample, the organisation stack and the service.
 */
describe('CloudFormation validation of the deployed stacks', () => {
  let dir: string;
  let codeDir: string;
  let saved: string | undefined;

  beforeAll(() => {
    saved = process.env.CDK_VALIDATION;
    delete process.env.CDK_VALIDATION;
    dir = mkdtempSync(join(tmpdir(), 'cfn-validation-'));
    codeDir = join(dir, 'code');
    mkdirSync(codeDir);
    writeFileSync(join(codeDir, 'index.js'), 'exports.handler = async () => ({});\n');
  });

  afterAll(() => {
    process.env.CDK_VALIDATION = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds nothing in the sandbox, organisation and service stacks', () => {
    const tasks = [...loadCatalog().all().map((e) => e.task), parse(ordersApiLike)];
    const app = new App({ outdir: join(dir, 'assembly'), context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    new TaskSandboxStack(app, 'Sandbox', { attemptId: 'v1', tasks, externalId: 'ext-0123456789abcdef', timeLimitMinutes: 60, leaseStart: new Date('2030-01-01T11:00:00Z') });
    new SandboxOrgStack(app, 'Org', {
      parentId: 'r-ab12',
      organizationId: 'o-a1b2c3d4e5',
      skillproofAccountId: '999988887777',
      allowedRegions: ['eu-west-1'],
      tasks,
      accounts: [{ name: 'skillproof-sandbox-01', email: 'ops+sb01@example.com' }],
    });
    new ServiceStack(app, 'Service', { env: { account: '111122223333', region: 'eu-west-1' }, poolAccountIds: ['444455556666'], alarmEmails: ['ops@example.com'], code: () => Code.fromAsset(codeDir) });
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['Org', 'Service', 'skillproof-v1'].sort());
  }, 120_000);
});
