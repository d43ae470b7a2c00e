import { AccountPool } from '../../src/pool/pool';
import { PoolError } from '../../src/pool/state-machine';
import { ConstraintViolationError, PoolConflictError } from '../../src/store/errors';
import { SqliteStore } from '../../src/store/sqlite-store';
import { A1, A2, A3, ACTOR, LAMBDA_CONCURRENCY, REGION, testPool } from './support/pool-fixtures';

type Pool = ReturnType<typeof testPool>;
let t: Pool;
beforeEach(() => (t = testPool()));
afterEach(() => t.cleanup());

const MINUTE = 60_000;

async function refusal(promise: Promise<unknown>): Promise<PoolError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof PoolError) return e;
    throw e;
  }
  throw new Error('expected a PoolError');
}

describe('joining the pool', () => {
  it('an account joins in cleaning and becomes available only when its initial clean-up verifies it empty', async () => {
    t.accounts.put(A1, 'arn:aws:s3:::left-by-the-previous-owner');
    const joined = await t.pool.join({ accountId: A1, name: 'sandbox-01', email: 'ops+01@example.com', arn: null, source: 'configured', ouId: null }, [REGION], ACTOR);
    expect(joined.state).toBe('cleaning');
    await expect(t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR)).rejects.toThrow(/1 cleaning/);

    const { account, cleanup } = await t.pool.clean(A1, ACTOR);
    expect(account).toMatchObject({ state: 'available', cooldownUntil: null, verifiedCleanAt: t.clock.now().toISOString() });
    expect(cleanup).toMatchObject({ kind: 'join', status: 'clean', removed: ['arn:aws:s3:::left-by-the-previous-owner'] });
  });

  it('an account whose initial clean-up finds what it cannot remove is quarantined, never available', async () => {
    t.accounts.put(A1, 'arn:aws:rds:eu-west-1:111111111111:db:protected', false);
    await t.pool.join({ accountId: A1, name: null, email: null, arn: null, source: 'configured', ouId: null }, [REGION], ACTOR);
    const { account } = await t.pool.clean(A1, ACTOR);
    expect(account.state).toBe('quarantined');
    expect(account.quarantineReason).toMatch(/initial clean-up cln-\d+ could not remove 1 resource: arn:aws:rds:eu-west-1:111111111111:db:protected \(deletion protection is on\)/);
  });

  it('refuses an account id that is not 12 digits and a second join of the same account', async () => {
    await expect(t.pool.join({ accountId: '1234', name: null, email: null, arn: null, source: 'configured', ouId: null }, [REGION], ACTOR)).rejects.toMatchObject({ code: 'bad-input' });
    await t.seed(A1);
    await expect(t.pool.join({ accountId: A1, name: null, email: null, arn: null, source: 'configured', ouId: null }, [REGION], ACTOR)).rejects.toMatchObject({ code: 'refused' });
  });
});

describe('a lease cycle', () => {
  it('available → leased → frozen → cleaning → available after the cooldown, each step audited in the chain', async () => {
    await t.seed(A1);
    const { lease, account, resumed } = await t.pool.lease({ attemptId: 'att-1', region: REGION, cleanupRegions: ['eu-central-1'] }, ACTOR);
    expect({ resumed, state: account.state, attemptId: account.attemptId, leaseId: account.leaseId }).toEqual({ resumed: false, state: 'leased', attemptId: 'att-1', leaseId: lease.id });
    expect(lease.cleanupRegions).toEqual([REGION, 'eu-central-1']);
    t.accounts.put(A1, 'arn:aws:lambda:eu-west-1:111111111111:function:orders');

    expect((await t.pool.freeze(A1, ACTOR)).state).toBe('frozen');
    expect(t.accounts.frozen).toEqual(['att-1']);
    const { account: cleaned, cleanup } = (await t.pool.release(A1, ACTOR)) as Awaited<ReturnType<typeof t.pool.clean>>;
    expect(cleanup).toMatchObject({ id: lease.id, kind: 'lease', leaseId: lease.id, regions: [REGION, 'eu-central-1'], status: 'clean', removed: ['arn:aws:lambda:eu-west-1:111111111111:function:orders'] });
    expect(cleaned).toMatchObject({ state: 'available', leaseId: null, attemptId: null, cooldownUntil: new Date(t.clock.now().getTime() + 10 * MINUTE).toISOString() });

    // Cooling down: not leased, and the error says until when.
    await expect(t.pool.lease({ attemptId: 'att-2', region: REGION }, ACTOR)).rejects.toThrow(/1 cooling down\)\. The next account leaves its cooldown at/);
    t.clock.advance(10 * MINUTE);
    expect((await t.pool.lease({ attemptId: 'att-2', region: REGION }, ACTOR)).account.accountId).toBe(A1);

    const [ended] = (await t.store.pool.listPoolLeases({ attemptId: 'att-1' })) as [Awaited<ReturnType<typeof t.store.pool.listPoolLeases>>[number]];
    expect(ended).toMatchObject({ endReason: 'released', frozenAt: expect.any(String), endedAt: expect.any(String) });
    const actions = (await t.store.listAudit({ subject: A1 })).map((e) => e.action);
    expect(actions).toEqual(['pool.account-joined', 'pool.cleaned', 'pool.leased', 'pool.freeze-requested', 'pool.frozen', 'pool.released', 'pool.cleaned', 'pool.leased']);
    expect(await t.store.integrityCheck()).toMatchObject({ ok: true, problems: [] });
  });

  it('a release straight from leased freezes the candidate out before the clean-up starts', async () => {
    await t.seed(A1);
    await t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR);
    await t.pool.release(A1, ACTOR);
    expect(t.accounts.frozen).toEqual(['att-1']);
    const actions = (await t.store.listAudit({ subject: A1 })).map((e) => e.action).slice(3);
    expect(actions).toEqual(['pool.release-requested', 'pool.released', 'pool.cleaned']);
  });

  it('a retried lease for the same attempt returns the lease it holds, not a second account', async () => {
    await t.seed(A1, A2);
    const first = await t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR);
    const again = await t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR);
    expect(again).toMatchObject({ resumed: true, lease: { id: first.lease.id }, account: { accountId: first.account.accountId } });
    expect((await t.store.pool.listPoolAccounts({ state: 'available' })).map((a) => a.accountId)).toEqual([A2]);
  });

  it('says why no account can be leased: the pool is empty', async () => {
    const e = await refusal(t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR));
    expect(e.code).toBe('no-account');
    expect(e.message).toMatch(/the sandbox pool is empty: add accounts with `skillproof pool sync --ou <ou-id>`/);
  });
});

describe('quarantine', () => {
  it('a clean-up that cannot remove something quarantines the account with the reason, and unquarantine needs a fresh clean-up verified empty', async () => {
    await t.seed(A1);
    await t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR);
    t.accounts.put(A1, 'arn:aws:dynamodb:eu-west-1:111111111111:table/orders', false);
    const { account } = (await t.pool.release(A1, ACTOR)) as Awaited<ReturnType<typeof t.pool.clean>>;
    expect(account.state).toBe('quarantined');
    expect(account.quarantineReason).toMatch(/^clean-up lse-\d+ could not remove 1 resource: arn:aws:dynamodb:eu-west-1:111111111111:table\/orders \(deletion protection is on\)$/);
    expect((await refusal(t.pool.lease({ attemptId: 'att-2', region: REGION }, ACTOR))).message).toMatch(/1 quarantined/);

    // The clean-up that quarantined it does not count: it started before the quarantine.
    expect((await refusal(t.pool.unquarantine(A1, ACTOR))).message).toMatch(/run `skillproof pool clean 111111111111` first/);
    // A check that still finds it: refused, naming what remains.
    await t.pool.clean(A1, ACTOR);
    expect((await refusal(t.pool.unquarantine(A1, ACTOR))).message).toMatch(/ended dirty: arn:aws:dynamodb:eu-west-1:111111111111:table\/orders \(deletion protection is on\)/);
    // The operator removes the protection; the next check verifies the account empty.
    t.accounts.resources.set(A1, [{ arn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/orders', removable: true }]);
    const { account: checked, cleanup } = await t.pool.clean(A1, ACTOR);
    expect({ state: checked.state, kind: cleanup.kind, status: cleanup.status }).toEqual({ state: 'quarantined', kind: 'recheck', status: 'clean' });
    const back = await t.pool.unquarantine(A1, ACTOR);
    expect(back).toMatchObject({ state: 'available', quarantineReason: null, cooldownUntil: new Date(t.clock.now().getTime() + 10 * MINUTE).toISOString() });
  });

  it('a clean-up that throws quarantines the account with the error', async () => {
    await t.seed(A1);
    await t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR);
    t.accounts.failWith = 'AccessDenied: not authorized to perform cloudformation:ListStacks';
    const { account, cleanup } = (await t.pool.release(A1, ACTOR)) as Awaited<ReturnType<typeof t.pool.clean>>;
    expect(account.quarantineReason).toMatch(/clean-up lse-\d+ did not finish: the clean-up failed: AccessDenied: not authorized to perform cloudformation:ListStacks/);
    expect(cleanup.status).toBe('error');
  });

  it.each([
    ['a verification older than the clean-up', () => ({ status: 'clean' as const, removed: [], verifiedAt: '2020-01-01T00:00:00.000Z' }), /predates the clean-up itself/],
    ['no verification time', () => ({ status: 'clean' as const, removed: [], verifiedAt: 'soon' }), /without a verification time/],
    ['an unknown status', () => ({ status: 'probably-clean', removed: [] }) as never, /an outcome SkillProof cannot read/],
    ['dirty without naming what remains', () => ({ status: 'dirty' as const, removed: [], remaining: [] }), /reported the account dirty without naming what remains/],
  ])('does not trust a clean-up outcome with %s: quarantined', async (_name, answer, reason) => {
    await t.seed(A1);
    await t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR);
    t.accounts.answer = answer;
    const { account } = (await t.pool.release(A1, ACTOR)) as Awaited<ReturnType<typeof t.pool.clean>>;
    expect(account.state).toBe('quarantined');
    expect(account.quarantineReason).toMatch(reason);
  });

  it('an administrator can quarantine a leased account: its lease ends with the reason', async () => {
    await t.seed(A1);
    const { lease } = await t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR);
    const account = await t.pool.quarantine(A1, 'candidate mined crypto', ACTOR);
    expect(account).toMatchObject({ state: 'quarantined', quarantineReason: 'candidate mined crypto', leaseId: null });
    expect((await t.store.pool.listPoolLeases({ accountId: A1 }))[0]).toMatchObject({ id: lease.id, endReason: 'quarantined: candidate mined crypto' });
    await expect(t.pool.quarantine(A1, '', ACTOR)).rejects.toMatchObject({ code: 'bad-input' });
  });
});

describe('retiring', () => {
  it('an administrator retires an available account but not a leased one; history stays', async () => {
    await t.seed(A1, A2);
    await t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR);
    expect((await refusal(t.pool.retire(A1, 'closing it', ACTOR))).message).toBe('cannot retire pool account 111111111111: it is leased to an attempt: release it first (skillproof pool release)');
    expect(await t.pool.retire(A2, 'closing it', ACTOR)).toMatchObject({ state: 'retired', retiredBy: 'admin', retiredReason: 'closing it' });
    expect((await refusal(t.pool.clean(A2, ACTOR))).message).toMatch(/it is retired and stays out of the pool/);
    expect(await t.store.pool.listPoolCleanups(A2)).toHaveLength(1);
  });

  it('a retired row can never be deleted', async () => {
    await t.seed(A1);
    const db = (t.store as unknown as { db: import('better-sqlite3').Database }).db;
    expect(() => db.prepare('DELETE FROM pool_accounts').run()).toThrow(/never deleted/);
  });
});

describe('quotas at lease time', () => {
  it('skips an account below a quota the tasks need, naming the quota, its value and the value needed', async () => {
    const values: Record<string, number> = { [A1]: 10, [A2]: 1000 };
    t = testPool({ readQuotas: async ({ accountId }, quotas) => quotas.map((quota) => ({ quota, value: values[accountId] as number })) });
    await t.seed(A1, A2);
    const result = await t.pool.lease({ attemptId: 'att-1', region: REGION, quotas: [LAMBDA_CONCURRENCY] }, ACTOR);
    expect(result.account.accountId).toBe(A2);
    expect(result.skipped).toEqual([
      {
        accountId: A1,
        reason: 'quota-too-low',
        quota: { serviceCode: 'lambda', quotaCode: 'L-B99A9384', name: 'Concurrent executions' },
        value: 10,
        required: 110,
        message: 'account 111111111111: lambda "Concurrent executions" (L-B99A9384) is 10 in eu-west-1, below the 110 needed for reserved concurrency for pricing-service',
      },
    ]);
    // Skipped, not quarantined.
    expect((await t.store.pool.getPoolAccount(A1))?.state).toBe('available');
  });

  it('with no account at quota, the error names each account, its quota and value', async () => {
    t = testPool({
      readQuotas: async ({ accountId }, quotas) => {
        if (accountId === A2) throw new Error('AccessDenied: cannot assume OrganizationAccountAccessRole');
        return quotas.map((quota) => ({ quota, value: 10 }));
      },
    });
    await t.seed(A1, A2);
    const e = await refusal(t.pool.lease({ attemptId: 'att-1', region: REGION, quotas: [LAMBDA_CONCURRENCY] }, ACTOR));
    expect(e.code).toBe('no-account');
    expect(e.message).toBe(
      'no pool account can be leased for attempt att-1 in eu-west-1 (2 available). Passed over: account 111111111111: lambda "Concurrent executions" (L-B99A9384) is 10 in eu-west-1, below the 110 needed for reserved concurrency for pricing-service; account 222222222222: could not read its service quotas in eu-west-1: AccessDenied: cannot assume OrganizationAccountAccessRole.',
    );
  });
});

describe('compare-and-set', () => {
  it('two stores on one database: the second lease of an account read at the same version is refused', async () => {
    await t.seed(A1);
    const other = SqliteStore.open(t.dir);
    try {
      const seen = (await other.pool.getPoolAccount(A1))!;
      const lease = (id: string, attemptId: string) => ({
        accountId: A1,
        expected: { state: 'available' as const, version: seen.version },
        patch: { state: 'leased' as const, leaseId: id, attemptId },
        lease: { start: { id, accountId: A1, attemptId, region: REGION, cleanupRegions: [REGION], leasedAt: '2026-03-01T09:00:00.000Z' } },
      });
      await t.store.pool.transitionPoolAccount(lease('lse-a', 'att-a'), { actor: ACTOR, action: 'pool.leased', subject: A1 });
      await expect(other.pool.transitionPoolAccount(lease('lse-b', 'att-b'), { actor: ACTOR, action: 'pool.leased', subject: A1 })).rejects.toBeInstanceOf(PoolConflictError);
      expect(await other.pool.listPoolLeases({ accountId: A1 })).toHaveLength(1);
      expect((await other.verifyAuditChain()).ok).toBe(true);
    } finally {
      other.close();
    }
  });

  it('pools in two stores leasing at once never hand out one account twice', async () => {
    await t.seed(A1, A2, A3);
    const other = SqliteStore.open(t.dir);
    try {
      // Quota reads take a turn of the event loop, so the two pools interleave between read and write.
      const slow = async (_: unknown, quotas: readonly (typeof LAMBDA_CONCURRENCY)[]) => {
        await new Promise((resolve) => setImmediate(resolve));
        return quotas.map((quota) => ({ quota, value: 1000 }));
      };
      const pools = [new AccountPool({ store: t.store.pool, readQuotas: slow }), new AccountPool({ store: other.pool, readQuotas: slow })];
      const results = await Promise.allSettled(
        ['a', 'b', 'c', 'd', 'e'].map((x, i) => pools[i % 2]!.lease({ attemptId: `att-${x}`, region: REGION, quotas: [LAMBDA_CONCURRENCY] }, ACTOR)),
      );
      const leased = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.account.accountId] : []));
      expect(leased.sort()).toEqual([A1, A2, A3]);
      expect(results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as PoolError).code)).toEqual(['no-account', 'no-account']);
    } finally {
      other.close();
    }
  });

  it('the store refuses a leased account without a lease (the CHECKs hold the shape of the state machine)', async () => {
    await t.seed(A1);
    const seen = (await t.store.pool.getPoolAccount(A1))!;
    await expect(
      t.store.pool.transitionPoolAccount({ accountId: A1, expected: { state: 'available', version: seen.version }, patch: { state: 'leased' } }, { actor: ACTOR, action: 'pool.leased', subject: A1 }),
    ).rejects.toBeInstanceOf(ConstraintViolationError);
    expect(t.store.appliedMigrations().map((m) => m.version)).toContain(4);
  });
});
