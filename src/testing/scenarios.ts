import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CatalogEntry } from '../catalog/load';
import { sha256Hex } from '../evidence/canonical';
import { readBundle, sealBundle, serialiseBundle, type EvidenceBundle, type FixtureExpectation } from '../evidence/bundle';
import { gradeSimulated, regrade } from '../engine/grade';
import type { Report, Status } from '../model/report';
import type { FakeAccount } from './fake-account';

export const FIXTURE_KINDS = ['pass', 'alt', 'fail', 'error'] as const;
export type FixtureKind = (typeof FIXTURE_KINDS)[number];

/** A fixture written as a simulated account; recording it produces `fixtures/<kind>/<name>.json`. */
export interface Scenario {
  kind: FixtureKind;
  name: string;
  description: string;
  /** For `fail`: the check ids that must FAIL. */
  failing?: string[];
  /** The sandbox account the run expects (to simulate a wrong-account run). */
  expectedAccount?: string;
  account: () => FakeAccount;
}

/** The status each kind of fixture must grade to. */
export const STATUS_OF: Record<FixtureKind, Status> = { pass: 'passed', alt: 'passed', fail: 'failed', error: 'incomplete' };
/**
 * The fewest fixtures of each kind a task must ship (enforced by `grader test` and `npm test`): a
 * reference pass, an alternative valid solution that must also pass, mutants that must FAIL, and a
 * run that must be incomplete (throttling, the grader's own AccessDenied).
 */
export const FIXTURE_MINIMUMS: Readonly<Record<FixtureKind, number>> = { pass: 1, alt: 1, fail: 4, error: 1 };

/** What a task's fixtures lack against FIXTURE_MINIMUMS, one sentence per kind; empty when nothing. */
export function fixtureShortfalls(files: readonly Pick<FixtureFile, 'kind'>[]): string[] {
  return FIXTURE_KINDS.flatMap((kind) => {
    const have = files.filter((f) => f.kind === kind).length;
    const need = FIXTURE_MINIMUMS[kind];
    return have >= need ? [] : [`has ${have} ${kind}/ fixture${have === 1 ? '' : 's'}; at least ${need} ${need === 1 ? 'is' : 'are'} required`];
  });
}

const FIXTURE_CLOCK = new Date('2026-01-15T10:00:00.000Z');

export function defineScenarios(scenarios: Scenario[]): Scenario[] {
  return scenarios;
}

export function fixtureFile(entry: CatalogEntry, kind: FixtureKind, name: string): string {
  return join(entry.taskDir, 'fixtures', kind, `${name}.json`);
}

/** Grades a scenario's simulated account and returns the fixture bundle (transcript + expectation, no report). */
export async function recordScenario(entry: CatalogEntry, scenario: Scenario): Promise<EvidenceBundle> {
  return recordedBundle(await gradeScenario(entry, scenario));
}

/** The fixture a scenario's graded run is recorded as: the bundle without its report, sealed. */
export function recordedBundle(graded: EvidenceBundle & { report: Report }): EvidenceBundle {
  const { report: _report, sha256: _sha, ...rest } = graded;
  return sealBundle(rest);
}

/** Grades a scenario's simulated account as a live run would: the grader judges the unredacted answers. */
export async function gradeScenario(entry: CatalogEntry, scenario: Scenario): Promise<EvidenceBundle & { report: Report }> {
  const account = scenario.account();
  const expect: FixtureExpectation = { status: STATUS_OF[scenario.kind], failing: scenario.failing ?? [], description: scenario.description };
  const { bundle } = await gradeSimulated(entry, {
    responder: account.responder,
    region: account.region,
    nonce: sha256Hex(`${entry.task.id}/${scenario.kind}/${scenario.name}`).slice(0, 16),
    startedAt: FIXTURE_CLOCK,
    attemptId: `fixture-${scenario.name}`,
    expect,
    ...(scenario.expectedAccount ? { expectedAccount: scenario.expectedAccount } : {}),
  });
  return bundle as EvidenceBundle & { report: Report };
}

/** Loads a task's scenarios from `fixtures/scenarios.ts`, if it has one. */
export function loadScenarios(entry: CatalogEntry): Scenario[] {
  const file = join(entry.taskDir, 'fixtures', 'scenarios.ts');
  if (!existsSync(file)) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(file) as { default: Scenario[] }).default;
}

/** Re-records every scenario of a task into its fixtures folder. Returns the files written. */
export async function writeFixtures(entry: CatalogEntry): Promise<string[]> {
  const written: string[] = [];
  for (const scenario of loadScenarios(entry)) {
    const file = fixtureFile(entry, scenario.kind, scenario.name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, serialiseBundle(await recordScenario(entry, scenario)));
    written.push(file);
  }
  return written;
}

export interface FixtureFile {
  kind: FixtureKind;
  name: string;
  file: string;
}

export function listFixtureFiles(entry: CatalogEntry): FixtureFile[] {
  const out: FixtureFile[] = [];
  for (const kind of FIXTURE_KINDS) {
    const dir = join(entry.taskDir, 'fixtures', kind);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) out.push({ kind, name: f.replace(/\.json$/, ''), file: join(dir, f) });
  }
  return out;
}

export interface FixtureVerdict extends FixtureFile {
  expected: FixtureExpectation;
  report: Report;
  /** Empty when the fixture graded as it says it must. */
  mismatches: string[];
}

/** Replays one fixture through its grader and compares the result with what the fixture expects. */
export async function checkFixture(entry: CatalogEntry, fixture: FixtureFile): Promise<FixtureVerdict> {
  const bundle = readBundle(fixture.file);
  if (!bundle.expect) throw new Error(`${fixture.file}: a fixture needs an "expect" block (status, failing, description)`);
  const { report } = await regrade(entry, bundle);
  const mismatches: string[] = [];
  const expected = bundle.expect;
  if (STATUS_OF[fixture.kind] !== expected.status) mismatches.push(`a ${fixture.kind}/ fixture must expect "${STATUS_OF[fixture.kind]}", but it says "${expected.status}"`);
  if (report.status !== expected.status) mismatches.push(`status is "${report.status}", expected "${expected.status}"`);
  for (const id of expected.failing) {
    const check = report.checks.find((c) => c.id === id);
    if (!check) mismatches.push(`check "${id}" does not exist`);
    else if (check.outcome !== 'FAIL') mismatches.push(`check "${id}" is ${check.outcome}, expected FAIL (${check.message})`);
  }
  if (fixture.kind === 'fail' && expected.failing.length === 0) mismatches.push('a fail/ fixture must name the checks that must fail');
  if (fixture.kind !== 'error' && report.checks.some((c) => c.outcome === 'ERROR')) {
    mismatches.push(`unexpected ERROR: ${report.checks.filter((c) => c.outcome === 'ERROR').map((c) => `${c.id}: ${c.message}`).join('; ')}`);
  }
  return { ...fixture, expected, report, mismatches };
}
