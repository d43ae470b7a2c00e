import type { AccountPool } from '../../pool/pool';
import { allowedActions, POOL_ACTIONS, type PoolAction, type PoolError } from '../../pool/state-machine';
import type { PoolAccountRecord, PoolAccountState } from '../../store/pool-types';
import type { RequestContext } from '../context';
import { html, type SafeHtml } from '../html';
import { HttpError, redirect, validate, type Reply } from '../http';
import { actorOf, type Principal } from '../portal';
import { reasonRequest } from '../requests';
import { adminPage, signedIn } from './admin';
import { badge, csrfField, time } from './layout';
import type { PageRoute } from './index';

/** Where each state's accounts are listed, most pressing first. */
const SECTIONS: Array<{ state: PoolAccountState; title: string }> = [
  { state: 'quarantined', title: 'Quarantined' },
  { state: 'cleaning', title: 'Being cleaned' },
  { state: 'leased', title: 'Leased' },
  { state: 'frozen', title: 'Frozen, waiting for release' },
  { state: 'available', title: 'Available' },
  { state: 'retired', title: 'Retired' },
];

/** Actions that need a reason typed in. */
const WITH_REASON = new Set<PoolAction>(['quarantine', 'retire']);

const LABEL: Record<PoolAction, string> = {
  lease: 'Lease',
  freeze: 'Freeze',
  release: 'Release and clean',
  clean: 'Clean now',
  quarantine: 'Quarantine',
  unquarantine: 'Unquarantine',
  retire: 'Retire',
};

const HTTP_STATUS: Record<PoolError['code'], number> = { 'bad-input': 400, 'not-found': 404, refused: 409, 'no-account': 409, quarantined: 409, failed: 502 };

/** The pool's admin page and its forms (the portal's own admin sign-in and CSRF protection). */
export function adminPoolPages(): PageRoute[] {
  return [
    { method: 'GET', path: '/admin/pool', handle: signedIn(poolPage, 'GET') },
    { method: 'POST', path: '/admin/pool/{account}/{action}', handle: signedIn(poolAction, 'POST') },
  ];
}

function poolOf(ctx: RequestContext): AccountPool {
  if (!ctx.portal.accountPool) throw new HttpError(404, 'no-pool', 'This portal runs without a sandbox account pool.');
  return ctx.portal.accountPool;
}

function asHttp(e: unknown): unknown {
  if (e instanceof Error && e.name === 'PoolError') {
    const code = (e as PoolError).code;
    return new HttpError(HTTP_STATUS[code] ?? 400, `pool-${code}`, e.message);
  }
  if (e instanceof Error && e.name === 'PoolConflictError') return new HttpError(409, 'conflict', e.message);
  return e;
}

function cooldown(a: PoolAccountRecord, now: Date): SafeHtml | string {
  if (a.state !== 'available' || !a.cooldownUntil) return '';
  return Date.parse(a.cooldownUntil) > now.getTime() ? html`cooling down until ${time(a.cooldownUntil)}` : html`rested since ${time(a.cooldownUntil)}`;
}

function forms(ctx: RequestContext, pool: AccountPool, a: PoolAccountRecord): SafeHtml {
  if (pool.cleaning(a.accountId)) return html`<span class="badge warn">cleaning…</span>`;
  return html`${allowedActions(a).map((action) => {
    const path = `/admin/pool/${a.accountId}/${action}`;
    if (!WITH_REASON.has(action)) {
      return html`<form method="post" action="${path}" class="inline">${csrfField(ctx, 'admin')}<button type="submit" class="${action === 'release' || action === 'clean' ? 'secondary' : 'link'}">${LABEL[action]}</button></form> `;
    }
    const field = `${action}-${a.accountId}`;
    return html`<form method="post" action="${path}" class="revoke">${csrfField(ctx, 'admin')}
      <label for="${field}">Reason to ${action}</label><input id="${field}" name="reason" required minlength="3" maxlength="500">
      <button type="submit" class="danger">${LABEL[action]}</button></form>`;
  })}`;
}

async function poolPage(ctx: RequestContext): Promise<Reply> {
  const pool = poolOf(ctx);
  const accounts = await pool.store.listPoolAccounts();
  const now = ctx.portal.now();
  const byState = (state: PoolAccountState) => accounts.filter((a) => a.state === state);
  const running = accounts.some((a) => pool.cleaning(a.accountId));
  return adminPage(
    ctx,
    'Account pool',
    html`<section class="card">
      <h1>Sandbox account pool</h1>
      <p>${SECTIONS.map(({ state }) => html`${badge(state)} ${byState(state).length} `)}</p>
      ${accounts.length ? '' : html`<p class="muted">The pool is empty: <code>skillproof pool sync --ou &lt;ou-id&gt;</code> adds the accounts of the sandbox OU, each after a clean-up verifies it empty.</p>`}
    </section>
    ${SECTIONS.filter(({ state }) => byState(state).length > 0).map(
      ({ state, title }) => html`<section class="card" id="${state}">
        <h2>${title}</h2>
        <div class="table-wrap"><table><thead><tr><th>Account</th><th>Lease</th><th>Cooldown</th><th>Why</th><th>Actions</th></tr></thead><tbody>
        ${byState(state).map(
          (a) => html`<tr data-account="${a.accountId}"><td><code>${a.accountId}</code>${a.name ? html`<br><span class="muted">${a.name}</span>` : ''}</td>
            <td>${a.leaseId ? html`<code>${a.leaseId}</code> for <a href="/admin/attempts/${encodeURIComponent(a.attemptId ?? '')}"><code>${a.attemptId}</code></a>` : a.cleanupId ? html`clean-up <code>${a.cleanupId}</code>` : ''}${a.pending ? html`<br><span class="badge warn">${a.pending} requested</span>` : ''}</td>
            <td>${cooldown(a, now)}</td>
            <td>${a.quarantineReason ? html`${a.quarantineReason}<br><span class="muted">since ${time(a.quarantinedAt)}</span>` : a.retiredReason ? html`${a.retiredReason} <span class="muted">(${a.retiredBy}, ${time(a.retiredAt)})</span>` : a.verifiedCleanAt ? html`<span class="muted">verified clean ${time(a.verifiedCleanAt)}</span>` : ''}</td>
            <td>${forms(ctx, pool, a)}</td></tr>`,
        )}
        </tbody></table></div>
      </section>`,
    )}`,
    running,
  );
}

async function poolAction(ctx: RequestContext, admin: Principal): Promise<Reply> {
  const form = await ctx.form('admin');
  const pool = poolOf(ctx);
  const accountId = ctx.param('account');
  const action = ctx.param('action') as PoolAction;
  if (!(POOL_ACTIONS as readonly string[]).includes(action) || action === 'lease') throw new HttpError(404, 'not-found', `No pool action "${action}".`);
  const actor = actorOf(admin);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    switch (action) {
      case 'freeze':
        await pool.freeze(accountId, actor);
        break;
      case 'release':
        await pool.release(accountId, actor, { clean: false, reason: 'released by an administrator' });
        pool.cleanInBackground(accountId, actor, log);
        break;
      case 'clean':
        // Fail now, not in the background, when the state does not allow it.
        (await import('../../pool/state-machine')).checkAction(await pool.get(accountId), 'clean');
        pool.cleanInBackground(accountId, actor, log);
        break;
      case 'quarantine':
        await pool.quarantine(accountId, validate(reasonRequest, { reason: form.reason ?? '' }, 'form').reason, actor);
        break;
      case 'unquarantine':
        await pool.unquarantine(accountId, actor);
        break;
      case 'retire':
        await pool.retire(accountId, validate(reasonRequest, { reason: form.reason ?? '' }, 'form').reason, actor);
        break;
    }
  } catch (e) {
    throw asHttp(e);
  }
  return redirect(`/admin/pool?notice=pool-${action}`);
}
