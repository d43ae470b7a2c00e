import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';

/** Runs bin/skillproof with only the variables given (no inherited AWS configuration). */
function bin(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'skillproof'), ...args], { env: { PATH: process.env.PATH, ...env }, cwd: REPO_ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

describe('skillproof grade without AWS credentials', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'skillproof-no-creds-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('says once that no credentials were found and how to set them, and exits 3 with nothing graded', async () => {
    // An empty HOME has no ~/.aws; the instance-metadata lookup is switched off so the test does not wait on it.
    const r = await bin(['grade', 'serverless-orders-api'], { HOME: home, AWS_REGION: 'eu-west-1', AWS_EC2_METADATA_DISABLED: 'true' });
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err.match(/no AWS credentials found: set AWS_PROFILE/g)).toHaveLength(1);
    expect(r.err).not.toMatch(/expired/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('says the same when a --role-arn is to be assumed with credentials that do not exist', async () => {
    const r = await bin(['grade', 'serverless-orders-api', '--role-arn', 'arn:aws:iam::111122223333:role/skillproof/g', '--external-id', 'x'], {
      HOME: home,
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^error: no AWS credentials found: set AWS_PROFILE/);
  });
});
