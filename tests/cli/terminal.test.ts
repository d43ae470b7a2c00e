import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { startProgress } from '../../src/cli/progress';
import { cliBundle } from '../support/cli-bundle';

const BIN = [join(REPO_ROOT, 'bin', 'skillproof')];

/**
 * Runs `skillproof <args> | <reader>` in bash and returns what the CLI wrote to stderr and the exit
 * status of each side. `launcher` is bin/skillproof, or node and the CLI's bundle (the same entry
 * without tsx's start-up: tests/support/cli-bundle.ts).
 */
function piped(args: string[], reader: string, launcher: string[] = BIN): Promise<{ codes: number[]; err: string }> {
  return new Promise((resolve) => {
    const cli = [...launcher, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('bash', ['-c', `${cli} 2>"$ERR_FILE" | ${reader}; echo "\${PIPESTATUS[@]}"; cat "$ERR_FILE"`], {
      cwd: REPO_ROOT,
      env: { ...process.env, ERR_FILE: join(tmpdir(), `skillproof-epipe-${process.pid}-${Math.random().toString(36).slice(2)}`) },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', () => {
      const [status = '', ...err] = out.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
      resolve({ codes: status.trim().split(' ').map(Number), err: err.join('\n') });
    });
  });
}

describe('skillproof in a shell pipeline', () => {
  it.each([
    ['--help', ['--help']],
    ['tasks list', ['tasks', 'list']],
    ['tasks show', ['tasks', 'show', 'serverless-orders-api']],
  ])('exits quietly when the reader has already gone (%s | true)', async (_name, args) => {
    const r = await piped(args, 'true', [process.execPath, await cliBundle()]);
    expect(r.err).not.toMatch(/EPIPE|Unhandled 'error' event|\n\s+at /);
    expect(r.err).toBe('');
    expect(r.codes[0]).toBe(0);
  });

  // bin/skillproof itself: the launcher sets up the quiet exit.
  it('exits quietly when head closes the pipe before reading', async () => {
    const r = await piped(['tasks', 'show', 'serverless-orders-api'], 'head -n 0');
    expect(r.err).toBe('');
    expect(r.codes[0]).toBe(0);
  });
});

/** What a terminal shows line by line: each spinner redraw (carriage return, clear line) starts a new line here. */
const CLEAR_LINE = '\r\x1b[K';
const lines = (stderr: string) => stderr.split(CLEAR_LINE).join('\n');

describe('progress of long operations', () => {
  const pass = join(REPO_ROOT, 'tasks/serverless-orders-api/fixtures/pass/http-api.json');
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'skillproof-progress-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function cli(interactive: boolean, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), errRaw: (t) => void (err += t), setExitCode: () => undefined, interactive };
    const code = await main([...argv, '--data-dir', dataDir], io);
    return { code, out, err };
  }

  it('startProgress draws a spinner and lines only for a terminal, and clears the spinner when done', () => {
    let written = '';
    const tty: CliIo = { out: () => undefined, err: (t) => void (written += `${t}\n`), errRaw: (t) => void (written += t), setExitCode: () => undefined, interactive: true };
    const p = startProgress(tty);
    p.status('grading');
    p.line('  PASS  one check');
    p.done();
    expect(written.split(CLEAR_LINE)).toEqual(['', '⠋ grading', '  PASS  one check\n', '⠙ grading', '']);

    for (const quiet of [startProgress({ ...tty, interactive: false }), startProgress(tty, { json: true })]) {
      written = '';
      quiet.status('grading');
      quiet.line('x');
      quiet.done();
      expect(written).toBe('');
      expect(quiet.enabled).toBe(false);
    }
  });

  it('attempt submit prints a line per check on a terminal, and nothing on stderr otherwise or with --json', async () => {
    const start = async () => JSON.parse((await cli(false, 'attempt', 'start', 'serverless-orders-api', '--candidate', 'c', '--replay', pass, '--json')).out).id as string;
    const onTty = await cli(true, 'attempt', 'submit', await start());
    expect(onTty.code).toBe(0);
    expect(onTty.err).toContain('freezing the sandbox and grading 1 task(s) of attempt');
    expect(lines(onTty.err)).toMatch(/^ {2}PASS {2}serverless-orders-api: An API named orders-api exists( \(\d+\.\d s\))?$/m);
    expect(onTty.out).not.toContain('\x1b');

    expect((await cli(false, 'attempt', 'submit', await start())).err).toBe('');
    expect((await cli(true, 'attempt', 'submit', await start(), '--json')).err).toBe('');
  });

  it('attempt check shows the visible checks as they finish on a terminal', async () => {
    const id = JSON.parse((await cli(false, 'attempt', 'start', 'serverless-orders-api', '--candidate', 'c', '--replay', pass, '--json')).out).id as string;
    const r = await cli(true, 'attempt', 'check', id);
    expect(r.err).toContain(`grading the visible checks of attempt ${id}`);
    expect(lines(r.err)).toMatch(/^ {2}PASS {2}serverless-orders-api: /m);
  });

  it('sandbox synth says what it is doing on a terminal (CDK synthesis is silent for about 10 s)', async () => {
    let err = '';
    const io: CliIo = { out: () => undefined, err: (t) => void (err += `${t}\n`), errRaw: (t) => void (err += t), setExitCode: () => undefined, interactive: true };
    const code = await main(['sandbox', 'synth', 'serverless-orders-api', '--attempt', 't1', '--out', dataDir], io);
    expect(code).toBe(0);
    expect(err).toContain('synthesising the sandbox of serverless-orders-api with the CDK');
    expect(err.endsWith('\r\x1b[K')).toBe(true);
  }, 60_000);

  it('bin/skillproof sees a real terminal on stderr (run under script(1)) and shows progress there', async () => {
    const out = await new Promise<string>((resolve) => {
      const cmd = `${join(REPO_ROOT, 'bin', 'skillproof')} attempt start serverless-orders-api --candidate c --replay ${pass} --quiet --data-dir ${dataDir} > ${dataDir}/id && ${join(REPO_ROOT, 'bin', 'skillproof')} attempt submit $(cat ${dataDir}/id) --data-dir ${dataDir}`;
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, TERM: 'dumb' } });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', () => resolve(text));
    });
    expect(out).toMatch(/PASS {2}serverless-orders-api: An API named orders-api exists/);
    expect(out).toContain('Attempt att-');
  }, 60_000);
});
