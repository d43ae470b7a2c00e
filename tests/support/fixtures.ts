import type { CatalogEntry } from '../../src/catalog/load';
import type { Report } from '../../src/model/report';
import { checkFixture, fixtureFile, type FixtureKind } from '../../src/testing/scenarios';

/**
 * Grades one of a task's fixtures and asserts it graded as the fixture expects; returns the report
 * for further assertions. (Every fixture's freshness against its scenario is checked once, for all
 * tasks, in tests/tasks/fixtures.test.ts.)
 */
export function gradedFixture(entry: CatalogEntry): (kind: FixtureKind, name: string) => Promise<Report> {
  return async (kind, name) => {
    const verdict = await checkFixture(entry, { kind, name, file: fixtureFile(entry, kind, name) });
    expect(verdict.mismatches).toEqual([]);
    return verdict.report;
  };
}
