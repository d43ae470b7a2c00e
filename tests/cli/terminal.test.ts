import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';

/** Runs `bin/skillproof <args> | <reader>` in bash and returns what the CLI wrote to stderr and the exit status of each side. */
function piped(args: string[], reader: string): Promise<{ codes: number[]; err: string }> {
  return new Promise((resolve) => {
    const cli = [join(REPO_ROOT, 'bin', 'skillproof'), ...args].map((a) => `'${a}'`).join(' ');
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
    const r = await piped(args, 'true');
    expect(r.err).not.toMatch(/EPIPE|Unhandled 'error' event|\n\s+at /);
    expect(r.err).toBe('');
    expect(r.codes[0]).toBe(0);
  });

  it('exits quietly when head closes the pipe before reading', async () => {
    const r = await piped(['tasks', 'show', 'serverless-orders-api'], 'head -n 0');
    expect(r.err).toBe('');
    expect(r.codes[0]).toBe(0);
  });
});
