import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, REPO_ROOT } from '../../src/catalog/load';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { readBundle } from '../../src/evidence/bundle';
import { listFixtureFiles, type FixtureKind } from '../../src/testing/scenarios';

const catalog = loadCatalog();
const assessment = catalog.assessment('aws-serverless');
const ordersApi = catalog.get('serverless-orders-api');
const visibleIds = ordersApi.grader.checks.filter((c) => c.visibility === 'visible').map((c) => c.id);
const onSubmit = ordersApi.grader.checks.filter((c) => c.visibility === 'on-submit');
/** A task with an on-submit check and a fail/ fixture naming it (orders-api shows every check during the attempt). */
const withOnSubmit = catalog
  .ids()
  .map((id) => catalog.get(id))
  .flatMap((entry) => entry.grader.checks.filter((c) => c.visibility === 'on-submit').map((check) => ({ entry, check, fixture: listFixtureFiles(entry).find((f) => f.kind === 'fail' && (readBundle(f.file).expect?.failing ?? []).includes(check.id)) })))
  .find((x) => x.fixture)!;

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'skillproof-cli-attempt-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), setExitCode: () => undefined };
  const code = await main([...argv, '--data-dir', dataDir], io);
  return { code, out, err };
}

/** A folder with the first fixture of `kind` of each task (default: every task passes). */
function replayFolder(kinds: Record<string, FixtureKind> = {}): string {
  const dir = join(dataDir, 'replay');
  mkdirSync(dir, { recursive: true });
  for (const taskId of assessment.tasks) {
    const kind = kinds[taskId] ?? 'pass';
    const fixture = listFixtureFiles(catalog.get(taskId)).find((f) => f.kind === kind);
    copyFileSync(fixture!.file, join(dir, `${taskId}.json`));
  }
  return dir;
}

/** A fail/ fixture of serverless-orders-api whose named failures match `which`. */
function failFixture(which: (failing: string[]) => boolean): string {
  const found = listFixtureFiles(ordersApi).find((f) => f.kind === 'fail' && which(readBundle(f.file).expect?.failing ?? []));
  return found!.file;
}

async function startedId(...argv: string[]): Promise<string> {
  const r = await cli('attempt', 'start', ...argv, '--json');
  expect(r).toMatchObject({ code: 0, err: '' });
  return (JSON.parse(r.out) as { id: string }).id;
}

describe('skillproof attempt', () => {
  it('loads neither SQLite, jose nor the AWS SDK until a command runs (so --help stays fast)', () => {
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        "require('tsx/cjs/api').register(); for (const m of ['attempt', 'credential', 'issuer']) require(`./src/cli/${m}.ts`); console.log(Object.keys(require.cache).filter((k) => /better-sqlite3|[\\\\/]jose[\\\\/]|@aws-sdk/.test(k)).length)",
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(loaded.trim()).toBe('0');
  });

  it('starts an assessment on replayed evidence, submits it, and shows it passed with each final run and its evidence hash', async () => {
    const id = await startedId('aws-serverless', '--candidate', 'cand-7', '--replay', replayFolder());

    const submitted = await cli('attempt', 'submit', id);
    expect(submitted.code).toBe(0);
    expect(submitted.out).toContain(`Attempt ${id}: PASSED`);
    expect(submitted.out).toContain(`skillproof credential issue ${id}`);

    const show = await cli('attempt', 'show', id, '--json');
    const view = JSON.parse(show.out);
    expect(view).toMatchObject({ id, state: 'graded', result: 'passed', kind: 'assessment', targetId: 'aws-serverless', candidateId: 'cand-7', credentialId: null });
    expect(view.tasks.map((t: { taskId: string }) => t.taskId)).toEqual(assessment.tasks);
    for (const t of view.tasks) expect(t.final).toMatchObject({ status: 'passed', bundleSha256: expect.stringMatching(/^[0-9a-f]{64}$/), feedback: [] });

    const text = await cli('attempt', 'show', id);
    expect(text.out).toContain('graded (passed)');
    for (const t of view.tasks) expect(text.out).toContain(`evidence sha256 ${t.final.bundleSha256}`);

    const list = JSON.parse((await cli('attempt', 'list', '--json')).out);
    expect(list.attempts).toEqual([expect.objectContaining({ id, state: 'graded', result: 'passed' })]);
  });

  it('check shows only the visible checks, with the hint of each that fails', async () => {
    const visibleFailure = failFixture((failing) => failing.some((c) => visibleIds.includes(c)));
    const id = await startedId('serverless-orders-api', '--candidate', 'cand-7', '--replay', visibleFailure);

    const r = await cli('attempt', 'check', id, '--json');
    expect(r.code).toBe(1);
    const progress = JSON.parse(r.out);
    expect(progress).toMatchObject({ id, state: 'active', status: 'failed', nextCheckAt: expect.any(String) });
    const checks = progress.tasks[0].checks as Array<{ id: string; outcome: string; hint?: string }>;
    expect(checks.map((c) => c.id).sort()).toEqual([...visibleIds].sort());
    expect(checks.filter((c) => c.outcome === 'FAIL').every((c) => c.hint)).toBe(true);
    expect(progress.tasks[0].gradedOnSubmit).toBe(onSubmit.length);
  });

  it('check hides a failing on-submit check, which submit then reveals with its hint', async () => {
    const hiddenUntilSubmit = withOnSubmit.check;
    const id = await startedId(withOnSubmit.entry.task.id, '--candidate', 'cand-7', '--replay', withOnSubmit.fixture!.file);

    const checked = await cli('attempt', 'check', id);
    expect(checked.out).toContain('visible checks only');
    expect(checked.out).not.toContain(hiddenUntilSubmit.title);
    expect(checked.out).toMatch(/Next check allowed at \d{4}-/);

    const submitted = await cli('attempt', 'submit', id);
    expect(submitted.code).toBe(1);
    expect(submitted.out).toContain(`Attempt ${id}: FAILED`);
    expect(submitted.out).toContain(`FAIL  ${hiddenUntilSubmit.title}`);
    expect(submitted.out).toContain(`hint: ${hiddenUntilSubmit.hint}`);
  });

  it('says when the next check is allowed when checked again too soon, with its own exit code (4, not 2 for bad input)', async () => {
    const id = await startedId('serverless-orders-api', '--candidate', 'cand-7', '--replay', listFixtureFiles(ordersApi).find((f) => f.kind === 'pass')!.file);
    expect((await cli('attempt', 'check', id)).code).toBe(0);
    const again = await cli('attempt', 'check', id);
    expect(again.code).toBe(4);
    expect(again.err).toMatch(/check again in \d+ s\. The next check is allowed at \d{4}-\d\d-\d\dT/);
  });

  it('re-runs an incomplete attempt on an admin regrade, in a new round', async () => {
    const error = listFixtureFiles(ordersApi).find((f) => f.kind === 'error')!.file;
    const id = await startedId('serverless-orders-api', '--candidate', 'cand-7', '--replay', error);
    const submitted = await cli('attempt', 'submit', id);
    expect(submitted.code).toBe(3);
    expect(submitted.out).toContain(`skillproof attempt regrade ${id}`);

    const regraded = await cli('attempt', 'regrade', id, '--json');
    expect(regraded.code).toBe(3);
    expect(JSON.parse(regraded.out)).toMatchObject({ id, state: 'graded', result: 'incomplete', finalRound: 2 });
  });

  it('keeps an e-mail address only as a salted hash', async () => {
    const r = await cli('attempt', 'start', 'serverless-orders-api', '--candidate', 'Alice@Example.com', '--replay', listFixtureFiles(ordersApi)[0]!.file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/candidate cand-[0-9a-f]+ \(the e-mail address is kept only as a salted hash\)/);
    const stored = readdirSync(dataDir).map((f) => (f.startsWith('skillproof.db') ? readFileSync(join(dataDir, f), 'latin1') : '')).join('');
    expect(stored.toLowerCase()).not.toContain('alice@example.com');
  });

  it('refuses replay evidence that does not cover every task of the assessment, before creating anything', async () => {
    const r = await cli('attempt', 'start', 'aws-serverless', '--candidate', 'cand-7', '--replay', listFixtureFiles(ordersApi)[0]!.file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--replay .*is for task serverless-orders-api, not serverless-queue-worker/);
    expect(JSON.parse((await cli('attempt', 'list', '--json')).out)).toEqual({ attempts: [] });
  });

  describe('exits 2 with a clear message, never a stack trace', () => {
    it.each([
      ['an unknown attempt', ['attempt', 'show', 'att-000000000000'], /No attempt "att-000000000000" in this data directory/],
      ['an unknown assessment or task', ['attempt', 'start', 'no-such-thing', '--candidate', 'c', '--replay', '.'], /"no-such-thing" is neither an assessment nor a task/],
      ['no sandbox', ['attempt', 'start', 'serverless-orders-api', '--candidate', 'c'], /an attempt needs a sandbox: --role-arn ARN --external-id X/],
      [
        'both a replay and a real account',
        ['attempt', 'start', 'serverless-orders-api', '--candidate', 'c', '--replay', '.', '--role-arn', 'arn:aws:iam::111122223333:role/g', '--external-id', 'x1'],
        /either --replay PATH or --role-arn/,
      ],
      [
        'a role in another account than --account',
        ['attempt', 'start', 'serverless-orders-api', '--candidate', 'c', '--account', '444455556666', '--role-arn', 'arn:aws:iam::111122223333:role/g', '--external-id', 'x1'],
        /is not in account 444455556666/,
      ],
      [
        'an unusable candidate id',
        ['attempt', 'start', 'serverless-orders-api', '--candidate', 'not ok!', '--replay', listFixtureFiles(ordersApi)[0]!.file],
        /neither an e-mail address nor a pseudonymous id/,
      ],
      ['a missing --candidate', ['attempt', 'start', 'serverless-orders-api'], /required option '--candidate <id-or-email>' not specified/],
    ])('for %s', async (_what, argv, message) => {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    });

    it('for an illegal transition: submitting twice, or re-running a final result', async () => {
      const id = await startedId('serverless-orders-api', '--candidate', 'c', '--replay', listFixtureFiles(ordersApi).find((f) => f.kind === 'pass')!.file);
      expect((await cli('attempt', 'submit', id)).code).toBe(0);
      const twice = await cli('attempt', 'submit', id);
      expect(twice).toMatchObject({ code: 2, err: expect.stringContaining(`Attempt ${id} is graded (passed); cannot submit`) });
      const regrade = await cli('attempt', 'regrade', id);
      expect(regrade).toMatchObject({ code: 2, err: expect.stringContaining('only an incomplete result may be re-run; passed is final') });
      const check = await cli('attempt', 'check', id);
      expect(check).toMatchObject({ code: 2, err: expect.stringContaining('progress checks are only possible while active') });
    });
  });
});
