import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { ATTEMPT_TAG, FREEZE_AT_PARAMETER, sandboxStackName } from '../../cdk/lib/sandbox-naming';
import { parseSandboxOutputs, type SandboxOutputs } from '../../cdk/lib/sandbox-outputs';
import type { AccountQuota } from '../model/task';
import { checkAccountQuotas } from './quotas';
import { adminCredentials, checkPool, SandboxError, type SandboxTarget } from './session';
import { describeStack, watchStack, type WatchOptions } from './stack-watch';

/** CloudFormation accepts at most this many bytes of template in a CreateStack call. */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

export interface DeployOptions extends SandboxTarget, WatchOptions {
  attemptId: string;
  /** The synthesised TaskSandboxStack template. */
  template: object;
  /** When the candidate role is frozen (the stack's expiry schedule). */
  freezeAt: Date;
  /** Accounts sandboxes may be deployed into. */
  pool: readonly string[];
  /** Service quotas the tasks need (their blueprints' accountQuotas, merged); checked before anything is created. */
  accountQuotas?: readonly AccountQuota[];
}

export interface DeployResult {
  stackId: string;
  stackName: string;
  accountId: string;
  region: string;
  outputs: SandboxOutputs;
}

/** `2025-01-31T12:00:00.000Z` → `2025-01-31T12:00:00`, the form EventBridge Scheduler's `at()` takes. */
export function formatFreezeAt(date: Date): string {
  return date.toISOString().slice(0, 19);
}

/**
 * Creates an attempt's sandbox stack in a pool account with one CreateStack call, as the account's
 * administration role, and reports progress until it is complete; returns the stack's outputs. An
 * account below a quota the tasks need is refused first, so no candidate gets a sandbox they cannot pass in.
 */
export async function deploySandbox(options: DeployOptions): Promise<DeployResult> {
  checkPool(options.accountId, options.pool);
  const stackName = sandboxStackName(options.attemptId);
  const templateBody = JSON.stringify(options.template);
  const bytes = Buffer.byteLength(templateBody);
  if (bytes > MAX_TEMPLATE_BODY_BYTES) {
    throw new SandboxError('bad-input', `the sandbox template is ${bytes} bytes, over the ${MAX_TEMPLATE_BODY_BYTES} CloudFormation accepts inline; the tasks seed too much (move large seeds to fewer, bigger objects)`);
  }
  const now = options.now ?? Date.now;
  if (options.freezeAt.getTime() <= now()) throw new SandboxError('bad-input', `the freeze time ${options.freezeAt.toISOString()} is in the past`);

  const credentials = await adminCredentials(options, `deploy-${options.attemptId}`);
  await checkAccountQuotas({ accountId: options.accountId, region: options.region, credentials }, options.accountQuotas ?? []);
  const cfn = new CloudFormationClient({ region: options.region, credentials });
  const where = `account ${options.accountId} (${options.region})`;
  try {
    let stackId: string;
    try {
      const created = await cfn.send(
        new CreateStackCommand({
          StackName: stackName,
          TemplateBody: templateBody,
          Parameters: [{ ParameterKey: FREEZE_AT_PARAMETER, ParameterValue: formatFreezeAt(options.freezeAt) }],
          Capabilities: ['CAPABILITY_NAMED_IAM'],
          Tags: [{ Key: ATTEMPT_TAG, Value: options.attemptId }],
          OnFailure: 'ROLLBACK',
        }),
      );
      stackId = created.StackId ?? stackName;
    } catch (e) {
      if (e instanceof Error && e.name === 'AlreadyExistsException') {
        const existing = await describeStack(cfn, stackName);
        throw new SandboxError(
          'already-exists',
          `stack ${stackName} already exists in ${where}${existing?.StackStatus ? ` (${existing.StackStatus})` : ''}: destroy it first (skillproof sandbox destroy --attempt ${options.attemptId} --account ${options.accountId}) or use another attempt id`,
        );
      }
      throw e;
    }

    const { stack, failures } = await watchStack(cfn, stackId, undefined, options);
    if (stack.StackStatus !== 'CREATE_COMPLETE') {
      const cause = failures.length > 0 ? failures.join('; ') : (stack.StackStatusReason ?? 'no reason given');
      throw new SandboxError(
        'rolled-back',
        `stack ${stackName} failed to create in ${where} and ended ${stack.StackStatus}: ${cause}. Destroy it (skillproof sandbox destroy --attempt ${options.attemptId} --account ${options.accountId}) before trying again.`,
      );
    }
    return { stackId, stackName, accountId: options.accountId, region: options.region, outputs: parseSandboxOutputs(stack.Outputs ?? [], stackName) };
  } finally {
    cfn.destroy();
  }
}
