import { App, Stack } from 'aws-cdk-lib';
import { buildApp } from '../../cdk/bin/app';

const stacks = (app: App) => app.node.children.filter((c): c is Stack => c instanceof Stack).map((s) => s.stackName);

describe('cdk app (cdk/bin/app.ts)', () => {
  it('builds the sandbox stack of the tasks and the organisation stack named in the context', () => {
    const app = buildApp(
      new App({
        context: {
          tasks: 'serverless-orders-api',
          attempt: 't9',
          'external-id': 'ext-9',
          'org-parent': 'r-ab12',
          'org-id': 'o-a1b2c3d4e5',
          'org-regions': 'eu-west-1',
          'org-accounts': 'skillproof-sandbox-01:ops+sb01@example.com',
        },
      }),
    );
    expect(stacks(app)).toEqual(['skillproof-t9', 'skillproof-sandbox-org']);
  });

  it('builds nothing without context, and asks for what a sandbox needs', () => {
    expect(stacks(buildApp(new App()))).toEqual([]);
    expect(() => buildApp(new App({ context: { tasks: 'serverless-orders-api', attempt: 't9' } }))).toThrow('-c external-id=... is required with -c tasks=...');
    expect(() => buildApp(new App({ context: { 'org-parent': 'r-ab12', 'org-regions': 'eu-west-1' } }))).toThrow('-c org-id=... is required with -c org-parent=...');
  });
});
