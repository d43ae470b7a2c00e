import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, REPO_ROOT } from '../../src/catalog/load';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { listFixtureFiles } from '../../src/testing/scenarios';
import { generateRosterCsv } from './support/roster';

const catalog = loadCatalog();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillproof-cli-cohort-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), setExitCode: () => undefined };
  const code = await main([...argv, '--data-dir', join(dir, 'data')], io);
  return { code, out, err };
}
const json = <T>(r: { out: string }) => JSON.parse(r.out) as T;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Replay evidence that passes every task of aws-serverless. */
function replayFolder(): string {
  const folder = join(dir, 'replay');
  mkdirSync(folder, { recursive: true });
  for (const taskId of catalog.assessment('aws-serverless').tasks) copyFileSync(listFixtureFiles(catalog.get(taskId)).find((f) => f.kind === 'pass')!.file, join(folder, `${taskId}.json`));
  return folder;
}

const create = (...extra: string[]) =>
  cli('cohort', 'create', '--programme', 'Level Up', '--name', 'Spring 2026', '--cadence', '6', '--starts', '2026-03-02', '--target', 'aws-serverless', '--group-size', '10', ...extra);

describe('skillproof cohort', () => {
  it('loads neither SQLite nor the AWS SDK until a command runs (so --help stays fast)', () => {
    const loaded = execFileSync(
      process.execPath,
      ['-e', "require('tsx/cjs/api').register(); require('./src/cli/cohort.ts'); console.log(Object.keys(require.cache).filter((k) => /better-sqlite3|@aws-sdk/.test(k)).length)"],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(loaded.trim()).toBe('0');
  });

  it('launches a cohort: create, import, schedule, show, start, export', async () => {
    const created = await create('--voucher', 'credential');
    expect(created).toMatchObject({ code: 0, err: '' });
    expect(created.out).toContain('Cohort spring-2026 created: Spring 2026, 6 months from 2026-03-02 to 2026-09-02.');

    const members = file('members.csv', generateRosterCsv(12, { levels: ['foundation'] }));
    const imported = await cli('cohort', 'import', '--cohort', 'spring-2026', '--csv', members, '--json');
    expect(json(imported)).toMatchObject({ rows: 12, membersAdded: 12, groupsCreated: 2, groups: [{ members: 6 }, { members: 6 }] });
    const again = await cli('cohort', 'import', '--cohort', 'spring-2026', '--csv', members);
    expect(again.out).toContain('0 member(s) added, 0 updated, 12 unchanged; 0 group(s) created.');

    const moved = await cli('cohort', 'schedule', '--cohort', 'spring-2026', '--due', 'm1=2026-04-01');
    expect(moved.code).toBe(0);
    expect(moved.out).toMatch(/m1\s+2026-04-01T00:00:00.000Z\s+passed serverless-orders-api/);

    const shown = await cli('cohort', 'show', '--cohort', 'spring-2026', '--at', '2026-04-02');
    expect(shown.out).toContain('Cohort spring-2026: Spring 2026 · programme level-up · 6 months, 2026-03-02 to 2026-09-02');
    expect(shown.out).toMatch(/m1\s+2026-04-01\s+0\/12/);
    expect(shown.out).toContain('Behind (a milestone due by now not reached)');

    const started = await cli('cohort', 'start', '--cohort', 'spring-2026', '--replay', replayFolder(), '--concurrency', '3');
    expect(started.code).toBe(0);
    expect(started.out).toContain(`Ran bulk-spring-2026-all-1: 12 member(s): 12 started`);
    expect(started.err.trim().split('\n')).toHaveLength(12);
    expect(started.err).toMatch(/^\[ 1\/12\] cand-[0-9a-f]{12} started att-[0-9a-f]{12}$/m);
    const rerun = await cli('cohort', 'start', '--cohort', 'spring-2026', '--replay', join(dir, 'replay'), '--json');
    expect(json(rerun)).toMatchObject({ runId: 'bulk-spring-2026-all-2', started: 0, adopted: 12 });
    expect(json<{ attempts: unknown[] }>(await cli('attempt', 'list', '--json')).attempts).toHaveLength(12);

    const groups = json<{ groups: Array<{ group: { id: string } }> }>(await cli('cohort', 'show', '--cohort', 'spring-2026', '--json')).groups;
    const group = await cli('cohort', 'show', '--cohort', 'spring-2026', '--group', groups[0]!.group.id, '--at', '2026-03-03');
    expect(group.out).toMatch(/MEMBER\s+LEVEL\s+MILESTONES\s+TASKS PASSED\s+BADGES\s+STANDING/);
    expect(group.out).toMatch(/Member 1\s+foundation\s+0\/5\s+0\s+-\s+on-track/);

    const out = join(dir, 'ceremony.csv');
    const exported = await cli('cohort', 'export', '--cohort', 'spring-2026', '--at', '2026-09-03', '--out', out);
    expect(exported.out).toContain('12 member(s), 0 completed, 0 voucher(s)');
    const csv = readFileSync(out, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('name,candidate_id,group,target,completed,credential_ids,voucher,voucher_reason');
    expect(csv.split('\r\n')[1]).toMatch(/^Member 1,cand-/);

    const listed = await cli('cohort', 'list');
    expect(listed.out).toMatch(/spring-2026\s+level-up\s+6\s+2026-03-02\s+2026-09-02\s+2\s+12\s+aws-serverless/);
  });

  it('exits 2 with every bad row listed, and imports nothing', async () => {
    await create();
    const bad = file('bad.csv', 'name,email,level\r\nAna,ana@example.org,foundation\r\nBo,not-an-email,foundation\r\nCy,,\r\n');
    const r = await cli('cohort', 'import', '--cohort', 'spring-2026', '--csv', bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`error: ${bad}: 2 rows cannot be imported, so nothing was imported:`);
    expect(r.err).toContain('  row 3: e-mail "not-an-email" is not an e-mail address');
    expect(r.err).toContain('  row 4: level is empty');
    expect(json<{ cohorts: Array<{ members: number }> }>(await cli('cohort', 'list', '--json')).cohorts[0]!.members).toBe(0);
  });

  it('exits 2 on bad options: an unknown target, a cadence other than 3, 6 or 9, a bad voucher rule, a schedule outside the cohort', async () => {
    expect((await cli('cohort', 'create', '--programme', 'P', '--name', 'N', '--cadence', '6', '--starts', '2026-03-02', '--target', 'aws-nothing')).err).toContain('"aws-nothing" is not an assessment; known: aws-agentic-ai, aws-serverless');
    expect((await cli('cohort', 'create', '--programme', 'P', '--name', 'N', '--cadence', '4', '--starts', '2026-03-02', '--target', 'aws-serverless')).err).toContain('cadence must be 3, 6, 9 months');
    const voucher = await create('--voucher', 'everyone');
    expect(voucher).toMatchObject({ code: 2 });
    expect(voucher.err).toContain('voucher rule "everyone" must be none, credential, credential:YYYY-MM-DD or milestones:N');
    await create();
    const late = await cli('cohort', 'schedule', '--cohort', 'spring-2026', '--due', 'm2=2027-01-01');
    expect(late.code).toBe(2);
    expect(late.err).toContain('milestone m2: due 2027-01-01T00:00:00.000Z lies outside the cohort (2026-03-02T00:00:00.000Z to 2026-09-02T00:00:00.000Z)');
    expect((await cli('cohort', 'show', '--cohort', 'nope')).code).toBe(2);
    expect((await cli('cohort', 'start', '--cohort', 'spring-2026', '--replay', dir, '--sandboxes', 'x.csv')).err).toContain('each attempt needs a sandbox');
  });

  it('replaces the milestones from a file and restores the defaults', async () => {
    await create();
    const custom = file('milestones.json', JSON.stringify([
      { id: 'kickoff', title: 'First task', dueAt: '2026-04-15', requirement: { kind: 'tasks-passed', taskIds: ['serverless-orders-api'] } },
      { id: 'done', title: 'Credential', dueAt: '2026-08-31', requirement: { kind: 'credential', assessmentId: 'aws-serverless' } },
    ]));
    const replaced = json<{ milestones: Array<{ id: string; dueAt: string }> }>(await cli('cohort', 'schedule', '--cohort', 'spring-2026', '--file', custom, '--json'));
    expect(replaced.milestones.map((m) => [m.id, m.dueAt])).toEqual([
      ['kickoff', '2026-04-15T00:00:00.000Z'],
      ['done', '2026-08-31T00:00:00.000Z'],
    ]);
    const restored = json<{ milestones: Array<{ id: string }> }>(await cli('cohort', 'schedule', '--cohort', 'spring-2026', '--defaults', '--json'));
    expect(restored.milestones.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });
});
