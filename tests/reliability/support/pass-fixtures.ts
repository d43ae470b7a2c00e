import { loadCatalog, type CatalogEntry } from '../../../src/catalog/load';
import { readBundle, type EvidenceBundle } from '../../../src/evidence/bundle';
import { listFixtureFiles } from '../../../src/testing/scenarios';

export interface PassFixture {
  entry: CatalogEntry;
  /** `<task-id>/pass/<name>` */
  label: string;
  bundle: EvidenceBundle;
}

/** Every task's recorded passing fixtures (tasks without one yet are left out). */
export function passFixtures(options: { firstPerTask?: boolean } = {}): PassFixture[] {
  return loadCatalog()
    .all()
    .flatMap((entry) => {
      const files = listFixtureFiles(entry).filter((f) => f.kind === 'pass');
      return (options.firstPerTask ? files.slice(0, 1) : files).map((f) => ({ entry, label: `${entry.task.id}/pass/${f.name}`, bundle: readBundle(f.file) }));
    });
}

/**
 * The run a fixture was recorded in, as a simulated grade must repeat it: its Region, nonce, start
 * and attempt id (probes name what they create after it, and the transcript answers those names),
 * and the account the identity check expects.
 */
export function recordedRun(fx: PassFixture): { region: string; nonce: string; startedAt: Date; attemptId: string; expectedAccount?: string } {
  const run = fx.bundle.run;
  return { region: run.region, nonce: run.nonce, startedAt: new Date(run.startedAt), attemptId: run.attemptId, ...(run.expectedAccount ? { expectedAccount: run.expectedAccount } : {}) };
}
