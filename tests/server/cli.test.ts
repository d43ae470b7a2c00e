import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';
import { initIssuer } from '../../src/credentials/issuer-keys';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { CliIo } from '../../src/cli/io';
import { runCli } from './support/cli-entry';
import { writeEvidence } from './support/portal';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), setExitCode: () => undefined };
  const code = await runCli(argv, io);
  return { code, out, err };
}

describe('skillproof admin', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-admin-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates an admin token, prints it once, lists and revokes it', async () => {
    const created = await cli('admin', 'token', 'create', '--name', 'ops team', '--data-dir', dir);
    expect(created.code).toBe(0);
    expect(created.out.trim()).toMatch(/^spa_[A-Za-z0-9_-]{43}$/);
    expect(created.err).toMatch(/shown only now/);
    const list = await cli('admin', 'token', 'list', '--data-dir', dir, '--json');
    const [token] = JSON.parse(list.out).tokens;
    expect(token).toMatchObject({ name: 'ops team', revokedAt: null });
    expect(list.out).not.toContain(created.out.trim());
    expect((await cli('admin', 'token', 'revoke', token.id, '--data-dir', dir)).code).toBe(0);
    expect(JSON.parse((await cli('admin', 'token', 'list', '--data-dir', dir, '--json')).out).tokens[0].revokedAt).toEqual(expect.any(String));
  });

  it.each([
    [['admin', 'token', 'create', '--name', 'bad/name'], 2, /--name may hold/],
    [['admin', 'token', 'revoke', 'tok-nope'], 1, /No admin token with id "tok-nope"/],
    [['admin', 'access-code', 'att-nope'], 2, /No attempt "att-nope"/],
    [['admin', 'access-code', 'att-nope', '--expires-in-hours', '0'], 2, /--expires-in-hours must be whole hours/],
  ])('explains %j and exits %i', async (argv, code, message) => {
    const r = await cli(...argv, '--data-dir', dir);
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
  });
});

describe('skillproof serve', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the portal until it is told to stop: pages, health, and an issued credential with its status', async () => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-serve-'));
    const store = SqliteStore.open(dir);
    await initIssuer(dir, store, {});
    store.close();
    const token = (await cli('admin', 'token', 'create', '--data-dir', dir)).out.trim();

    child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'support', 'cli-entry.ts'), 'serve', '--port', '0', '--data-dir', dir], {
      cwd: REPO_ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (d) => {
        out += d;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      void exited.then(() => reject(new Error(`serve exited early: ${out} ${err}`)));
    });

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const home = await fetch(`${url}/`);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const api = async (method: string, path: string, auth: string, body?: unknown): Promise<any> =>
      (await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })).json();
    const evidence = join(dir, 'evidence');
    writeEvidence(evidence, {});
    const created = await api('POST', '/api/admin/attempts', token, { candidate: 'serve@example.com', target: 'aws-serverless', sandbox: { kind: 'replay', path: evidence } });
    const signIn = (await (await fetch(`${url}/api/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessCode: created.accessCode.code }) })).json()) as { token: string; attemptId: string };
    await api('POST', `/api/attempts/${signIn.attemptId}/start`, signIn.token);
    await api('POST', `/api/attempts/${signIn.attemptId}/submit`, signIn.token, { confirm: true });
    let view = await api('GET', `/api/attempts/${signIn.attemptId}`, signIn.token);
    const deadline = Date.now() + 20_000;
    while (view.grading.state === 'running' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      view = await api('GET', `/api/attempts/${signIn.attemptId}`, signIn.token);
    }
    expect(view.credential.status).toBe('valid');
    const page = await fetch(view.credential.shareUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/data-status="valid"/);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('shutting down');
  }, 30_000);

  it('says so when the port is taken', async () => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-serve-'));
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const r = await cli('serve', '--port', String(port), '--data-dir', dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/already in use; pick another --port/);
    } finally {
      blocker.close();
    }
  });

  it('refuses a port that is not a port', async () => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-serve-'));
    const r = await cli('serve', '--port', 'eighty', '--data-dir', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--port must be a whole number/);
  });
});
