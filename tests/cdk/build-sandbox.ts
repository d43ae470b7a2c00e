import { App } from 'aws-cdk-lib';
import type { SandboxPart } from '../../cdk/lib/blueprint-merge';
import { sandboxStackName } from '../../cdk/lib/sandbox-naming';
import { TaskSandboxStack, type TaskSandboxStackProps } from '../../cdk/lib/task-sandbox-stack';
import { ResolvedTemplate, type CfnTemplate } from './resolve-template';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const FREEZE_AT = '2030-01-01T12:00:00';

export interface BuiltSandbox {
  stack: TaskSandboxStack;
  template: CfnTemplate;
  resolved: ResolvedTemplate;
}

/** Synthesises a sandbox stack for tasks (once per test file: synthesis takes a second or two). */
export function buildSandbox(tasks: (SandboxPart & { timeLimitMinutes: number })[], attemptId = 't1', props: Partial<TaskSandboxStackProps> = {}): BuiltSandbox {
  const app = new App();
  const timeLimitMinutes = props.timeLimitMinutes ?? tasks.reduce((sum, t) => sum + t.timeLimitMinutes, 0);
  const stack = new TaskSandboxStack(app, 'Sandbox', {
    attemptId,
    tasks,
    externalId: 'ext-0123456789abcdef',
    timeLimitMinutes,
    // The lease began the time limit before FreezeAt, as `sandbox deploy` sets them.
    leaseStart: new Date(Date.parse(`${FREEZE_AT}Z`) - timeLimitMinutes * 60_000),
    ...props,
  });
  const template = app.synth().getStackByName(sandboxStackName(attemptId)).template as CfnTemplate;
  const resolved = new ResolvedTemplate(template, { accountId: ACCOUNT, region: REGION, stackName: sandboxStackName(attemptId), parameters: { FreezeAt: FREEZE_AT } });
  return { stack, template, resolved };
}
