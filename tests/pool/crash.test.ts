import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AccountPool } from '../../src/pool/pool';
import { SqliteStore } from '../../src/store/sqlite-store';
import { buildBundle } from '../support/cli-bundle';
import { CRASH_ACCOUNT, CRASH_ATTEMPT, runCycle } from './support/crash-child';
import { candidateResources, readAccount, writeAccount } from './support/simulated-account';

const REPO = resolve(__dirname, '../..');
const CHILD = join(__dirname, 'support', 'crash-child.ts');
/** Durable steps of one full cycle: join (1 + 2 removals + outcome + record), lease, work, release (3), clean-up (3 removals + outcome + record). */
const STEPS = 15;

interface ChildRun {
  lines: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/**
 * The child, bundled once by esbuild for plain node: the test starts it 15 times, and loading the
 * sources through tsx would cost each start about a second of CPU.
 */
let childBundle: string;
beforeAll(async () => {
  childBundle = await buildBundle('pool-crash-child', `require(${JSON.stringify(CHILD)}).main(process.argv[2], process.argv[3], Number(process.argv[4])).catch((e) => { console.error(e); process.exit(1); });`);
}, 60_000);

/** Runs the cycle in a child process and kills it with SIGKILL as soon as it says it paused at step `pauseAt`. */
function runChild(dataDir: string, accountFile: string, pauseAt: number): Promise<ChildRun> {
  const child = spawn(process.execPath, [childBundle, dataDir, accountFile, String(pauseAt)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const run: ChildRun = { lines: [], signal: null, code: null, stderr: '' };
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      run.lines.push(line);
      if (line.startsWith('paused ')) child.kill('SIGKILL');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  return new Promise((done) =>
    child.on('exit', (exitCode, signal) => {
      run.code = exitCode;
      run.signal = signal;
      done(run);
    }),
  );
}

/** What must hold at any moment, however the process died: no lease of a dirty account, nothing available that is not empty. */
async function expectSafe(dataDir: string, accountFile: string): Promise<void> {
  const account = readAccount(accountFile);
  expect(account.events.filter((e) => e.startsWith('leased with '))).not.toContainEqual(expect.not.stringMatching(/^leased with 0 resources$/));
  const store = SqliteStore.open(dataDir);
  try {
    const record = await store.pool.getPoolAccount(CRASH_ACCOUNT);
    if (record?.state === 'available') expect(account.resources).toEqual([]);
    expect(await store.integrityCheck()).toMatchObject({ ok: true, problems: [] });
  } finally {
    store.close();
  }
}

describe('pool crash safety: SIGKILL at every step of a lease and clean-up cycle', () => {
  const leftBehind = [
    { arn: 'arn:aws:s3:::previous-owner-bucket', removable: true },
    { arn: 'arn:aws:iam::111122223333:role/previous-owner', removable: true },
  ];

  it(`never leases a dirty account and ends available after a verified clean-up, whichever of the ${STEPS} steps it dies at`, async () => {
    const killedAt: string[] = [];
    for (let n = 1; n <= STEPS; n += 1) {
      const dir = mkdtempSync(join(tmpdir(), 'skillproof-pool-crash-'));
      const accountFile = join(dir, 'account.json');
      writeAccount(accountFile, { resources: leftBehind, frozen: [], events: [] });
      try {
        const killed = await runChild(dir, accountFile, n);
        expect({ signal: killed.signal, stderr: killed.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
        const paused = killed.lines.find((l) => l.startsWith('paused '));
        expect(paused).toMatch(new RegExp(`^paused ${n} `));
        killedAt.push((paused as string).replace(/^paused \d+ /, ''));
        await expectSafe(dir, accountFile);

        // The restart: a new pool and store over the same database and account file. It runs in this
        // process (a second child per step would double the test's time for nothing: all state is in the files).
        expect(await runCycle(dir, accountFile)).toBe('available');
        await expectSafe(dir, accountFile);

        const account = readAccount(accountFile);
        expect(account.resources).toEqual([]);
        expect(account.frozen).toEqual([CRASH_ATTEMPT]);
        const store = SqliteStore.open(dir);
        try {
          const record = (await store.pool.getPoolAccount(CRASH_ACCOUNT))!;
          expect(record).toMatchObject({ state: 'available', leaseId: null, pending: null, cleanupId: null, verifiedCleanAt: expect.any(String) });
          const [lease] = await store.pool.listPoolLeases({ attemptId: CRASH_ATTEMPT });
          expect(lease).toMatchObject({ endReason: 'released', frozenAt: expect.any(String) });
          // The resumed clean-up read its journal: it reports every resource it removed, before and after the kill.
          const cleanup = await store.pool.getPoolCleanup(lease!.id);
          expect({ status: cleanup?.status, removed: [...(cleanup?.removed ?? [])].sort() }).toEqual({ status: 'clean', removed: candidateResources(CRASH_ATTEMPT).map((r) => r.arn).sort() });
          // And the account is leasable again, empty.
          const next = await new AccountPool({ store: store.pool }).lease({ attemptId: 'att-next', region: 'eu-west-1' }, 'test');
          expect(next.account.accountId).toBe(CRASH_ACCOUNT);
        } finally {
          store.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(killedAt).toEqual([
      'join:recorded',
      'clean:removed arn:aws:s3:::previous-owner-bucket',
      'clean:removed arn:aws:iam::111122223333:role/previous-owner',
      'clean:outcome',
      'clean:recorded',
      'lease:recorded',
      'candidate:worked',
      'release:intent',
      'release:frozen',
      'release:recorded',
      ...candidateResources(CRASH_ATTEMPT).map((r) => `clean:removed ${r.arn}`),
      'clean:outcome',
      'clean:recorded',
    ]);
  }, 90_000);
});
