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
