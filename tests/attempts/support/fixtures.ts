import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Grade, GradeRequest, GradeResult } from '../../../src/attempts/types';
import { canonicalJson, sha256Hex } from '../../../src/store/canonical-json';
import { SqliteStore } from '../../../src/store/sqlite-store';
import type { RunStatus, SandboxRef } from '../../../src/store/types';

export const replaySandbox: SandboxRef = { kind: 'replay', path: 'tasks/serverless-orders-api/fixtures/pass' };

/** A throw-away data directory with an open store; `cleanup` closes and deletes it. */
export function tempStore(now?: () => Date): { dir: string; store: SqliteStore; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'skillproof-attempts-store-'));
  const store = SqliteStore.open(dir, now ? { now } : {});
  return {
    dir,
    store,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An evidence bundle as the evidence module makes it: canonical JSON and its sha256. */
export function bundleOf(value: unknown): { sha256: string; json: string } {
  const json = canonicalJson(value);
  return { sha256: sha256Hex(json), json };
}

/** A settable clock starting at a fixed instant. */
export class Clock {
  constructor(private current = new Date('2026-03-01T09:00:00Z')) {}
  readonly now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * A grading engine stand-in: each task gets the status in `statuses` (default passed), or throws
 * when the status is an Error. Records every request it receives.
 */
export function scriptedGrade(statuses: Record<string, RunStatus | Error> = {}): Grade & { calls: GradeRequest[] } {
  const calls: GradeRequest[] = [];
  const grade = async (req: GradeRequest): Promise<GradeResult> => {
    calls.push(req);
    const status = statuses[req.taskId] ?? 'passed';
    if (status instanceof Error) throw status;
    const report = { task: req.taskId, scope: req.scope, status, checks: [{ id: 'table-exists', outcome: status === 'passed' ? 'PASS' : 'FAIL' }] };
    return { status, report, bundle: bundleOf({ version: 1, attemptId: req.attemptId, report, calls: [] }) };
  };
  return Object.assign(grade, { calls });
}
