import type { Area, RequestContext } from '../context';
import { html, type SafeHtml } from '../html';
import { htmlReply, type HttpError, type Reply } from '../http';

export interface PageOptions {
  title: string;
  /** Which navigation to show. */
  area: Area | 'public';
  signedIn?: boolean;
  /** Reload every few seconds (a grading in progress); no script needed. */
  refreshSeconds?: number;
  /** Extra <head> elements (Open Graph and Twitter card tags of a badge page). */
  head?: SafeHtml;
}

const NOTICES: Record<string, string> = {
  'signed-in': 'You are signed in.',
  'signed-out': 'You are signed out.',
  started: 'Your attempt has started: the clock is running.',
  checked: 'Progress checked: the results are below.',
  submitted: 'Submitted. Your sandbox is frozen and your work is being graded.',
  'rate-limited': 'You checked moments ago; progress checks are rate-limited. Try again shortly.',
  'regrade-started': 'The final grading is running again.',
  issued: 'The credential was issued.',
  revoked: 'The credential was revoked.',
  'code-revoked': 'The access code was revoked; sessions opened with it have ended.',
  'entry-saved': 'Your entry was saved.',
  'badge-saved': 'Your badge now shows what you chose.',
  'pool-freeze': 'The sandbox is frozen: the candidate can no longer change anything.',
  'pool-release': 'The lease ended; the account is being cleaned.',
  'pool-clean': 'The clean-up is running; the page updates when it ends.',
  'pool-quarantine': 'The account is quarantined.',
  'pool-unquarantine': 'The account is back in the pool, after its cooldown.',
  'pool-retire': 'The account is retired; its history stays.',
};

/** A fixed message picked by `?notice=` (never text from the URL itself). */
export function notice(ctx: RequestContext): SafeHtml | undefined {
  const key = ctx.url.searchParams.get('notice') ?? '';
  const message = NOTICES[key];
  if (!message) return undefined;
  const wait = Number(ctx.url.searchParams.get('wait'));
  const suffix = key === 'rate-limited' && Number.isInteger(wait) && wait > 0 && wait < 3600 ? ` (about ${wait} s)` : '';
  return html`<p class="notice ${key === 'rate-limited' ? 'warn' : 'ok'}" role="status">${message}${suffix}</p>`;
}

function nav(ctx: RequestContext, options: PageOptions): SafeHtml {
  if (options.area === 'admin' && options.signedIn) {
    return html`<nav aria-label="Administration">
      <a href="/admin">Catalog</a><a href="/admin/attempts">Attempts</a><a href="/admin/credentials">Credentials</a>${ctx.portal.cohorts.enabled ? html`<a href="/admin/cohorts">Cohorts</a>` : ''}${ctx.portal.accountPool ? html`<a href="/admin/pool">Account pool</a>` : ''}<a href="/admin/audit">Audit log</a>
      <form method="post" action="/admin/sign-out" class="inline"><input type="hidden" name="_csrf" value="${ctx.csrf('admin')}"><button class="link">Sign out</button></form>
    </nav>`;
  }
  if (options.area === 'candidate' && options.signedIn) {
    return html`<nav aria-label="Candidate">
      <a href="/attempts">My attempts</a>${ctx.portal.cohorts.enabled ? html`<a href="/cohorts">My groups</a>` : ''}<a href="/verify">Verify a credential</a>
      <form method="post" action="/sign-out" class="inline"><input type="hidden" name="_csrf" value="${ctx.csrf('candidate')}"><button class="link">Sign out</button></form>
    </nav>`;
  }
  return html`<nav aria-label="Site"><a href="/sign-in">Candidate sign-in</a><a href="/verify">Verify a credential</a><a href="/admin">Administration</a></nav>`;
}

export function page(ctx: RequestContext, options: PageOptions, body: SafeHtml | SafeHtml[], status = 200, headers: Record<string, string> = {}): Reply {
  return htmlReply(
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<title>${options.title} · SkillProof</title>
${options.head ?? ''}
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/portal.css">
<script src="/static/portal.js" defer></script>
</head>
<body class="area-${options.area}">
<header class="top"><a class="brand" href="${options.area === 'admin' ? '/admin' : options.signedIn ? '/attempts' : '/'}">SkillProof${options.area === 'admin' ? html` <span class="tag">admin</span>` : ''}</a>${nav(ctx, options)}</header>
<main id="main">
${notice(ctx)}
${body}
</main>
<footer><a href="/api/openapi.json">API</a> · <a href="/.well-known/jwks.json">Issuer keys</a> · <a href="/verify">Verify a credential</a></footer>
</body>
</html>`,
    status,
    headers,
  );
}

export function errorPage(ctx: RequestContext, error: HttpError, headers: Record<string, string>): Reply {
  const area: PageOptions['area'] = ctx.url.pathname.startsWith('/admin') ? 'admin' : 'public';
  return page(
    ctx,
    { title: `Error ${error.status}`, area },
    html`<section class="card error" role="alert">
      <h1>${error.status === 404 ? 'Not found' : error.status === 429 ? 'Slow down' : error.status === 403 ? 'Not allowed' : 'That did not work'}</h1>
      <p>${error.message}</p>
      ${error.extra.issues?.length ? html`<ul>${error.extra.issues.map((i) => html`<li><code>${i.path}</code>: ${i.message}</li>`)}</ul>` : ''}
      <p><a href="${area === 'admin' ? '/admin' : '/'}">Start again from the home page</a></p>
    </section>`,
    error.status,
    headers,
  );
}

export function csrfField(ctx: RequestContext, area: Area): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf(area)}">`;
}

/** A date-time for people, in UTC (the server does not know the reader's zone; the script localises it). */
export function time(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC')}</time>`;
}

const BADGE: Record<string, string> = {
  passed: 'good',
  valid: 'good',
  credentialed: 'good',
  PASS: 'good',
  failed: 'bad',
  revoked: 'bad',
  invalid: 'bad',
  FAIL: 'bad',
  incomplete: 'warn',
  expired: 'warn',
  ERROR: 'warn',
  SKIPPED: 'muted',
  cancelled: 'muted',
  available: 'good',
  quarantined: 'bad',
  cleaning: 'warn',
  retired: 'muted',
};

export function badge(value: string): SafeHtml {
  return html`<span class="badge ${BADGE[value] ?? 'neutral'}">${value}</span>`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s % 60).padStart(2, '0')} s`;
}

/** An ARN or similar id that may wrap only after its separators (: and /), never letter by letter nor at a hyphen. */
export function identifier(id: string): SafeHtml {
  return html`<code class="id">${id.split(/(?<=[:/])/).map((part, i) => html`${i ? html`<wbr>` : ''}<span>${part}</span>`)}</code>`;
}

/** An object as a short key/value list for people (audit details), instead of raw JSON. */
export function keyValues(data: Record<string, unknown>): SafeHtml {
  const entries = Object.entries(data);
  if (entries.length === 0) return html`<span class="muted">—</span>`;
  const value = (v: unknown) => (typeof v === 'string' ? (/^[0-9a-f]{64}$/.test(v) ? html`<code class="hash">${v}</code>` : v) : html`<code>${JSON.stringify(v)}</code>`);
  return html`<dl class="kv">${entries.map(([k, v]) => html`<div><dt>${k}</dt><dd>${value(v)}</dd></div>`)}</dl>`;
}

