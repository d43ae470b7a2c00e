import type { CatalogEntry } from '../../src/catalog/load';
import type { Report } from '../../src/model/report';
import { checkFixture, fixtureFile, listFixtureFiles, STATUS_OF, type FixtureKind } from '../../src/testing/scenarios';

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

/** Every fixture of a task as the sentence it stands for: `[kind, name, sentence]`. */
export type FixtureSpec = ReadonlyArray<readonly [FixtureKind, string, string]>;

/**
 * One test per fixture, named by its sentence, asserting it grades to its kind's status; and one
 * proving every fixture on disk has a sentence.
 */
export function specifyFixtures(entry: CatalogEntry, spec: FixtureSpec): void {
  const graded = gradedFixture(entry);
  it.each(spec.map(([kind, name, sentence]) => [kind, name, sentence] as const))('%s/%s: %s', async (kind, name) => {
    expect((await graded(kind, name)).status).toBe(STATUS_OF[kind]);
  });
  it('has a sentence for every fixture on disk', () => {
    expect(listFixtureFiles(entry).map((f) => `${f.kind}/${f.name}`).sort()).toEqual(spec.map(([k, n]) => `${k}/${n}`).sort());
  });
}

/** A report's check by id (the test fails on a missing one through the `!` it is used with). */
export const check = (report: Report, id: string) => report.checks.find((c) => c.id === id)!;
/** Every check's outcome by id. */
export const outcomes = (report: Report) => Object.fromEntries(report.checks.map((c) => [c.id, c.outcome]));
/** The outcome of every check that did not pass, by id. */
export const notPassing = (report: Report) => Object.fromEntries(report.checks.filter((c) => c.outcome !== 'PASS').map((c) => [c.id, c.outcome]));
