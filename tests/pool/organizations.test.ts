import {
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
  type Account,
  type ListAccountsForParentCommandOutput,
  type ListChildrenCommandOutput,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { listOuAccounts, syncPool } from '../../src/pool/organizations';
import { ACTOR, REGION, testPool } from './support/pool-fixtures';

const org = mockClient(OrganizationsClient);
afterAll(() => org.restore());
beforeEach(() => org.reset());

const OU = 'ou-ab12-cdef3456';
const NESTED = 'ou-ab12-nested78';
const MANAGEMENT = '999999999999';

/** An Account as ListAccountsForParent returns it today: State beside the older Status. */
function account(id: string, state: Account['State'] = 'ACTIVE', extra: Partial<Account> = {}): Account {
  return {
    Id: id,
    Arn: `arn:aws:organizations::${MANAGEMENT}:account/o-exampleorgid/${id}`,
    Email: `ops+${id}@example.com`,
    Name: `skillproof-sandbox-${id.slice(0, 2)}`,
    State: state,
    Status: state === 'ACTIVE' ? 'ACTIVE' : state === 'PENDING_CLOSURE' ? 'PENDING_CLOSURE' : 'SUSPENDED',
    JoinedMethod: 'CREATED',
    JoinedTimestamp: new Date('2025-06-01T10:00:00Z'),
    ...extra,
  };
}

const page = (accounts: Account[], NextToken?: string): ListAccountsForParentCommandOutput => ({ Accounts: accounts, ...(NextToken ? { NextToken } : {}), $metadata: {} });
const children = (ids: string[]): ListChildrenCommandOutput => ({ Children: ids.map((Id) => ({ Id, Type: 'ORGANIZATIONAL_UNIT' })), $metadata: {} });

describe('listOuAccounts', () => {
  it('reads every page of ListAccountsForParent and keeps each account state', async () => {
    org
      .on(ListAccountsForParentCommand, { ParentId: OU, NextToken: undefined })
      .resolves(page([account('111111111111'), account('222222222222', 'SUSPENDED')], 'token-2'))
      .on(ListAccountsForParentCommand, { ParentId: OU, NextToken: 'token-2' })
      .resolves(page([account('333333333333', 'PENDING_CLOSURE')]));
    const accounts = await listOuAccounts(new OrganizationsClient({ region: 'us-east-1' }), OU);
    expect(accounts.map((a) => [a.accountId, a.state])).toEqual([
      ['111111111111', 'ACTIVE'],
      ['222222222222', 'SUSPENDED'],
      ['333333333333', 'PENDING_CLOSURE'],
    ]);
    expect(accounts[0]).toEqual({ accountId: '111111111111', name: 'skillproof-sandbox-11', email: 'ops+111111111111@example.com', arn: `arn:aws:organizations::${MANAGEMENT}:account/o-exampleorgid/111111111111`, state: 'ACTIVE', parentId: OU });
    expect(org.commandCalls(ListChildrenCommand)).toHaveLength(0);
  });

  it('reads Status when an older answer has no State', async () => {
    const old = account('111111111111');
    delete old.State;
    old.Status = 'SUSPENDED';
    org.on(ListAccountsForParentCommand).resolves(page([old]));
    expect((await listOuAccounts(new OrganizationsClient({ region: 'us-east-1' }), OU))[0]?.state).toBe('SUSPENDED');
  });

  it('with recursive, follows nested OUs through ListChildren', async () => {
    org
      .on(ListAccountsForParentCommand, { ParentId: OU })
      .resolves(page([account('111111111111')]))
      .on(ListAccountsForParentCommand, { ParentId: NESTED })
      .resolves(page([account('222222222222')]))
      .on(ListChildrenCommand, { ParentId: OU, ChildType: 'ORGANIZATIONAL_UNIT' })
      .resolves(children([NESTED]))
      .on(ListChildrenCommand, { ParentId: NESTED })
      .resolves(children([]));
    const accounts = await listOuAccounts(new OrganizationsClient({ region: 'us-east-1' }), OU, { recursive: true });
    expect(accounts.map((a) => [a.accountId, a.parentId])).toEqual([
      ['111111111111', OU],
      ['222222222222', NESTED],
    ]);
  });

  it('refuses something that is not an OU id before calling AWS', async () => {
    await expect(listOuAccounts(new OrganizationsClient({ region: 'us-east-1' }), 'r-ab12')).rejects.toThrow(/is not an organizational unit id/);
    expect(org.calls()).toHaveLength(0);
  });
});

describe('syncPool', () => {
  const found = (ids: Array<[string, Account['State']]>) => ids.map(([id, state]) => ({ accountId: id, name: `sandbox-${id.slice(0, 2)}`, email: null, arn: null, state: state as string, parentId: OU }));

  it('new ACTIVE accounts join through a verified initial clean-up; accounts that left the OU are retired, and come back the same way', async () => {
    const t = testPool();
    try {
      t.accounts.put('222222222222', 'arn:aws:rds:eu-west-1:222222222222:db:protected', false);
      const first = await syncPool(t.pool, { ouId: OU, accounts: found([['111111111111', 'ACTIVE'], ['222222222222', 'ACTIVE'], ['333333333333', 'SUSPENDED']]) }, { regions: [REGION], configured: ['111111111111', '444444444444'], actor: ACTOR });
      expect(first).toMatchObject({
        joined: ['111111111111', '222222222222'],
        passedOver: [{ accountId: '333333333333', reason: 'its state is SUSPENDED, not ACTIVE' }],
        configuredOutsideOu: ['444444444444'],
        missingFromConfigured: ['222222222222'],
        cleaned: [
          { accountId: '111111111111', state: 'available' },
          { accountId: '222222222222', state: 'quarantined', reason: expect.stringMatching(/could not remove 1 resource: arn:aws:rds/) },
        ],
      });

      const second = await syncPool(t.pool, { ouId: OU, accounts: found([['222222222222', 'ACTIVE']]) }, { regions: [REGION], configured: [], actor: ACTOR });
      expect(second.retired).toEqual([{ accountId: '111111111111', reason: `no longer in ${OU}` }]);
      const retired = await t.store.pool.getPoolAccount('111111111111');
      expect(retired).toMatchObject({ state: 'retired', retiredBy: 'sync' });
      // Never deleted: its history is still there.
      expect(await t.store.pool.listPoolCleanups('111111111111')).toHaveLength(1);

      const third = await syncPool(t.pool, { ouId: OU, accounts: found([['111111111111', 'ACTIVE'], ['222222222222', 'ACTIVE']]) }, { regions: [REGION], configured: [], actor: ACTOR });
      expect(third).toMatchObject({ rejoined: ['111111111111'], cleaned: [{ accountId: '111111111111', state: 'available' }] });
      expect(await t.store.pool.listPoolCleanups('111111111111')).toHaveLength(2);
    } finally {
      t.cleanup();
    }
  });

  it('an account that stops being ACTIVE is retired, even while leased, and its lease ends', async () => {
    const t = testPool();
    try {
      await syncPool(t.pool, { ouId: OU, accounts: found([['111111111111', 'ACTIVE']]) }, { regions: [REGION], configured: [], actor: ACTOR });
      const { lease } = await t.pool.lease({ attemptId: 'att-1', region: REGION }, ACTOR);
      const report = await syncPool(t.pool, { ouId: OU, accounts: found([['111111111111', 'PENDING_CLOSURE']]) }, { regions: [REGION], configured: [], actor: ACTOR });
      expect(report.retired).toEqual([{ accountId: '111111111111', reason: `no longer ACTIVE in ${OU} (PENDING_CLOSURE)` }]);
      expect((await t.store.pool.listPoolLeases({ attemptId: 'att-1' }))[0]).toMatchObject({ id: lease.id, endReason: `retired: no longer ACTIVE in ${OU} (PENDING_CLOSURE)` });
    } finally {
      t.cleanup();
    }
  });

  it('an account an administrator retired stays retired, and accounts of other OUs are left alone', async () => {
    const t = testPool();
    try {
      await syncPool(t.pool, { ouId: 'ou-zz99-otherou1', accounts: [{ ...found([['555555555555', 'ACTIVE']])[0]!, parentId: 'ou-zz99-otherou1' }] }, { regions: [REGION], configured: [], actor: ACTOR });
      await syncPool(t.pool, { ouId: OU, accounts: found([['111111111111', 'ACTIVE']]) }, { regions: [REGION], configured: [], actor: ACTOR });
      await t.pool.retire('111111111111', 'closing this account', ACTOR);
      const report = await syncPool(t.pool, { ouId: OU, accounts: found([['111111111111', 'ACTIVE']]) }, { regions: [REGION], configured: [], actor: ACTOR });
      expect(report.passedOver).toEqual([{ accountId: '111111111111', reason: 'retired by an administrator (closing this account); it stays out of the pool' }]);
      expect(report.retired).toEqual([]);
      expect((await t.store.pool.getPoolAccount('555555555555'))?.state).toBe('available');
    } finally {
      t.cleanup();
    }
  });

  it('without an OU, adds the configured accounts (SKILLPROOF_SANDBOX_POOL) through the same initial clean-up', async () => {
    const t = testPool();
    try {
      const report = await syncPool(t.pool, { ouId: null }, { regions: [REGION], configured: ['111111111111', '222222222222'], actor: ACTOR, clean: false });
      expect(report).toMatchObject({ joined: ['111111111111', '222222222222'], cleaned: [] });
      expect((await t.store.pool.listPoolAccounts()).map((a) => [a.source, a.state])).toEqual([
        ['configured', 'cleaning'],
        ['configured', 'cleaning'],
      ]);
      // A later sync finishes the interrupted initial clean-ups.
      const again = await syncPool(t.pool, { ouId: null }, { regions: [REGION], configured: ['111111111111', '222222222222'], actor: ACTOR });
      expect(again.cleaned.map((c) => c.state)).toEqual(['available', 'available']);
    } finally {
      t.cleanup();
    }
  });
});
