import { readFileSync } from 'node:fs';
import { loadCatalog } from '../../src/catalog/load';
import { canonicalJson } from '../../src/evidence/canonical';
import { readBundle } from '../../src/evidence/bundle';
import { regrade } from '../../src/engine/grade';
import { reportSchema } from '../../src/model/report';
import { describeMissingPermission, missingGraderPermissions } from '../../src/testing/grader-permissions';
import type { EvidenceBundle } from '../../src/evidence/bundle';
import type { Report } from '../../src/model/report';
import { checkFixture, fixtureFile, fixtureShortfalls, FIXTURE_MINIMUMS, gradeScenario, listFixtureFiles, loadScenarios, recordedBundle, type Scenario } from '../../src/testing/scenarios';

const catalog = loadCatalog();

describe.each(catalog.ids())('%s fixtures', (taskId) => {
  const entry = catalog.get(taskId);
  const files = listFixtureFiles(entry);
  // Each fixture's replay and each scenario's simulated run are computed once and shared by the
  // tests below (a test run alone computes what it needs): the suite grades each fixture three
  // times (two replays and the scenario's run), not six.
  const replays = new Map<string, Report>();
  const replay = async (file: string): Promise<Report> => {
    const known = replays.get(file);
    if (known) return known;
    const { report } = await regrade(entry, readBundle(file));
    replays.set(file, report);
    return report;
  };
  const runs = new Map<string, Promise<EvidenceBundle & { report: Report }>>();
  const scenarioRun = (scenario: Scenario) => {
    const key = `${scenario.kind}/${scenario.name}`;
    if (!runs.has(key)) runs.set(key, gradeScenario(entry, scenario));
    return runs.get(key)!;
  };

  it(`has at least ${Object.entries(FIXTURE_MINIMUMS).map(([kind, n]) => `${n} ${kind}`).join(', ')} fixtures`, () => {
    expect(fixtureShortfalls(files)).toEqual([]);
  });

  it('makes only calls its grader role allows (invariant 8: the role its sandbox stack synthesises)', async () => {
    expect((await missingGraderPermissions(entry, files)).map(describeMissingPermission)).toEqual([]);
  }, 120_000);

  it.each(files.map((f) => [`${f.kind}/${f.name}`, f] as const))('%s grades as it expects', async (_name, fixture) => {
    const verdict = await checkFixture(entry, fixture);
    replays.set(fixture.file, verdict.report);
    expect(verdict.mismatches).toEqual([]);
    expect(() => reportSchema.parse(verdict.report)).not.toThrow();
  });

  it('replays to the same outcome, check by check, twice', async () => {
    for (const f of files) {
      // The first replay is the one "grades as it expects" made; this is the second.
      const a = await replay(f.file);
      const { report: b } = await regrade(entry, readBundle(f.file));
      expect(b.checks.map((c) => [c.id, c.outcome, c.message])).toEqual(a.checks.map((c) => [c.id, c.outcome, c.message]));
    }
  });

  it('matches what its scenarios record today (re-record with `skillproof grader record`)', async () => {
    for (const scenario of loadScenarios(entry)) {
      const fresh = recordedBundle(await scenarioRun(scenario));
      const onDisk = readBundle(fixtureFile(entry, scenario.kind, scenario.name));
      expect(canonicalJson(onDisk)).toEqual(canonicalJson(fresh));
    }
  });

  it('grades alike on what AWS sent and on the redacted evidence', async () => {
    for (const scenario of loadScenarios(entry)) {
      const live = await scenarioRun(scenario);
      const report = await replay(fixtureFile(entry, scenario.kind, scenario.name));
      expect([scenario.name, report.checks.map((c) => [c.id, c.outcome, c.message])]).toEqual([scenario.name, live.report.checks.map((c) => [c.id, c.outcome, c.message])]);
    }
  });

  it('never stores a planted secret', () => {
    for (const f of files) expect(readFileSync(f.file, 'utf8')).not.toMatch(/do_not_store|sk_live_/);
  });
});
