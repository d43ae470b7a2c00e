import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { FreezeEffect } from '../../../src/pool/pool';
import type { AccountCleaner } from '../../../src/pool/types';

/**
 * A simulated sandbox account whose state lives in a JSON file, so what the cleaner and the freeze do
 * survives the process that did it (the crash test kills that process). Each change is written to a
 * temporary file and renamed into place: one AWS call either happened or did not.
 */
export interface SimulatedResource {
  arn: string;
  /** False for what a clean-up cannot remove (deletion protection, a resource SkillProof may not touch). */
  removable: boolean;
}

export interface SimulatedAccountState {
  resources: SimulatedResource[];
  /** Attempts whose candidate role is frozen. */
  frozen: string[];
  /** What happened, in order, as the account saw it. */
  events: string[];
}

export function writeAccount(file: string, state: SimulatedAccountState): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}

export function readAccount(file: string): SimulatedAccountState {
  return JSON.parse(readFileSync(file, 'utf8')) as SimulatedAccountState;
}

export function updateAccount(file: string, change: (state: SimulatedAccountState) => void): SimulatedAccountState {
  const state = readAccount(file);
  change(state);
  writeAccount(file, state);
  return state;
}

/** Resources a candidate leaves behind in the simulated account. */
export const candidateResources = (attemptId: string): SimulatedResource[] => [
  { arn: `arn:aws:lambda:eu-west-1:111122223333:function:${attemptId}-orders`, removable: true },
  { arn: `arn:aws:dynamodb:eu-west-1:111122223333:table/${attemptId}-orders`, removable: true },
  { arn: `arn:aws:sqs:eu-west-1:111122223333:${attemptId}-dlq`, removable: true },
];

/**
 * A cleaner over the simulated account: removes what it can, one resource at a time, recording each
 * removal in its journal (so a resumed clean-up reports everything it removed), then reads the
 * account again to verify it is empty.
 */
export function fileCleaner(file: string, options: { now: () => Date; afterRemoval?: (arn: string) => Promise<void> | void }): AccountCleaner {
  return async (target, journal) => {
    const removed = ((await journal.get('removed')) as string[] | undefined) ?? [];
    for (const resource of readAccount(file).resources) {
      if (!resource.removable) continue;
      updateAccount(file, (s) => {
        s.resources = s.resources.filter((r) => r.arn !== resource.arn);
        s.events.push(`removed ${resource.arn} (clean-up ${target.leaseId})`);
      });
      if (!removed.includes(resource.arn)) removed.push(resource.arn);
      await journal.put('removed', removed);
      await options.afterRemoval?.(resource.arn);
    }
    const left = readAccount(file).resources;
    if (left.length > 0) return { status: 'dirty', removed, remaining: left.map((r) => ({ arn: r.arn, reason: 'deletion protection is on' })) };
    return { status: 'clean', removed, verifiedAt: options.now().toISOString() };
  };
}

/** The freeze as the simulated account sees it: idempotent. */
export function fileFreeze(file: string): FreezeEffect {
  return async ({ attemptId }) => {
    updateAccount(file, (s) => {
      if (!s.frozen.includes(attemptId)) s.frozen.push(attemptId);
      s.events.push(`froze ${attemptId}`);
    });
  };
}
