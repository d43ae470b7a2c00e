import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  type DescribeStateMachineCommandOutput,
  type ExecutionStatus,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import type { CheckContext, WaitOptions } from '../../src/model/grader';
import { allPages, orNotFound } from './aws-calls';

/** The state machine with this name, described, or undefined when there is none. */
export function findStateMachine(ctx: CheckContext, name: string): Promise<DescribeStateMachineCommandOutput | undefined> {
  return ctx.memo(`state-machine:${name}`, async () => {
    const sfn = ctx.client(SFNClient);
    const machines = await allPages((nextToken) => sfn.send(new ListStateMachinesCommand({ maxResults: 1000, ...(nextToken ? { nextToken } : {}) })), (p) => p.stateMachines, (p) => p.nextToken);
    const arn = machines.find((m) => m.name === name)?.stateMachineArn;
    return arn ? orNotFound(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))) : undefined;
  });
}

// ---------------------------------------------------------------------------------------------
// Amazon States Language: just the parts graders judge (transitions, Retry, Catch, nesting).

export interface AslRetrier {
  ErrorEquals?: string[];
  MaxAttempts?: number;
}
export interface AslCatcher {
  ErrorEquals?: string[];
  Next?: string;
}
export interface AslState {
  Type?: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<{ Next?: string }>;
  Retry?: AslRetrier[];
  Catch?: AslCatcher[];
  Branches?: AslScope[];
  Iterator?: AslScope;
  ItemProcessor?: AslScope;
}
export interface AslScope {
  StartAt?: string;
  States?: Record<string, AslState>;
}

export type ParsedDefinition = { ok: true; definition: AslScope } | { ok: false; reason: string };

/** Parses a definition as DescribeStateMachine returns it (ASL JSON text). */
export function parseDefinition(text: string | undefined): ParsedDefinition {
  if (!text) return { ok: false, reason: 'the state machine has no definition' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `the definition is not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, reason: 'the definition is not a JSON object' };
  const scope = parsed as AslScope;
  if (typeof scope.StartAt !== 'string' || !scope.States || typeof scope.States !== 'object') return { ok: false, reason: 'the definition has no StartAt or States' };
  return { ok: true, definition: scope };
}

/** A Task state on the path an order normally takes, with the error handling that covers it. */
export interface TaskCoverage {
  /** Where the state sits: `Name`, or `Parallel/branch 1/Name` for nested states. */
  path: string;
  name: string;
  resource?: string;
  /** A retrier (its own or an enclosing Parallel/Map state's) that retries at least once. */
  retried: boolean;
  /** A catcher (its own or an enclosing Parallel/Map state's). */
  caught: boolean;
}

/** States reachable from StartAt by normal transitions (Next, Choice rules, Default), never through a Catch. */
function mainPath(scope: AslScope): Array<[string, AslState]> {
  const states = scope.States ?? {};
  const seen = new Set<string>();
  const order: Array<[string, AslState]> = [];
  const queue = scope.StartAt ? [scope.StartAt] : [];
  while (queue.length > 0) {
    const name = queue.shift()!;
    const state = states[name];
    if (seen.has(name) || !state) continue;
    seen.add(name);
    order.push([name, state]);
    for (const next of [state.Next, ...(state.Choices ?? []).map((c) => c.Next), state.Default]) if (next) queue.push(next);
  }
  return order;
}

const retriesAtLeastOnce = (retry: AslRetrier[] | undefined) => (retry ?? []).some((r) => r.MaxAttempts === undefined || r.MaxAttempts > 0);

/**
 * Every Task state on the main path (the states an order passes through when nothing fails), in
 * nested Parallel branches and Map processors too, with whether a Retry and a Catch cover it.
 */
export function mainPathTasks(definition: AslScope): TaskCoverage[] {
  const out: TaskCoverage[] = [];
  const walk = (scope: AslScope, prefix: string, inherited: { retried: boolean; caught: boolean }) => {
    for (const [name, state] of mainPath(scope)) {
      const cover = { retried: inherited.retried || retriesAtLeastOnce(state.Retry), caught: inherited.caught || (state.Catch ?? []).some((c) => c.Next) };
      if (state.Type === 'Task') out.push({ path: `${prefix}${name}`, name, ...(state.Resource ? { resource: state.Resource } : {}), ...cover });
      (state.Branches ?? []).forEach((branch, i) => walk(branch, `${prefix}${name}/branch ${i + 1}/`, cover));
      const processor = state.ItemProcessor ?? state.Iterator;
      if (state.Type === 'Map' && processor) walk(processor, `${prefix}${name}/`, cover);
    }
  };
  walk(definition, '', { retried: false, caught: false });
  return out;
}

/** The names of every state some Catch hands errors to, at any nesting depth. */
export function catchHandlers(definition: AslScope): Set<string> {
  const handlers = new Set<string>();
  const walk = (scope: AslScope) => {
    for (const state of Object.values(scope.States ?? {})) {
      for (const c of state.Catch ?? []) if (c.Next) handlers.add(c.Next);
      (state.Branches ?? []).forEach(walk);
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) walk(processor);
    }
  };
  walk(definition);
  return handlers;
}

// ---------------------------------------------------------------------------------------------
// Executions and their history.

export const TERMINAL_STATUSES: ReadonlySet<ExecutionStatus | string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** History events that mean a task (Lambda, service integration, activity) failed or timed out. */
export const TASK_FAILURE_EVENTS: ReadonlySet<string> = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
]);

/** Every event of an execution's history, oldest first. */
export function executionHistory(ctx: CheckContext, executionArn: string): Promise<HistoryEvent[]> {
  const sfn = ctx.client(SFNClient);
  return allPages((nextToken) => sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) })), (p) => p.events, (p) => p.nextToken);
}

/** The error name and cause a failure event carries, whatever its `*EventDetails` member is called. */
export function failureOf(event: HistoryEvent): { error?: string; cause?: string } {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || value === null || typeof value !== 'object') continue;
    const { error, cause } = value as { error?: unknown; cause?: unknown };
    if (typeof error === 'string' || typeof cause === 'string') {
      return { ...(typeof error === 'string' ? { error } : {}), ...(typeof cause === 'string' ? { cause } : {}) };
    }
  }
  return {};
}

const isStateEntered = (e: HistoryEvent) => Boolean(e.type?.endsWith('StateEntered'));
const isStateExited = (e: HistoryEvent) => Boolean(e.type?.endsWith('StateExited'));

/** A Parallel or Map state failing as a whole (a branch or iteration failed): its own Catch may handle it. */
const STATE_FAILURE_EVENTS: ReadonlySet<string> = new Set(['ParallelStateFailed', 'MapStateFailed']);

export interface CaughtFailure {
  /** The error the task failed with (e.g. "InvalidOrder", "States.TaskFailed"). */
  error?: string;
  /** The state the Catch handed the error to. */
  handler: string;
  /** The state whose Catch fired (from its StateExited event), when the history names it. */
  state?: string;
}

/**
 * Failures a Catch handled. In GetExecutionHistory every event names the event that led to it
 * (`previousEventId`), which keeps concurrent Parallel branches and Map iterations apart. A Catch
 * shows as a failure event (a task failure, or ParallelStateFailed / MapStateFailed for a failed
 * branch) followed directly by the failing state's `…StateExited` and then the handler's
 * `…StateEntered` (as recorded from AWS: TaskFailed → TaskStateExited → PassStateEntered). A failure
 * followed by a new attempt (TaskScheduled…) was retried, whatever state comes later, so a retried
 * task whose Catch target is also its normal Next is not "caught". Where an event has no successor
 * by previousEventId, the next event by id stands in.
 */
export function caughtFailures(events: readonly HistoryEvent[], handlers: ReadonlySet<string>): CaughtFailure[] {
  const sorted = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const byPrevious = new Map<number, HistoryEvent>();
  for (const e of sorted) if (e.previousEventId && !byPrevious.has(e.previousEventId)) byPrevious.set(e.previousEventId, e);
  const after = (e: HistoryEvent): HistoryEvent | undefined => byPrevious.get(e.id ?? -1) ?? sorted[sorted.indexOf(e) + 1];
  const found = new Map<number, CaughtFailure>();
  sorted.forEach((event, i) => {
    const type = event.type ?? '';
    if (!TASK_FAILURE_EVENTS.has(type) && !STATE_FAILURE_EVENTS.has(type)) return;
    const next = after(event);
    const exited = next && isStateExited(next) ? next : undefined;
    const entered = exited ? after(exited) : next;
    const handler = entered && isStateEntered(entered) ? entered.stateEnteredEventDetails?.name : undefined;
    if (entered?.id === undefined || !handler || !handlers.has(handler)) return;
    // A failed branch carries no error itself: the task failure before it does.
    const cause = STATE_FAILURE_EVENTS.has(type) ? [...sorted.slice(0, i)].reverse().find((e) => TASK_FAILURE_EVENTS.has(e.type ?? '')) : event;
    const { error } = cause ? failureOf(cause) : {};
    const state = exited?.stateExitedEventDetails?.name;
    found.set(entered.id, { handler, ...(error ? { error } : {}), ...(state ? { state } : {}) });
  });
  return [...found.values()];
}

/** Task failures in the history (including ones later retried or caught), in order. */
export function taskFailures(events: readonly HistoryEvent[]): Array<{ type: string; error?: string; cause?: string }> {
  return [...events]
    .sort((a, b) => (a.id ?? 0) - (b.id ?? 0))
    .filter((e) => TASK_FAILURE_EVENTS.has(e.type ?? ''))
    .map((e) => ({ type: e.type!, ...failureOf(e) }));
}

/** An execution a probe started, found by a token in its input. */
export interface SeenExecution {
  executionArn: string;
  status: string;
  input: string;
  startDate?: Date;
  stopDate?: Date;
}

/** True when `token` occurs in `text` as a whole word (not as the start of `token-more`). */
export function containsToken(text: string, token: string): boolean {
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`).test(text);
}

export interface WatchOptions extends WaitOptions {
  /** Executions that started before this are not looked at (allow for clock skew). */
  since: Date;
}

/**
 * Polls a state machine's newest executions until, for every token, an execution whose input
 * carries it has ended (or the deadline passes). Each execution's input is read once.
 * Returns what was seen per token; a token with no entry never reached an execution.
 */
export async function watchExecutions(ctx: CheckContext, stateMachineArn: string, tokens: readonly string[], options: WatchOptions): Promise<Map<string, SeenExecution>> {
  const sfn = ctx.client(SFNClient);
  const found = new Map<string, SeenExecution>();
  const ignored = new Set<string>();
  const { since, ...wait } = options;
  await ctx.waitFor(
    `executions of ${stateMachineArn} carrying ${tokens.join(', ')}`,
    async () => {
      // Newest first: read pages until one reaches executions older than `since` (or there are no more).
      const items = await allPages(
        (nextToken) => sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
        (p) => p.executions,
        (p) => ((p.executions ?? []).some((e) => e.startDate && e.startDate.getTime() < since.getTime()) ? undefined : p.nextToken),
        10,
      );
      for (const item of items) {
        const arn = item.executionArn;
        if (!arn || ignored.has(arn)) continue;
        const known = [...found.values()].find((s) => s.executionArn === arn);
        if (known) {
          known.status = item.status ?? known.status;
          if (item.stopDate) known.stopDate = item.stopDate;
          continue;
        }
        if (item.startDate && item.startDate.getTime() < since.getTime()) {
          ignored.add(arn);
          continue;
        }
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
        const input = described.input ?? '';
        const token = tokens.find((t) => !found.has(t) && containsToken(input, t));
        if (!token) {
          ignored.add(arn);
          continue;
        }
        const status = described.status ?? item.status ?? 'RUNNING';
        const stopDate = described.stopDate ?? item.stopDate;
        found.set(token, { executionArn: arn, status, input, ...(item.startDate ? { startDate: item.startDate } : {}), ...(stopDate ? { stopDate } : {}) });
      }
      return tokens.every((t) => TERMINAL_STATUSES.has(found.get(t)?.status ?? '')) ? true : undefined;
    },
    wait,
  );
  return found;
}
