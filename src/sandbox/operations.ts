import { CloudFormationClient, DeleteStackCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { AttachRolePolicyCommand, DetachRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { SKILLPROOF_IAM_PATH, sandboxNames } from '../../cdk/lib/sandbox-naming';
import { adminCredentials, checkPool, partitionOf, SandboxError, type SandboxTarget, type TemporaryCredentials } from './session';
import { describeStack, latestEventId, watchStack, type WatchOptions } from './stack-watch';

/**
 * Operations on a deployed sandbox: destroy and freeze. Both find the sandbox by the attempt's names
 * (not by its outputs), so they also work on a stack that failed half-way.
 */

export interface ExistingSandboxOptions extends SandboxTarget {
  attemptId: string;
  pool: readonly string[];
}

/** What an operation on a deployed sandbox works with: admin clients and the stack. */
export interface OpenSandbox {
  credentials: TemporaryCredentials;
  cfn: CloudFormationClient;
  iam: IAMClient;
  stack: Stack;
  names: ReturnType<typeof sandboxNames>;
  freezePolicyArn: string;
  close(): void;
}

export async function openSandbox(options: ExistingSandboxOptions, purpose: string): Promise<OpenSandbox> {
  checkPool(options.accountId, options.pool);
  const names = sandboxNames(options.attemptId);
  const credentials = await adminCredentials(options, `${purpose}-${options.attemptId}`);
  const cfn = new CloudFormationClient({ region: options.region, credentials });
  const iam = new IAMClient({ region: options.region, credentials });
  const close = () => {
    cfn.destroy();
    iam.destroy();
  };
  try {
    const stack = await describeStack(cfn, names.stack);
    if (!stack) {
      throw new SandboxError('not-found', `no sandbox for attempt ${options.attemptId} in account ${options.accountId} (${options.region}): stack ${names.stack} does not exist`);
    }
    const freezePolicyArn = `arn:${partitionOf(options.region)}:iam::${options.accountId}:policy${SKILLPROOF_IAM_PATH}${names.freezePolicy}`;
    return { credentials, cfn, iam, stack, names, freezePolicyArn, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** Whether the freeze policy is attached to the candidate role. */
export async function isFrozen(iam: IAMClient, roleName: string, freezePolicyArn: string): Promise<boolean> {
  let marker: string | undefined;
  do {
    const out = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    if (out.AttachedPolicies?.some((p) => p.PolicyArn === freezePolicyArn)) return true;
    marker = out.IsTruncated ? out.Marker : undefined;
  } while (marker);
  return false;
}

export interface FreezeResult {
  roleName: string;
  freezePolicyArn: string;
  /** True when the sandbox was frozen already (by expiry, the budget or an earlier freeze). */
  alreadyFrozen: boolean;
}

/** Attaches the deny-all freeze policy to the candidate role (before final grading), and checks it took. */
export async function freezeSandbox(options: ExistingSandboxOptions): Promise<FreezeResult> {
  const sandbox = await openSandbox(options, 'freeze');
  const { iam, names, freezePolicyArn } = sandbox;
  try {
    if (await isFrozen(iam, names.candidateRole, freezePolicyArn)) {
      return { roleName: names.candidateRole, freezePolicyArn, alreadyFrozen: true };
    }
    await iam.send(new AttachRolePolicyCommand({ RoleName: names.candidateRole, PolicyArn: freezePolicyArn }));
    if (!(await isFrozen(iam, names.candidateRole, freezePolicyArn))) {
      throw new SandboxError('failed', `attached ${freezePolicyArn} to ${names.candidateRole} but IAM does not list it; run sandbox freeze again`);
    }
    return { roleName: names.candidateRole, freezePolicyArn, alreadyFrozen: false };
  } finally {
    sandbox.close();
  }
}

export interface DestroyResult {
  stackId: string;
  stackName: string;
  status: string;
}

/**
 * Deletes an attempt's sandbox stack and waits until CloudFormation reports DELETE_COMPLETE. The freeze
 * policy is detached first: IAM will not delete a role with a policy attached outside the stack.
 */
export async function destroySandbox(options: ExistingSandboxOptions & WatchOptions): Promise<DestroyResult> {
  const sandbox = await openSandbox(options, 'destroy');
  const { cfn, iam, stack, names, freezePolicyArn } = sandbox;
  try {
    const stackId = stack.StackId ?? names.stack;
    try {
      await iam.send(new DetachRolePolicyCommand({ RoleName: names.candidateRole, PolicyArn: freezePolicyArn }));
    } catch (e) {
      if (!(e instanceof Error && e.name === 'NoSuchEntityException')) throw e;
    }
    const watermark = await latestEventId(cfn, stackId);
    await cfn.send(new DeleteStackCommand({ StackName: stackId }));
    const { stack: final, failures } = await watchStack(cfn, stackId, watermark, options);
    if (final.StackStatus !== 'DELETE_COMPLETE') {
      throw new SandboxError(
        'failed',
        `stack ${names.stack} in account ${options.accountId} did not delete (${final.StackStatus}): ${failures.join('; ') || final.StackStatusReason || 'no reason given'}. Fix the resources named and run sandbox destroy again.`,
      );
    }
    return { stackId, stackName: names.stack, status: final.StackStatus };
  } finally {
    sandbox.close();
  }
}
