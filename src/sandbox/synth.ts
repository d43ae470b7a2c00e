import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { sandboxStackName } from '../../cdk/lib/sandbox-naming';
import { TaskSandboxStack, type TaskSandboxStackProps } from '../../cdk/lib/task-sandbox-stack';
import { loadCatalog, REPO_ROOT } from '../catalog/load';
import { mergeAccountQuotas } from '../../cdk/lib/blueprint-merge';
import type { AccountQuota, Blueprint } from '../model/task';
import { SandboxError } from './session';

/** What a sandbox needs from a task; a catalog TaskDefinition is one. */
export interface SandboxTask {
  id: string;
  blueprint: Blueprint;
  timeLimitMinutes: number;
}

export interface SynthOptions {
  /** Default: a random UUID (printed, so the grader can be given it). */
  externalId?: string;
  graderPrincipalArn?: string;
  candidatePrincipalArn?: string;
  /** Default: the assessment's time limit, or the sum of the tasks' time limits. */
  timeLimitMinutes?: number;
  budgetUsd?: number;
  budgetAlertEmails?: string[];
  /** When the lease starts, from which the budget counts (default: now); deploy passes the moment its FreezeAt is counted from. */
  leaseStart?: Date;
  /** Where tasks/ is looked up (default: the repository). */
  root?: string;
}

export interface SynthResult {
  stackName: string;
  tasks: string[];
  template: Record<string, unknown>;
  /** Written template, when an output directory was given. */
  templatePath?: string;
  externalId: string;
  timeLimitMinutes: number;
  /** Service quotas the account must have for these tasks (deploy checks them). */
  accountQuotas: AccountQuota[];
}

/** The tasks a sandbox hosts and the candidate's time for all of them. */
export interface SandboxContents {
  tasks: SandboxTask[];
  timeLimitMinutes: number;
}

/**
 * Task and assessment ids → the tasks they name (from the catalog, which validates them) and the time
 * allowed: an assessment's own limit, a task's own, summed when several ids are given.
 */
export function resolveSandboxTasks(ids: readonly string[], root: string = REPO_ROOT): SandboxContents {
  if (ids.length === 0) throw new SandboxError('bad-input', 'name at least one task or assessment');
  const catalog = loadCatalog(root);
  const tasks = new Map<string, SandboxTask>();
  let timeLimitMinutes = 0;
  for (const id of ids) {
    if (catalog.has(id) === 'assessment') {
      const assessment = catalog.assessment(id);
      assessment.tasks.forEach((taskId) => tasks.set(taskId, catalog.get(taskId).task));
      timeLimitMinutes += assessment.timeLimitMinutes;
    } else {
      const { task } = catalog.get(id);
      tasks.set(task.id, task);
      timeLimitMinutes += task.timeLimitMinutes;
    }
  }
  return { tasks: [...tasks.values()], timeLimitMinutes };
}

/** Builds the stack; what it rejects (attempt id, external id, conflicting seeds) is the caller's input. */
function sandboxStack(app: App, props: TaskSandboxStackProps): TaskSandboxStack {
  try {
    return new TaskSandboxStack(app, 'TaskSandbox', props);
  } catch (e) {
    throw new SandboxError('bad-input', (e as Error).message);
  }
}

function isTaskList(source: readonly string[] | readonly SandboxTask[]): source is readonly SandboxTask[] {
  return source.every((s) => typeof s !== 'string');
}

/**
 * Synthesises an attempt's TaskSandboxStack (offline, no AWS call) and returns its CloudFormation
 * template; with `outDir`, also writes it to `<outDir>/<stack>.template.json`. The source is task or
 * assessment ids, or task definitions; several tasks make one sandbox hosting them all.
 */
export function synthSandbox(source: readonly string[] | readonly SandboxTask[], attemptId: string, outDir?: string, options: SynthOptions = {}): SynthResult {
  const contents = isTaskList(source) ? { tasks: source, timeLimitMinutes: source.reduce((sum, t) => sum + t.timeLimitMinutes, 0) } : resolveSandboxTasks(source, options.root);
  const { tasks } = contents;
  const externalId = options.externalId ?? randomUUID();
  const timeLimitMinutes = options.timeLimitMinutes ?? contents.timeLimitMinutes;
  let stackName: string;
  try {
    stackName = sandboxStackName(attemptId);
  } catch (e) {
    throw new SandboxError('bad-input', (e as Error).message);
  }

  const assemblyDir = mkdtempSync(join(tmpdir(), 'skillproof-synth-'));
  try {
    const app = new App({ outdir: assemblyDir });
    sandboxStack(app, {
      attemptId,
      tasks,
      externalId,
      graderPrincipalArn: options.graderPrincipalArn,
      candidatePrincipalArn: options.candidatePrincipalArn,
      timeLimitMinutes,
      budgetUsd: options.budgetUsd,
      budgetAlertEmails: options.budgetAlertEmails,
      leaseStart: options.leaseStart,
    });
    const template = app.synth().getStackByName(stackName).template as Record<string, unknown>;
    const accountQuotas = mergeAccountQuotas(tasks.map((t) => t.blueprint));
    const result: SynthResult = { stackName, tasks: tasks.map((t) => t.id), template, externalId, timeLimitMinutes, accountQuotas };
    if (outDir !== undefined) {
      mkdirSync(outDir, { recursive: true });
      result.templatePath = resolve(outDir, `${stackName}.template.json`);
      writeFileSync(result.templatePath, `${JSON.stringify(template, null, 2)}\n`);
    }
    return result;
  } finally {
    rmSync(assemblyDir, { recursive: true, force: true });
  }
}
