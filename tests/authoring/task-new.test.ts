import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';
import { scaffoldTask } from '../../src/authoring/new-task';
import { FIXTURE_MINIMUMS, FIXTURE_KINDS } from '../../src/testing/scenarios';

/**
 * The author's path, end to end, in a copy of the repository: `task new` writes a task that passes
 * `grader test` at once and touches only its two folders; cutting the grader role down makes
 * `grader test` fail naming the action.
 */

const ID = 'throwaway-items';
const TRACK = 'aws-serverless';

/** The parts of the repository the CLI runs from, copied; node_modules linked. */
function copyOfRepo(): string {
  const root = mkdtempSync(join(tmpdir(), 'skillproof-author-'));
  for (const part of ['bin', 'src', 'cdk', 'graders', 'tasks', 'package.json', 'tsconfig.json']) cpSync(join(REPO_ROOT, part), join(root, part), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

function run(root: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'skillproof'), ...args], { cwd: root, env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

/** Every file under `dir`, relative to `root`. */
function filesUnder(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.name === 'node_modules') return [];
    return d.isDirectory() ? filesUnder(root, p) : [relative(root, p)];
  });
}

describe('skillproof task new, then grader test, in a copy of the repository', () => {
  let root: string;
  let before: Set<string>;

  beforeAll(() => {
    root = copyOfRepo();
    before = new Set(filesUnder(root));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('scaffolds the task into its two folders only', async () => {
    const r = await run(root, ['task', 'new', ID, '--track', TRACK]);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const added = filesUnder(root).filter((f) => !before.has(f));
    expect(added.filter((f) => !f.startsWith(`tasks/${ID}/`) && f !== `graders/${TRACK}/${ID}.ts`)).toEqual([]);
    expect(added).toEqual(expect.arrayContaining([`tasks/${ID}/task.ts`, `tasks/${ID}/README.md`, `graders/${TRACK}/${ID}.ts`, `tasks/${ID}/solution/${ID}-solution.ts`, `tasks/${ID}/solution/${ID}-solution.test.ts`, `tasks/${ID}/fixtures/scenarios.ts`]));
    for (const kind of FIXTURE_KINDS) expect(added.filter((f) => f.startsWith(`tasks/${ID}/fixtures/${kind}/`)).length).toBeGreaterThanOrEqual(FIXTURE_MINIMUMS[kind]);
    // Nothing already there was changed.
    for (const f of ['tasks/assessments/aws-serverless.ts', 'src/catalog/load.ts']) expect(readFileSync(join(root, f), 'utf8')).toBe(readFileSync(join(REPO_ROOT, f), 'utf8'));
  }, 120_000);

  it('passes grader test at once', async () => {
    const r = await run(root, ['grader', 'test', ID, '--json']);
    const result = JSON.parse(r.out) as { fixtures: { fixture: string; mismatches: string[] }[]; tasks: { problems: string[] }[]; mismatches: number };
    expect({ code: r.code, mismatches: result.mismatches, problems: result.tasks.flatMap((t) => t.problems) }).toEqual({ code: 0, mismatches: 0, problems: [] });
    expect(result.fixtures.map((f) => f.fixture)).toEqual(expect.arrayContaining(['pass/cdk-on-demand', 'fail/no-table', 'error/throttled']));
  }, 180_000);

  it('lists the new task beside the others', async () => {
    const r = await run(root, ['tasks', 'list', '--json']);
    expect((JSON.parse(r.out) as { tasks: { id: string }[] }).tasks.map((t) => t.id)).toEqual(expect.arrayContaining([ID, 'serverless-orders-api']));
  }, 60_000);

  it("fails grader test, naming the action, when the task's blueprint lacks a read the grader makes", async () => {
    const taskFile = join(root, 'tasks', ID, 'task.ts');
    writeFileSync(taskFile, readFileSync(taskFile, 'utf8').replace("reads: ['dynamodb:DescribeTable']", "reads: ['dynamodb:ListTables']"));
    const r = await run(root, ['grader', 'test', ID]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`the grader role does not allow dynamodb:DescribeTable on arn:aws:dynamodb:eu-west-1:111122223333:table/items: not granted; called as DynamoDB.DescribeTable`);
  }, 180_000);

  it('refuses an id that exists, one that is not kebab-case, and a track that does not', async () => {
    expect((await run(root, ['task', 'new', ID, '--track', TRACK])).err).toMatch(new RegExp(`tasks/${ID} already exists`));
    expect((await run(root, ['task', 'new', 'Bad_Id', '--track', TRACK])).err).toMatch(/must be kebab-case/);
    const badTrack = await run(root, ['task', 'new', 'other-task', '--track', 'aws-everything']);
    expect({ code: badTrack.code, err: badTrack.err }).toEqual({ code: 2, err: expect.stringMatching(/Allowed choices are aws-serverless, aws-agentic-ai/) });
    expect(existsSync(join(root, 'tasks', 'other-task'))).toBe(false);
  }, 60_000);
});

describe('scaffoldTask', () => {
  it('writes nothing when a file it would write is already there', async () => {
    const root = mkdtempSync(join(tmpdir(), 'skillproof-author-'));
    mkdirSync(join(root, 'graders', 'aws-serverless'), { recursive: true });
    writeFileSync(join(root, 'graders', 'aws-serverless', 'clash.ts'), '');
    await expect(scaffoldTask(root, 'clash', 'aws-serverless')).rejects.toThrow('graders/aws-serverless/clash.ts already exists');
    expect(existsSync(join(root, 'tasks', 'clash'))).toBe(false);
    rmSync(root, { recursive: true, force: true });
  });
});
