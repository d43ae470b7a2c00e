import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { initIssuer, loadIssuer } from '../../src/credentials/issuer-keys';
import { localStatusListResolver } from '../../src/credentials/issue';
import { createVerifier } from '../../src/credentials/verify';
import { SqliteStore } from '../../src/store/sqlite-store';
import { tempStore } from '../attempts/support/fixtures';

const REPO = resolve(__dirname, '../..');
const WORKER = join(__dirname, 'support', 'crash-worker.ts');
const KILLS = 6;

interface ChildRun {
  created: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Runs the worker; in `work` mode kills it with SIGKILL `killAfterMs` after it reports ready. */
function runWorker(dataDir: string, mode: 'work' | 'resume', killAfterMs?: number): Promise<ChildRun> {
  const code = `require('tsx/cjs/api').register(); require(${JSON.stringify(WORKER)}).main(process.argv[1], process.argv[2]).catch((e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', code, dataDir, mode], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: ChildRun = { created: [], signal: null, code: null, stderr: '' };
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'ready' && killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      if (line.startsWith('created ')) run.created.push(line.slice('created '.length));
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

describe('crash safety: a process killed at random points during grading and issuing', () => {
  it('leaves a consistent store from which a resume finishes the work without a duplicate credential', async () => {
    const ctx = tempStore();
    ctx.store.close();
    const setup = SqliteStore.open(ctx.dir);
    await initIssuer(ctx.dir, setup, { id: 'did:web:badges.skillproof.example' });
    setup.close();

    const created: string[] = [];
    const interrupted = new Set<string>();
    for (let i = 0; i < KILLS; i += 1) {
      const run = await runWorker(ctx.dir, 'work', 20 + Math.random() * 230);
      expect({ signal: run.signal, stderr: run.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
      created.push(...run.created);
      const afterKill = SqliteStore.open(ctx.dir);
      const report = await afterKill.integrityCheck();
      for (const a of await afterKill.listAttempts()) {
        if (a.state !== 'credentialed' && !(a.state === 'graded' && a.result === 'failed')) interrupted.add(`${a.state}${a.result ? ` (${a.result})` : ''}`);
      }
      afterKill.close();
      expect(report).toEqual({ ok: true, problems: [], auditChain: expect.objectContaining({ ok: true }) });
    }
    expect(created.length).toBeGreaterThan(0);
    // The kills interrupted real work (e.g. "submitted", "graded (passed)" before issuing), so the resume had something to finish.
    expect(interrupted.size).toBeGreaterThan(0);

    const resumed = await runWorker(ctx.dir, 'resume');
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });

    const store = SqliteStore.open(ctx.dir);
    try {
      expect((await store.integrityCheck()).problems).toEqual([]);
      const attempts = await store.listAttempts();
      // No attempt the worker reported as created was lost.
      expect(attempts.map((a) => a.id)).toEqual(expect.arrayContaining(created));
      // Everything interrupted was finished: passed attempts are credentialed, the rest failed.
      for (const attempt of attempts) {
        expect([
          ['credentialed', 'passed'],
          ['graded', 'failed'],
        ]).toContainEqual([attempt.state, attempt.result]);
      }
      const credentials = await store.listCredentials();
      expect(new Set(credentials.map((c) => c.attemptId)).size).toBe(credentials.length);
      expect(credentials).toHaveLength(attempts.filter((a) => a.state === 'credentialed').length);

      const issuer = await loadIssuer(ctx.dir, store);
      const verify = createVerifier({ jwks: issuer.jwks, resolveStatusList: localStatusListResolver({ store, issuer }) });
      for (const credential of credentials) {
        const result = await verify(credential.jwt);
        expect(result.valid ? 'valid' : result.reason).toBe(credential.revokedAt ? 'revoked' : 'valid');
      }
    } finally {
      store.close();
      ctx.cleanup();
    }
  }, 60_000);
});
