/**
 * CDK app entry, for the CDK CLI:
 *
 *   npx cdk synth --app 'npx tsx cdk/bin/app.ts' -c tasks=serverless-orders-api -c attempt=t1 -c external-id=…
 *   npx cdk synth --app 'npx tsx cdk/bin/app.ts' -c org-parent=r-abcd -c org-id=o-abcd123456 -c org-regions=eu-west-1 \
 *     -c org-accounts=sandbox-01:ops+sb01@example.com,sandbox-02:ops+sb02@example.com [-c skillproof-account=999988887777]
 *
 * Context: `tasks` (comma-separated task or assessment ids: one sandbox hosting them all) with `attempt` and
 * `external-id` (required), `grader-principal`, `candidate-principal`, `time-limit` (minutes); `org-*`
 * (`org-id` required) and `skillproof-account` for the SandboxOrgStack, whose allowed services are those
 * of every task in the catalog.
 * `skillproof sandbox synth` writes the sandbox template without the CDK CLI.
 */
import { App } from 'aws-cdk-lib';
import { loadCatalog } from '../../src/catalog/load';
import { resolveSandboxTasks } from '../../src/sandbox/synth';
import { SandboxOrgStack } from '../lib/sandbox-org-stack';
import { TaskSandboxStack } from '../lib/task-sandbox-stack';

const list = (value: unknown): string[] =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

export function buildApp(app: App): App {
  const context = (key: string): string | undefined => app.node.tryGetContext(key) as string | undefined;
  const required = (key: string): string => {
    const value = context(key);
    if (!value) throw new Error(`-c ${key}=... is required with -c tasks=...`);
    return value;
  };

  const ids = list(context('tasks'));
  if (ids.length > 0) {
    const { tasks, timeLimitMinutes } = resolveSandboxTasks(ids);
    new TaskSandboxStack(app, 'TaskSandbox', {
      attemptId: required('attempt'),
      tasks,
      externalId: required('external-id'),
      graderPrincipalArn: context('grader-principal'),
      candidatePrincipalArn: context('candidate-principal'),
      timeLimitMinutes: Number(context('time-limit') ?? timeLimitMinutes),
    });
  }

  const orgParent = context('org-parent');
  if (orgParent) {
    const orgRequired = (key: string): string => {
      const value = context(key);
      if (!value) throw new Error(`-c ${key}=... is required with -c org-parent=...`);
      return value;
    };
    new SandboxOrgStack(app, 'SandboxOrg', {
      stackName: 'skillproof-sandbox-org',
      parentId: orgParent,
      organizationId: orgRequired('org-id'),
      skillproofAccountId: context('skillproof-account'),
      allowedRegions: list(context('org-regions')),
      tasks: loadCatalog()
        .all()
        .map((entry) => entry.task),
      accounts: list(context('org-accounts')).map((spec) => {
        const [name, email] = spec.split(':');
        if (!name || !email) throw new Error(`-c org-accounts entries are name:email, got "${spec}"`);
        return { name, email };
      }),
    });
  }
  return app;
}

if (require.main === module) buildApp(new App()).synth();
