import { readFileSync } from 'node:fs';
import { loadCatalog } from '../../src/catalog/load';
import { canonicalJson } from '../../src/evidence/canonical';
import { readBundle } from '../../src/evidence/bundle';
import { regrade } from '../../src/engine/grade';
import { reportSchema } from '../../src/model/report';
import { checkFixture, fixtureFile, gradeScenario, listFixtureFiles, loadScenarios, recordScenario } from '../../src/testing/scenarios';

const catalog = loadCatalog();

describe.each(catalog.ids())('%s fixtures', (taskId) => {
  const entry = catalog.get(taskId);
  const files = listFixtureFiles(entry);

  it('has at least one pass, one alt, four fail and one error fixture', () => {
    const count = (kind: string) => files.filter((f) => f.kind === kind).length;
    expect({ pass: count('pass') >= 1, alt: count('alt') >= 1, fail: count('fail') >= 4, error: count('error') >= 1 }).toEqual({ pass: true, alt: true, fail: true, error: true });
  });

  it.each(files.map((f) => [`${f.kind}/${f.name}`, f] as const))('%s grades as it expects', async (_name, fixture) => {
    const verdict = await checkFixture(entry, fixture);
    expect(verdict.mismatches).toEqual([]);
    expect(() => reportSchema.parse(verdict.report)).not.toThrow();
  });

  it('replays to the same outcome, check by check, twice', async () => {
    for (const f of files) {
      const bundle = readBundle(f.file);
      const [a, b] = [await regrade(entry, bundle), await regrade(entry, bundle)];
      expect(b.report.checks.map((c) => [c.id, c.outcome, c.message])).toEqual(a.report.checks.map((c) => [c.id, c.outcome, c.message]));
    }
  });

  it('matches what its scenarios record today (re-record with `skillproof grader record`)', async () => {
    for (const scenario of loadScenarios(entry)) {
      const fresh = await recordScenario(entry, scenario);
      const onDisk = readBundle(fixtureFile(entry, scenario.kind, scenario.name));
      expect(canonicalJson(onDisk)).toEqual(canonicalJson(fresh));
    }
  });

  it('grades alike on what AWS sent and on the redacted evidence', async () => {
    for (const scenario of loadScenarios(entry)) {
      const live = await gradeScenario(entry, scenario);
      const { report } = await regrade(entry, readBundle(fixtureFile(entry, scenario.kind, scenario.name)));
      expect([scenario.name, report.checks.map((c) => [c.id, c.outcome, c.message])]).toEqual([scenario.name, live.report.checks.map((c) => [c.id, c.outcome, c.message])]);
    }
  });

  it('never stores a planted secret', () => {
    for (const f of files) expect(readFileSync(f.file, 'utf8')).not.toMatch(/do_not_store|sk_live_/);
  });
});
