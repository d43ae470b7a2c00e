import { ATTEMPT_STATES } from '../../store/types';
import { reportSchema, type Report } from '../../model/report';
import { ADMIN_COOKIE, type RequestContext } from '../context';
import { html, type SafeHtml } from '../html';
import { download, HttpError, redirect, validate, type Reply } from '../http';
import { actorOf, credentialSlug, type Principal } from '../portal';
import { attemptFilterQuery, auditQuery, createAttemptRequest, reasonRequest } from '../requests';
import type { AdminAttemptView, AdminCredentialView } from '../views';
import { badge, csrfField, identifier, keyValues, page, time } from './layout';
import type { PageRoute } from './index';

type AdminHandler = (ctx: RequestContext, admin: Principal) => Promise<Reply>;

export function signedIn(handler: AdminHandler, method: 'GET' | 'POST'): (ctx: RequestContext) => Promise<Reply> {
  return async (ctx) => {
    const admin = await ctx.principal('admin');
    if (admin) return handler(ctx, admin);
    if (method === 'GET') return redirect('/admin/sign-in');
    throw new HttpError(401, 'signed-out', 'Your admin session has ended. Sign in again with your admin token.');
  };
}

export function adminPages(): PageRoute[] {
  const routes: Array<[method: 'GET' | 'POST', path: string, handler: AdminHandler]> = [
    ['GET', '/admin', catalogPage],
    ['POST', '/admin/sign-out', signOut],
    ['GET', '/admin/attempts', attemptsPage],
    ['GET', '/admin/attempts/new', newAttemptPage],
    ['POST', '/admin/attempts', createAttempt],
    ['GET', '/admin/attempts/{id}', attemptPage],
    ['GET', '/admin/attempts/{id}/runs/{runId}', runPage],
    ['GET', '/admin/evidence/{sha256}', evidence],
    ['POST', '/admin/attempts/{id}/access-codes', createAccessCode],
    ['POST', '/admin/access-codes/{id}/revoke', revokeAccessCode],
    ['POST', '/admin/attempts/{id}/regrade', regrade],
    ['POST', '/admin/attempts/{id}/credential', issue],
    ['GET', '/admin/credentials', credentialsPage],
    ['POST', '/admin/credentials/{id}/revoke', revoke],
    ['GET', '/admin/audit', auditPage],
  ];
  return [
    { method: 'GET', path: '/admin/sign-in', handle: async (ctx) => signInPage(ctx) },
    { method: 'POST', path: '/admin/sign-in', handle: signIn },
    ...routes.map(([method, path, handler]) => ({ method, path, handle: signedIn(handler, method) })),
  ];
}

const attemptUrl = (id: string, suffix = '') => `/admin/attempts/${encodeURIComponent(id)}${suffix}`;
export const adminPage = (ctx: RequestContext, title: string, body: SafeHtml, refresh = false) =>
  page(ctx, { title, area: 'admin', signedIn: true, ...(refresh ? { refreshSeconds: 2 } : {}) }, body);

function signInPage(ctx: RequestContext, error?: string, status = 200): Reply {
  return page(
    ctx,
    { title: 'Admin sign-in', area: 'admin' },
    html`<section class="card narrow">
      <h1>Administration</h1>
      <p>Sign in with an admin token (<code>skillproof admin token create</code> makes one).</p>
      ${error ? html`<p class="notice bad" role="alert">${error}</p>` : ''}
      <form method="post" action="/admin/sign-in">
        ${csrfField(ctx, 'admin')}
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="off" required maxlength="200">
        <button type="submit">Sign in</button>
      </form>
    </section>`,
    status,
  );
}

async function signIn(ctx: RequestContext): Promise<Reply> {
  const form = await ctx.form('admin');
  try {
    const { token, session } = await ctx.limitedSignIn('admin', form.token ?? '', () => ctx.portal.signInAdmin(form.token ?? ''));
    ctx.setCookie(ADMIN_COOKIE, token, Math.floor((Date.parse(session.expiresAt) - ctx.portal.now().getTime()) / 1000));
    return redirect('/admin?notice=signed-in');
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) return signInPage(ctx, e.message, 401);
    throw e;
  }
}

async function signOut(ctx: RequestContext): Promise<Reply> {
  await ctx.form('admin');
  const token = ctx.sessionCookie('admin');
  if (token) await ctx.portal.signOut(token);
  ctx.clearCookie(ADMIN_COOKIE);
  return redirect('/admin/sign-in?notice=signed-out');
}

async function catalogPage(ctx: RequestContext): Promise<Reply> {
  const { assessments, tasks } = ctx.portal.catalogView();
  return adminPage(
    ctx,
    'Catalog',
    html`<section class="card">
      <h1>Assessments</h1>
      <div class="table-wrap"><table><thead><tr><th>Assessment</th><th>Tasks</th><th>Time</th><th>Valid for</th><th></th></tr></thead><tbody>
      ${assessments.map(
        (a) => html`<tr><td><strong>${a.title}</strong><br><code>${a.id}</code> · ${a.track}</td><td>${a.tasks.map((t) => html`<code>${t}</code> `)}</td><td>${a.timeLimitMinutes} min</td><td>${a.validForDays ? `${a.validForDays} days` : 'no expiry'}</td>
          <td><a href="/admin/attempts?assessment=${a.id}">Attempts</a></td></tr>`,
      )}
      </tbody></table></div>
    </section>
    <section class="card">
      <h2>Tasks</h2>
      <div class="table-wrap"><table><thead><tr><th>Task</th><th>Track</th><th>Checks</th><th>Time</th></tr></thead><tbody>
      ${tasks.map((t) => html`<tr><td><strong>${t.title}</strong><br><code>${t.id}</code><br><span class="muted">${t.summary}</span></td><td>${t.track}</td><td>${t.checks}</td><td>${t.timeLimitMinutes} min</td></tr>`)}
      </tbody></table></div>
      <p><a class="button" href="/admin/attempts/new">New attempt</a></p>
    </section>`,
  );
}

async function attemptsPage(ctx: RequestContext): Promise<Reply> {
  const filter = validate(attemptFilterQuery, ctx.query(), 'filter');
  const attempts = await ctx.portal.adminAttempts(filter);
  const targets = [...ctx.portal.catalogView().assessments.map((a) => a.id), ...ctx.portal.catalog.ids()];
  return adminPage(
    ctx,
    'Attempts',
    html`<section class="card">
      <h1>Attempts</h1>
      <form method="get" action="/admin/attempts" class="filters" role="search">
        <label>State <select name="state"><option value="">any</option>${ATTEMPT_STATES.map((s) => html`<option ${filter.state === s ? 'selected' : ''}>${s}</option>`)}</select></label>
        <label>Assessment or task <select name="assessment"><option value="">any</option>${targets.map((t) => html`<option ${filter.assessment === t ? 'selected' : ''}>${t}</option>`)}</select></label>
        <label>Candidate <input name="candidate" value="${filter.candidate ?? ''}" placeholder="id or e-mail"></label>
        <button type="submit" class="secondary">Filter</button>
      </form>
      <div class="table-wrap"><table><thead><tr><th>Attempt</th><th>For</th><th>State</th><th>Created</th><th>Graded</th></tr></thead><tbody>
      ${attempts.map((a) => html`<tr><td><a href="${attemptUrl(a.id)}"><code>${a.id}</code></a></td><td>${a.title}</td><td>${badge(a.state)}${a.result ? html` ${badge(a.result)}` : ''}</td><td>${time(a.createdAt)}</td><td>${time(a.gradedAt)}</td></tr>`)}
      </tbody></table></div>
      ${attempts.length ? '' : html`<p class="muted">No attempts match.</p>`}
      <p><a class="button" href="/admin/attempts/new">New attempt</a></p>
    </section>`,
  );
}

async function newAttemptPage(ctx: RequestContext): Promise<Reply> {
  const targets = [...ctx.portal.catalogView().assessments.map((a) => ({ id: a.id, title: `${a.title} (assessment)` })), ...ctx.portal.catalog.all().map((e) => ({ id: e.task.id, title: `${e.task.title} (practice)` }))];
  return adminPage(
      ctx,
      'New attempt',
      html`<section class="card narrow">
        <h1>New attempt</h1>
        <form method="post" action="/admin/attempts">
          ${csrfField(ctx, 'admin')}
          <label for="candidate">Candidate (pseudonymous id or e-mail address)</label><input id="candidate" name="candidate" required maxlength="254">
          <label for="target">Assessment or practice task</label>
          <select id="target" name="target">${targets.map((t) => html`<option value="${t.id}">${t.title}</option>`)}</select>
          <fieldset><legend>Sandbox</legend>
            <label><input type="radio" name="sandboxKind" value="aws" checked> A deployed AWS sandbox</label>
            <label for="accountId">Account id</label><input id="accountId" name="accountId" inputmode="numeric" maxlength="12">
            <label for="roleArn">Grader role ARN</label><input id="roleArn" name="roleArn">
            <label for="externalId">External id</label><input id="externalId" name="externalId" autocomplete="off">
            <label><input type="radio" name="sandboxKind" value="replay"> Recorded evidence (demo)</label>
            <label for="path">Evidence file or folder on the server</label><input id="path" name="path">
          </fieldset>
          <label for="timeLimitMinutes">Time limit in minutes (empty: the assessment's or task's own)</label><input id="timeLimitMinutes" name="timeLimitMinutes" inputmode="numeric">
          <button type="submit">Create attempt and access code</button>
        </form>
      </section>`,
  );
}

async function createAttempt(ctx: RequestContext, admin: Principal): Promise<Reply> {
  const form = await ctx.form('admin');
  const limit = form.timeLimitMinutes?.trim();
  const body = validate(
    createAttemptRequest,
    {
      candidate: form.candidate ?? '',
      target: form.target ?? '',
      sandbox:
        form.sandboxKind === 'replay'
          ? { kind: 'replay', path: form.path ?? '' }
          : { kind: 'aws', accountId: form.accountId ?? '', roleArn: form.roleArn ?? '', externalId: form.externalId ?? '' },
      ...(limit ? { timeLimitMinutes: Number(limit) } : {}),
    },
    'form',
  );
  const { attempt, accessCode } = await ctx.portal.createAttempt(body, actorOf(admin), ctx.origin);
  return accessCodePage(ctx, attempt.id, accessCode.code, accessCode.record.expiresAt);
}

function accessCodePage(ctx: RequestContext, attemptId: string, code: string, expiresAt: string | null): Reply {
  return adminPage(
    ctx,
    'Access code',
    html`<section class="card narrow">
      <h1>Access code</h1>
      <p>Give this code to the candidate. It is shown only now; SkillProof keeps only its hash.</p>
      <p class="access-code"><code id="access-code">${code}</code> <button type="button" class="secondary" data-copy="access-code">Copy</button></p>
      <p>Candidates sign in at <a href="/sign-in">${ctx.origin}/sign-in</a>. The code expires ${time(expiresAt)}.</p>
      <p><a href="${attemptUrl(attemptId)}">Go to attempt <code>${attemptId}</code></a></p>
    </section>`,
  );
}

async function attemptPage(ctx: RequestContext): Promise<Reply> {
  const view = await ctx.portal.adminView(ctx.param('id'), ctx.origin);
  return adminPage(
    ctx,
    `Attempt ${view.id}`,
    html`<section class="card">
      <p class="eyebrow">${view.kind} · ${view.title}</p>
      <h1>Attempt <code>${view.id}</code></h1>
      <p>${badge(view.state)}${view.result ? html` ${badge(view.result)}` : ''}${view.grading.state === 'running' ? html` <span class="badge warn">grading…</span>` : ''}</p>
      ${view.grading.error ? html`<p class="notice bad">${view.grading.error}</p>` : ''}
      <dl class="facts">
        <dt>Candidate</dt><dd><a href="/admin/attempts?candidate=${view.candidateId}"><code>${view.candidateId}</code></a></dd>
        <dt>Tasks</dt><dd>${view.taskIds.map((t) => html`<code>${t}</code> `)}</dd>
        <dt>Sandbox</dt><dd>${view.sandbox.kind === 'aws' ? html`AWS account <code>${view.sandbox.accountId}</code>, grader role <code>${view.sandbox.roleArn}</code>` : html`recorded evidence <code>${view.sandbox.path}</code>`}</dd>
        <dt>Created</dt><dd>${time(view.createdAt)}</dd>
        <dt>Started</dt><dd>${time(view.startedAt)}</dd>
        <dt>Expires</dt><dd>${time(view.expiresAt)}</dd>
        <dt>Submitted</dt><dd>${time(view.submittedAt)}</dd>
        <dt>Graded</dt><dd>${time(view.gradedAt)} (round ${view.finalRound})</dd>
      </dl>
      ${actions(ctx, view)}
    </section>
    ${credentialCard(ctx, view.credential)}
    <section class="card">
      <h2>Grading runs</h2>
      <div class="table-wrap"><table><thead><tr><th>Run</th><th>Task</th><th>Scope</th><th>Status</th><th>Finished</th><th>Evidence</th></tr></thead><tbody>
      ${[...view.runs].reverse().map(
        (r) => html`<tr><td><a href="${attemptUrl(view.id, `/runs/${r.id}`)}"><code>${r.id}</code></a></td><td>${r.taskId}</td><td>${r.scope}${r.scope === 'final' ? ` (round ${r.round})` : ''}</td><td>${badge(r.status)}</td><td>${time(r.finishedAt)}</td>
          <td><a href="/admin/evidence/${r.bundleSha256}"><code class="hash">${r.bundleSha256.slice(0, 16)}…</code></a></td></tr>`,
      )}
      </tbody></table></div>
      ${view.runs.length ? '' : html`<p class="muted">No grading runs yet.</p>`}
    </section>
    <section class="card">
      <h2>Access codes</h2>
      <div class="table-wrap"><table><thead><tr><th>Code</th><th>Created</th><th>Expires</th><th>Status</th><th></th></tr></thead><tbody>
      ${view.accessCodes.map(
        (c) => html`<tr><td><code>${c.id}</code></td><td>${time(c.createdAt)}</td><td>${time(c.expiresAt)}</td><td>${c.revokedAt ? badge('revoked') : badge('valid')}</td>
          <td>${c.revokedAt ? '' : html`<form method="post" action="/admin/access-codes/${c.id}/revoke" class="inline">${csrfField(ctx, 'admin')}<button class="link">Revoke</button></form>`}</td></tr>`,
      )}
      </tbody></table></div>
      <form method="post" action="${attemptUrl(view.id, '/access-codes')}">${csrfField(ctx, 'admin')}<button type="submit" class="secondary">Create an access code</button></form>
    </section>`,
    view.grading.state === 'running',
  );
}

function actions(ctx: RequestContext, view: AdminAttemptView): SafeHtml {
  const parts: SafeHtml[] = [];
  if (view.actions.includes('regrade')) {
    parts.push(html`<form method="post" action="${attemptUrl(view.id, '/regrade')}">${csrfField(ctx, 'admin')}
      <p>The result is incomplete: SkillProof could not grade every check. Fix the cause, then run the final grading again.</p>
      <button type="submit">Re-run the final grading</button></form>`);
  }
  if (view.actions.includes('issue-credential')) {
    parts.push(html`<form method="post" action="${attemptUrl(view.id, '/credential')}">${csrfField(ctx, 'admin')}
      <label for="issue-reason">Reason for issuing</label><input id="issue-reason" name="reason" required minlength="3" maxlength="500">
      <button type="submit">Issue the credential</button></form>`);
  }
  return parts.length ? html`<div class="actions-box">${parts}</div>` : html``;
}

function credentialCard(ctx: RequestContext, c: AdminCredentialView | null): SafeHtml {
  if (!c) return html``;
  return html`<section class="card" id="credential">
    <h2>Credential ${badge(c.status)}</h2>
    <dl class="facts">
      <dt>Id</dt><dd><a href="/credentials/${credentialSlug(c.id)}"><code>${c.id}</code></a></dd>
      <dt>Issued</dt><dd>${time(c.issuedAt)}</dd>
      <dt>Valid until</dt><dd>${c.validUntil ? time(c.validUntil) : 'no expiry'}</dd>
      <dt>Status list index</dt><dd>${c.statusListIndex}</dd>
      ${c.revokedAt ? html`<dt>Revoked</dt><dd>${time(c.revokedAt)}: ${c.revocationReason}</dd>` : ''}
    </dl>
    ${c.revokedAt ? '' : revokeForm(ctx, c)}
  </section>`;
}

function revokeForm(ctx: RequestContext, c: AdminCredentialView): SafeHtml {
  const field = `reason-${credentialSlug(c.id)}`;
  return html`<form method="post" action="/admin/credentials/${credentialSlug(c.id)}/revoke" class="revoke">${csrfField(ctx, 'admin')}
    <label for="${field}">Reason for revoking</label><input id="${field}" name="reason" required minlength="3" maxlength="500">
    <button type="submit" class="danger">Revoke</button></form>`;
}

async function runPage(ctx: RequestContext): Promise<Reply> {
  const run = await ctx.portal.runDetail(ctx.param('id'), ctx.param('runId'));
  const parsed = reportSchema.safeParse(run.report);
  return adminPage(
    ctx,
    `Run ${run.id}`,
    html`<section class="card">
      <p class="eyebrow"><a href="${attemptUrl(ctx.param('id'))}">Attempt ${ctx.param('id')}</a> · ${run.scope} run${run.scope === 'final' ? ` round ${run.round}` : ''}</p>
      <h1>${run.taskId} ${badge(run.status)}</h1>
      <p>Evidence bundle <a href="/admin/evidence/${run.bundleSha256}"><code class="hash">${run.bundleSha256}</code></a> · finished ${time(run.finishedAt)}</p>
      ${parsed.success ? reportTable(parsed.data) : html`<pre><code>${JSON.stringify(run.report, null, 2)}</code></pre>`}
    </section>`,
  );
}

function reportTable(report: Report): SafeHtml {
  const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
  return html`<p>Score ${report.score.earned}/${report.score.possible}, pass mark ${Math.round(report.score.passMark * 100)} % · ${report.mode} · account <code>${report.accountId}</code> · ${report.region}</p>
    ${report.error ? html`<p class="notice bad">${report.error}</p>` : ''}
    <div class="table-wrap"><table class="report"><thead><tr><th>Check</th><th>Outcome</th><th>Message</th><th>Expected</th><th>Actual</th><th>Evidence</th></tr></thead><tbody>
    ${report.checks.map(
      (c) => html`<tr><td><strong>${c.title}</strong><br><code>${c.id}</code> · ${c.points} pts${c.critical ? ' · critical' : ''} · ${c.visibility}${c.resource ? html`<br>${identifier(c.resource)}` : ''}</td>
        <td>${badge(c.outcome)}</td><td>${c.message}${c.hint && c.outcome !== 'PASS' ? html`<br><span class="muted">hint: ${c.hint}</span>` : ''}</td>
        <td><code class="data">${json(c.expected)}</code></td><td><code class="data">${json(c.actual)}</code></td><td>${c.evidence.length ? `calls ${c.evidence.join(', ')}` : ''}</td></tr>`,
    )}
    </tbody></table></div>`;
}

async function evidence(ctx: RequestContext): Promise<Reply> {
  return download(await ctx.portal.evidence(ctx.param('sha256')), 'application/json; charset=utf-8', `evidence-${ctx.param('sha256').slice(0, 12)}.json`);
}

async function createAccessCode(ctx: RequestContext, admin: Principal): Promise<Reply> {
  await ctx.form('admin');
  const { code, record } = await ctx.portal.createAccessCode(ctx.param('id'), undefined, actorOf(admin));
  return accessCodePage(ctx, record.attemptId, code, record.expiresAt);
}

async function revokeAccessCode(ctx: RequestContext, admin: Principal): Promise<Reply> {
  await ctx.form('admin');
  const record = await ctx.portal.revokeAccessCode(ctx.param('id'), actorOf(admin));
  return redirect(attemptUrl(record.attemptId, '?notice=code-revoked'));
}

async function regrade(ctx: RequestContext, admin: Principal): Promise<Reply> {
  await ctx.form('admin');
  await ctx.portal.regrade(ctx.param('id'), actorOf(admin));
  return redirect(attemptUrl(ctx.param('id'), '?notice=regrade-started'));
}

async function issue(ctx: RequestContext, admin: Principal): Promise<Reply> {
  const form = await ctx.form('admin');
  const { reason } = validate(reasonRequest, { reason: form.reason ?? '' }, 'form');
  await ctx.portal.issue(ctx.param('id'), reason, actorOf(admin));
  return redirect(attemptUrl(ctx.param('id'), '?notice=issued#credential'));
}

async function credentialsPage(ctx: RequestContext): Promise<Reply> {
  const credentials = await ctx.portal.adminCredentials(ctx.origin);
  return adminPage(
    ctx,
    'Credentials',
    html`<section class="card">
      <h1>Credentials</h1>
      <div class="table-wrap"><table><thead><tr><th>Credential</th><th>Attempt</th><th>Issued</th><th>Status</th><th>Revoke</th></tr></thead><tbody>
      ${credentials.map(
        (c) => html`<tr data-credential="${c.id}"><td><a href="/credentials/${credentialSlug(c.id)}"><code>${credentialSlug(c.id)}</code></a></td><td><a href="${attemptUrl(c.attemptId)}"><code>${c.attemptId}</code></a></td>
          <td>${time(c.issuedAt)}</td><td>${badge(c.status)}${c.revocationReason ? html`<br><span class="muted">${c.revocationReason}</span>` : ''}</td><td>${c.revokedAt ? '' : revokeForm(ctx, c)}</td></tr>`,
      )}
      </tbody></table></div>
      ${credentials.length ? '' : html`<p class="muted">No credentials have been issued.</p>`}
    </section>`,
  );
}

async function revoke(ctx: RequestContext, admin: Principal): Promise<Reply> {
  const form = await ctx.form('admin');
  const { reason } = validate(reasonRequest, { reason: form.reason ?? '' }, 'form');
  await ctx.portal.revoke(ctx.param('id'), reason, actorOf(admin));
  return redirect('/admin/credentials?notice=revoked');
}

async function auditPage(ctx: RequestContext): Promise<Reply> {
  const { subject } = validate(auditQuery, ctx.query(), 'filter');
  const { chain, entries } = await ctx.portal.audit(subject, 500);
  return adminPage(
    ctx,
    'Audit log',
    html`<section class="card">
      <h1>Audit log</h1>
      <p>${chain.ok ? html`${badge('valid')} The hash chain of all ${chain.entries} entries is intact.` : html`${badge('invalid')} The chain is broken at entry ${chain.brokenAt?.seq}: ${chain.brokenAt?.problem}`}</p>
      <form method="get" action="/admin/audit" class="filters" role="search"><label>Subject <input name="subject" value="${subject ?? ''}" placeholder="attempt, credential or token id"></label><button type="submit" class="secondary">Filter</button></form>
      <div class="table-wrap"><table class="audit"><thead><tr><th>#</th><th>When</th><th>Who</th><th>What</th><th>Subject</th><th>Detail</th></tr></thead><tbody>
      ${entries.map(
        (e) => html`<tr><td>${e.seq}</td><td>${time(e.at)}</td><td>${identifier(e.actor)}</td><td>${e.action}</td><td><a href="/admin/audit?subject=${encodeURIComponent(e.subject)}"><code>${e.subject}</code></a></td><td>${keyValues(e.data)}</td></tr>`,
      )}
      </tbody></table></div>
      <p class="muted">Newest first; at most 500 entries (the API returns more).</p>
    </section>`,
  );
}
