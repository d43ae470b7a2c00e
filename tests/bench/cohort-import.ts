/**
 * Cohort import at scale: a 10,000-member CSV read, placed and applied (one SQLite transaction)
 * into a fresh data directory, then the same file again (which must change nothing). Target: the
 * first import in under 10 s. Run alone with `node -r tsx/cjs tests/bench/cohort-import.ts [N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importMembers } from '../../src/cohorts/import';
import { createCohort } from '../../src/cohorts/setup';
import { SqliteStore } from '../../src/store/sqlite-store';
import { generateRosterCsv } from '../cohorts/support/roster';
import { testCatalog } from '../cohorts/support/world';
import { round } from './stats';

export interface CohortImportBench {
  members: number;
  groups: number;
  importMs: number;
  membersPerSecond: number;
  reimportMs: number;
  reimportUnchanged: number;
  csvBytes: number;
}

export const COHORT_IMPORT_TARGET_MS = 10_000;

export async function measureCohortImport(members = 10_000): Promise<CohortImportBench> {
  const dir = mkdtempSync(join(tmpdir(), 'skillproof-bench-cohort-'));
  const store = SqliteStore.open(dir);
  try {
    const deps = { store, cohorts: store.cohorts, lookup: store.cohorts, catalog: testCatalog, actor: 'admin:bench' };
    const cohort = await createCohort(deps, {
      programme: 'Level Up',
      name: 'Bench',
      cadenceMonths: 6,
      startsAt: '2026-03-02',
      targetAssessmentIds: ['aws-serverless', 'aws-agentic-ai'],
      groupSize: 12,
    });
    const csv = generateRosterCsv(members, { targets: ['aws-serverless', 'aws-agentic-ai'], seed: 42 });
    let started = performance.now();
    const first = await importMembers(deps, cohort.id, csv, { source: 'bench.csv' });
    const importMs = performance.now() - started;
    if (first.result.membersAdded !== members) throw new Error(`cohort import bench: ${first.result.membersAdded} of ${members} members added`);
    started = performance.now();
    const again = await importMembers(deps, cohort.id, csv, { source: 'bench.csv' });
    const reimportMs = performance.now() - started;
    if (again.result.membersUnchanged !== members) throw new Error(`cohort import bench: re-import changed ${members - again.result.membersUnchanged} members`);
    return {
      members,
      groups: first.result.groupsCreated,
      importMs: round(importMs),
      membersPerSecond: Math.round((members * 1000) / importMs),
      reimportMs: round(reimportMs),
      reimportUnchanged: again.result.membersUnchanged,
      csvBytes: Buffer.byteLength(csv),
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  measureCohortImport(Number(process.argv[2] ?? 10_000))
    .then((r) => {
      console.log(`cohort import: ${r.members} members (${r.groups} groups, ${Math.round(r.csvBytes / 1024)} KiB CSV) in ${r.importMs} ms = ${r.membersPerSecond} members/s; re-import ${r.reimportMs} ms, ${r.reimportUnchanged} unchanged`);
      console.log(`target < ${COHORT_IMPORT_TARGET_MS / 1000} s: ${r.importMs < COHORT_IMPORT_TARGET_MS ? 'met' : 'NOT MET'}`);
    })
    .catch((e: unknown) => {
      console.error(`cohort import bench: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    });
}
