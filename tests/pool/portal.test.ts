import { AccountPool } from '../../src/pool/pool';
import { FormClient } from '../server/support/form-client';
import { startTestPortal, type TestPortal } from '../server/support/portal';
import { A1, A2, A3, ACTOR, MemoryAccounts, REGION } from './support/pool-fixtures';

describe('admin portal: /admin/pool', () => {
  let portal: TestPortal;
  let pool: AccountPool;
  let accounts: MemoryAccounts;
  let admin: FormClient;

  beforeAll(async () => {
    // The pool lives in the portal's own store (same database and audit chain), as `serve` sets it up.
    portal = await startTestPortal();
    accounts = new MemoryAccounts({ now: () => new Date() });
    pool = new AccountPool({ store: portal.store.pool, cleaner: accounts.cleaner, freeze: async ({ attemptId }) => void accounts.frozen.push(attemptId), cooldownMs: 60 * 60_000 });
    (portal.portal as { accountPool?: AccountPool }).accountPool = pool;
    for (const accountId of [A1, A2, A3]) {
      await pool.join({ accountId, name: `sandbox-${accountId.slice(0, 2)}`, email: null, arn: null, source: 'configured', ouId: null }, [REGION], ACTOR);
      await pool.clean(accountId, ACTOR);
    }
    await pool.lease({ attemptId: 'att-42', region: REGION }, ACTOR);
    admin = new FormClient(portal.url);
    await admin.submit('/admin/sign-in', '/admin/sign-in', { token: portal.adminToken });
  });
  afterAll(() => portal.shutdown());

  it('is for signed-in admins only', async () => {
    expect((await new FormClient(portal.url).get('/admin/pool')).headers.get('location')).toBe('/admin/sign-in');
  });

  it('lists the accounts by state with their lease and the actions their state allows', async () => {
    const page = await admin.get('/admin/pool');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Sandbox account pool</h1>');
    const leased = page.html.split('<section class="card" id="leased">')[1]!.split('</section>')[0]!;
    expect(leased).toContain(`<code>${A1}</code>`);
    expect(leased).toMatch(/<code>lse-[0-9a-f]+<\/code> for <a href="\/admin\/attempts\/att-42"><code>att-42<\/code><\/a>/);
    expect(leased).toContain(`action="/admin/pool/${A1}/release"`);
    expect(leased).toContain(`action="/admin/pool/${A1}/quarantine"`);
    expect(leased).not.toContain(`action="/admin/pool/${A1}/retire"`);
    expect(page.html).toContain('<a href="/admin/pool">Account pool</a>');
  });

  it('refuses a form without the CSRF token', async () => {
    await admin.get('/admin/pool');
    const r = await admin.post(`/admin/pool/${A2}/quarantine`, { reason: 'suspicious activity' });
    expect(r.status).toBe(403);
    expect((await pool.get(A2)).state).toBe('available');
  });

  it('quarantines with a reason, shows it, and refuses unquarantine until a fresh clean-up verified the account empty', async () => {
    const r = await admin.submit('/admin/pool', `/admin/pool/${A2}/quarantine`, { reason: 'suspicious activity' });
    expect(r.location).toBe('/admin/pool?notice=pool-quarantine');
    const page = await admin.get('/admin/pool?notice=pool-quarantine');
    expect(page.html).toContain('The account is quarantined.');
    const section = page.html.split('<section class="card" id="quarantined">')[1]!.split('</section>')[0]!;
    expect(section).toContain('suspicious activity');
    expect(section).toContain(`action="/admin/pool/${A2}/unquarantine"`);

    const refused = await admin.submit('/admin/pool', `/admin/pool/${A2}/unquarantine`);
    expect(refused.status).toBe(409);
    expect(refused.html).toContain(`run \`skillproof pool clean ${A2}\` first`);

    await admin.submit('/admin/pool', `/admin/pool/${A2}/clean`);
    await pool.idle();
    const back = await admin.submit('/admin/pool', `/admin/pool/${A2}/unquarantine`);
    expect(back.location).toBe('/admin/pool?notice=pool-unquarantine');
    const available = (await admin.get('/admin/pool')).html.split('<section class="card" id="available">')[1]!.split('</section>')[0]!;
    expect(available).toMatch(new RegExp(`${A2}[\\s\\S]*cooling down until <time`));
  });

  it('release ends the lease and cleans in the background; every action is in the audit log', async () => {
    accounts.put(A1, 'arn:aws:lambda:eu-west-1:111111111111:function:orders');
    const r = await admin.submit('/admin/pool', `/admin/pool/${A1}/release`);
    expect(r.location).toBe('/admin/pool?notice=pool-release');
    await pool.idle();
    expect((await pool.get(A1)).state).toBe('available');
    expect(accounts.frozen).toContain('att-42');
    const actions = (await portal.store.listAudit({ subject: A1 })).map((e) => [e.action, e.actor.split(':')[0]]);
    expect(actions.slice(-3)).toEqual([
      ['pool.release-requested', 'admin'],
      ['pool.released', 'admin'],
      ['pool.cleaned', 'admin'],
    ]);
    expect((await portal.store.verifyAuditChain()).ok).toBe(true);
  });

  it('retires with a reason; an unknown action is a 404', async () => {
    expect((await admin.submit('/admin/pool', `/admin/pool/${A3}/retire`, { reason: 'closing the account' })).location).toBe('/admin/pool?notice=pool-retire');
    expect((await pool.get(A3)).state).toBe('retired');
    await admin.get('/admin/pool');
    expect((await admin.post(`/admin/pool/${A1}/explode`, { _csrf: admin.csrf() })).status).toBe(404);
  });
});
