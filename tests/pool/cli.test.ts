import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { CliError, EXIT, type CliIo } from '../../src/cli/io';
import { register, type PoolOverrides } from '../../src/cli/pool';
import { Clock } from '../attempts/support/fixtures';
import { MemoryAccounts } from './support/pool-fixtures';

let dir: string;
let clock: Clock;
let accounts: MemoryAccounts;
let quotaValue: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillproof-pool-cli-'));
  clock = new Clock();
  accounts = new MemoryAccounts(clock);
  quotaValue = 1000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  out: string;
  err: string;
  code: number;
  error?: CliError;
}

async function pool(...argv: string[]): Promise<Run> {
  const run: Run = { out: '', err: '', code: EXIT.ok };
  const io: CliIo = { out: (t) => void (run.out += `${t}\n`), err: (t) => void (run.err += `${t}\n`), setExitCode: (c) => void (run.code = c) };
  const overrides: PoolOverrides = {
    cleaner: accounts.cleaner,
    freeze: async ({ attemptId }) => void accounts.frozen.push(attemptId),
    readQuotas: async (_target, quotas) => quotas.map((quota) => ({ quota, value: quotaValue })),
    now: clock.now,
  };
  const program = new Command('skillproof').exitOverride();
  register(program, io, overrides);
  try {
    await program.parseAsync(['pool', ...argv, '--data-dir', dir], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    run.error = e;
    run.code = e.exitCode;
  }
  return run;
}

describe('skillproof pool', () => {
  it('loads neither the CDK nor the AWS SDK until a command runs (so --help stays fast)', () => {
    const loaded = execFileSync(
      process.execPath,
      ['-e', "require('tsx/cjs/api').register(); require('./src/cli/pool.ts'); console.log(Object.keys(require.cache).filter((k) => /aws-cdk-lib|@aws-sdk|better-sqlite3/.test(k)).length)"],
      { cwd: join(__dirname, '..', '..'), encoding: 'utf8' },
    );
    expect(loaded.trim()).toBe('0');
  });

  it('sync adds the configured accounts after their initial clean-up; list shows them', async () => {
    accounts.put('222222222222', 'arn:aws:rds:eu-west-1:222222222222:db:protected', false);
    const synced = await pool('sync', '--pool', '111111111111,222222222222', '--region', 'eu-west-1');
    expect(synced.out).toBe('synced the pool with the configured list:\n  joined       111111111111, 222222222222\n  cleaned      111111111111 → available, 222222222222 → quarantined (initial clean-up ' + synced.out.split('(initial clean-up ')[1]);
    expect(synced.code).toBe(EXIT.failed);

    const listed = await pool('list');
    expect(listed.out.split('\n').slice(0, 4)).toEqual([
      'ACCOUNT       NAME  STATE        ATTEMPT  LEASE  COOLDOWN UNTIL  NOTE',
      expect.stringMatching(/^-{12} {2}-{4} {2}-{11} {2}-{7} {2}-{5} {2}-{14} {2}-+$/),
      '111111111111        available',
      expect.stringMatching(/^222222222222 {8}quarantined +initial clean-up cln-\w+ could not remove 1 resource: arn:aws:rds:eu-west-1:222222222222:db:protected \(deletion protection is on\)$/),
    ]);
    const json = JSON.parse((await pool('list', '--state', 'quarantined', '--json')).out) as { accounts: Array<{ accountId: string }> };
    expect(json.accounts.map((a) => a.accountId)).toEqual(['222222222222']);
    expect((await pool('list', '--state', 'nonsense')).code).toBe(EXIT.usage);
  });

  it('lease skips an account below the quota serverless-safe-deploy needs, and says so; with none at quota, exit 1', async () => {
    await pool('sync', '--pool', '111111111111', '--region', 'eu-west-1');
    quotaValue = 10;
    const refused = await pool('lease', 'serverless-safe-deploy', '--attempt', 'att-1', '--region', 'eu-west-1');
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.error?.message).toMatch(/no pool account can be leased for attempt att-1 in eu-west-1 \(1 available\)\. Passed over: account 111111111111: lambda "Concurrent executions" \(L-B99A9384\) is 10 in eu-west-1, below the 110 needed for reserved concurrency/);

    quotaValue = 110;
    const leased = await pool('lease', 'aws-serverless', '--attempt', 'att-1', '--region', 'eu-west-1', '--json');
    expect(JSON.parse(leased.out)).toMatchObject({ resumed: false, account: { accountId: '111111111111', state: 'leased', attemptId: 'att-1' }, skipped: [] });
  });

  it('release, quarantine, clean, unquarantine and retire, with the exit codes of the rest of the CLI', async () => {
    await pool('sync', '--pool', '111111111111', '--region', 'eu-west-1');
    await pool('lease', 'serverless-orders-api', '--attempt', 'att-1', '--region', 'eu-west-1');
    expect((await pool('retire', '111111111111', '--reason', 'closing')).error?.message).toBe('cannot retire pool account 111111111111: it is leased to an attempt: release it first (skillproof pool release)');

    accounts.put('111111111111', 'arn:aws:s3:::candidate-bucket', false);
    const released = await pool('release', '111111111111', '--reason', 'attempt graded');
    expect(released.out).toBe('111111111111: released, now quarantined\n');
    expect(released.err).toMatch(/^clean-up lse-\w+ did not verify account 111111111111 empty: clean-up lse-\w+ could not remove 1 resource: arn:aws:s3:::candidate-bucket/);
    expect(released.code).toBe(EXIT.failed);

    expect((await pool('unquarantine', '111111111111')).code).toBe(EXIT.usage);
    accounts.resources.set('111111111111', [{ arn: 'arn:aws:s3:::candidate-bucket', removable: true }]);
    expect((await pool('clean', '111111111111')).out).toBe('111111111111: cleaned, now quarantined\n');
    const back = await pool('unquarantine', '111111111111', '--cooldown', '5');
    expect(back.out).toBe(`111111111111: unquarantined, now available (leasable from ${new Date(clock.now().getTime() + 5 * 60_000).toISOString()})\n`);

    const shown = await pool('show', '111111111111');
    expect(shown.out).toMatch(/^Account 111111111111: available\n {2}source {10}configured\n/);
    expect(shown.out).toMatch(/\nLeases\n {2}LEASE +ATTEMPT +REGION +LEASED +ENDED +WHY\n/);
    expect(shown.out).toMatch(/attempt graded/);
    expect(shown.out).toMatch(/ {2}lse-\w+ +lease +dirty /);

    expect((await pool('quarantine', '111111111111', '--reason', 'x')).code).toBe(EXIT.usage);
    expect((await pool('retire', '111111111111', '--reason', 'closing the account')).out).toBe('111111111111: retired, now retired\n');
    expect((await pool('show', '999999999999')).error?.message).toMatch(/account 999999999999 is not in the sandbox pool/);
  });

  it('clean without an account finishes interrupted work, and says when there is none', async () => {
    expect((await pool('clean')).out).toBe('nothing to finish: no freeze, release or clean-up was interrupted\n');
    await pool('sync', '--pool', '111111111111', '--region', 'eu-west-1', '--no-clean');
    expect((await pool('clean')).out).toBe('111111111111: clean → available\n');
  });

  it('sync without an OU or a configured list is a usage error', async () => {
    const run = await pool('sync', '--region', 'eu-west-1', '--pool', '');
    expect({ code: run.code, message: run.error?.message }).toEqual({ code: EXIT.usage, message: expect.stringMatching(/nothing to sync from: pass --ou <ou-id>/) });
  });
});
