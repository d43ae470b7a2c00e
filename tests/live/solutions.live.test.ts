import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand, waitUntilStackCreateComplete, waitUntilStackDeleteComplete } from '@aws-sdk/client-cloudformation';
import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog/load';
import { gradeLive } from '../../src/engine/grade';

const enabled = process.env.SKILLPROOF_LIVE === '1';
const catalog = loadCatalog();

/** The solution construct exported by tasks/<id>/solution/<id>-solution.ts. */
function solutionTemplate(taskDir: string, taskId: string): string {
  const file = readdirSync(join(taskDir, 'solution')).find((f) => f.endsWith('-solution.ts'));
  if (!file) throw new Error(`${taskId} has no solution/*-solution.ts`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(taskDir, 'solution', file)) as Record<string, new (scope: Construct, id: string) => Construct>;
  const Solution = Object.values(mod)[0]!;
  const app = new App();
  const stack = new Stack(app, `skillproof-live-${taskId}`, { synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) });
  new Solution(stack, 'Solution');
  return JSON.stringify(app.synth().getStackByName(stack.stackName).template);
}

(enabled ? describe : describe.skip).each(catalog.ids())('%s against a real account', (taskId) => {
  const entry = catalog.get(taskId);
  const StackName = `skillproof-live-${taskId}`;
  const cfn = new CloudFormationClient({});

  beforeAll(async () => {
    await cfn.send(new CreateStackCommand({ StackName, TemplateBody: solutionTemplate(entry.taskDir, taskId), Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] }));
    await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 900 }, { StackName });
    await cfn.send(new DescribeStacksCommand({ StackName }));
  });

  afterAll(async () => {
    await cfn.send(new DeleteStackCommand({ StackName }));
    await waitUntilStackDeleteComplete({ client: cfn, maxWaitTime: 900 }, { StackName });
  });

  it('grades the deployed reference solution as passed', async () => {
    const { report } = await gradeLive(entry, { attemptId: `live-${Date.now()}` });
    expect(report.checks.filter((c) => c.outcome !== 'PASS')).toEqual([]);
    expect(report.status).toBe('passed');
  });
});

if (!enabled) it('live tests are skipped without SKILLPROOF_LIVE=1', () => expect(enabled).toBe(false));
