import { RateLimitedError } from '../../attempts/errors';
import type { RequestContext } from '../context';
import { html, raw, type SafeHtml } from '../html';
import { badgeNameRequest } from '../cohort-schemas';
import { download, HttpError, redirect, validate, type Reply } from '../http';
import { badgePath } from '../../credentials/paths';
import { credentialSlug, type Principal } from '../portal';
import type { CandidateAttemptView, CheckView, ProgressView, SandboxAccessView, TaskRunView } from '../views';
import { badge, csrfField, duration, page, time } from './layout';
import type { PageRoute } from './index';

type CandidateHandler = (ctx: RequestContext, candidate: Principal) => Promise<Reply>;

/** Signed-in candidates only: a page asks them to sign in, a form post is refused. */
function signedIn(handler: CandidateHandler, method: 'GET' | 'POST'): (ctx: RequestContext) => Promise<Reply> {
  return async (ctx) => {
    const candidate = await ctx.principal('candidate');
    if (candidate) return handler(ctx, candidate);
    if (method === 'GET') return redirect('/sign-in');
    throw new HttpError(401, 'signed-out', 'Your session has ended. Sign in again with your access code.');
  };
}

export function candidatePages(): PageRoute[] {
  const routes: Array<[method: 'GET' | 'POST', path: string, handler: CandidateHandler]> = [
    ['GET', '/attempts', attemptsPage],
    ['GET', '/attempts/{id}', attemptPage],
    ['POST', '/attempts/{id}/start', start],
    ['POST', '/attempts/{id}/sandbox-access', sandboxAccess],
    ['POST', '/attempts/{id}/check', check],
    ['GET', '/attempts/{id}/submit', confirmSubmit],
    ['POST', '/attempts/{id}/submit', submit],
    ['GET', '/attempts/{id}/credential.jwt', credentialJwt],
    ['GET', '/attempts/{id}/credential.json', credentialJson],
    ['POST', '/attempts/{id}/badge-name', badgeName],
  ];
  return routes.map(([method, path, handler]) => ({ method, path, handle: signedIn(handler, method) }));
}

const attemptUrl = (id: string, suffix = '') => `/attempts/${encodeURIComponent(id)}${suffix}`;

async function attemptsPage(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  const attempts = await ctx.portal.candidateAttempts(candidate);
  return page(
    ctx,
    { title: 'My attempts', area: 'candidate', signedIn: true },
    html`<section class="card">
      <h1>My attempts</h1>
      ${attempts.length
        ? html`<div class="table-wrap"><table><thead><tr><th>What</th><th>Attempt</th><th>State</th><th>Created</th></tr></thead><tbody>
          ${attempts.map((a) => html`<tr><td><a href="${attemptUrl(a.id)}">${a.title}</a></td><td><code>${a.id}</code></td><td>${badge(a.result ?? a.state)}</td><td>${time(a.createdAt)}</td></tr>`)}
          </tbody></table></div>`
        : html`<p>You have no attempts.</p>`}
    </section>`,
  );
}

async function attemptPage(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  const id = ctx.param('id');
  const view = await ctx.portal.candidateView(candidate, id, ctx.origin);
  const instructions = await ctx.portal.instructions(candidate, id);
  const shownName = view.credential ? await ctx.portal.badges.ownShownName(candidate, id) : null;
  const running = view.grading.state === 'running';
  const panel = [
    credentialSection(ctx, view, shownName),
    clock(ctx, view),
    startSection(ctx, view),
    progressSection(ctx, view),
    submitSection(view),
    sandboxSection(ctx, view),
    gradingSection(ctx, view),
  ].filter((part) => part.value !== '');
  return page(
    ctx,
    { title: view.title, area: 'candidate', signedIn: true, ...(running ? { refreshSeconds: 2 } : {}) },
    html`<div class="attempt">
      <header class="attempt-head">
        <p class="eyebrow">${view.kind === 'assessment' ? 'Assessment' : 'Practice task'} · <code>${view.id}</code></p>
        <h1>${view.title}</h1>
        <p class="state">State: ${badge(view.state)}${view.result ? html` Result: ${badge(view.result)}` : ''}</p>
      </header>
      <div class="${panel.length ? 'columns' : 'single'}">
        ${panel.length ? html`<aside class="panel" aria-label="Your attempt">${panel}</aside>` : ''}
        <div class="main">
          ${resultSection(view)}
          ${progressDetail(view)}
          <section class="card instructions" aria-label="Instructions">
            <h2>Instructions</h2>
            ${instructions.length > 1 ? html`<nav class="toc" aria-label="Tasks"><ol>${instructions.map((t) => html`<li><a href="#task-${t.id}">${t.title}</a></li>`)}</ol></nav>` : ''}
            ${instructions.map((t) => html`<article id="task-${t.id}" class="markdown">${raw(t.html)}</article>`)}
          </section>
        </div>
      </div>
    </div>`,
  );
}

function clock(ctx: RequestContext, view: CandidateAttemptView): SafeHtml {
  if (view.state !== 'active' || !view.expiresAt) return html``;
  const left = (Date.parse(view.expiresAt) - ctx.portal.now().getTime()) / 1000;
  return html`<section class="card clock">
    <h2>Time left</h2>
    <p class="countdown" data-countdown="${view.expiresAt}" aria-live="off">${duration(left)}</p>
    <p class="muted">until ${time(view.expiresAt)}</p>
  </section>`;
}

function startSection(ctx: RequestContext, view: CandidateAttemptView): SafeHtml {
  if (!view.actions.includes('start')) return html``;
  return html`<section class="card">
    <h2>Ready?</h2>
    <p>Read the instructions, then start. The clock starts when you do.</p>
    <form method="post" action="${attemptUrl(view.id, '/start')}">${csrfField(ctx, 'candidate')}<button type="submit">Start the attempt</button></form>
  </section>`;
}

function sandboxSection(ctx: RequestContext, view: CandidateAttemptView): SafeHtml {
  if (view.state !== 'active') return html``;
  if (view.sandbox === 'replay') {
    return html`<section class="card"><h2>Your sandbox</h2><p class="muted">This attempt is graded from recorded evidence (a demonstration), so there is no AWS account to sign in to.</p></section>`;
  }
  return html`<section class="card">
    <h2>Your sandbox</h2>
    <p>Get a console sign-in link and temporary CLI credentials for your sandbox account.</p>
    <form method="post" action="${attemptUrl(view.id, '/sandbox-access')}">${csrfField(ctx, 'candidate')}<button type="submit" class="secondary">Open sandbox access</button></form>
  </section>`;
}

/** The side panel's part: the button, how often it may be pressed, and a one-line summary of the last check. */
function progressSection(ctx: RequestContext, view: CandidateAttemptView): SafeHtml {
  if (!view.actions.includes('check')) return html``;
  const every = Math.max(1, Math.ceil(ctx.portal.checkIntervalMs / 1000));
  return html`<section class="card" id="progress">
    <h2>Check my progress</h2>
    <p class="muted">Grades the visible checks against your sandbox now, once every ${every} s at most. Some checks run only when you submit.</p>
    <form method="post" action="${attemptUrl(view.id, '/check')}">${csrfField(ctx, 'candidate')}<button type="submit">Check my progress</button></form>
    ${view.progress ? progressSummary(view.progress) : ''}
  </section>`;
}

function progressSummary(progress: ProgressView): SafeHtml {
  const checks = progress.tasks.flatMap((t) => t.checks);
  const passing = checks.filter((c) => c.outcome === 'PASS').length;
  return html`<div class="progress-summary">
    <p><strong>${passing} of ${checks.length}</strong> visible checks pass <span class="muted">(checked ${time(progress.checkedAt)})</span> · <a href="#progress-results">see each check</a></p>
    ${progress.nextCheckAt ? html`<p class="muted">Next check possible after ${time(progress.nextCheckAt)}.</p>` : ''}
  </div>`;
}

/** The main column's part: every visible check of the last progress run with its hint (too long for the side panel). */
function progressDetail(view: CandidateAttemptView): SafeHtml {
  if (!view.progress || !view.actions.includes('check')) return html``;
  const progress = view.progress;
  return html`<section class="card progress-results" id="progress-results" data-progress aria-label="Progress">
    <h2>Progress <span class="muted">(checked ${time(progress.checkedAt)})</span></h2>
    <p>${progress.tasks.flatMap((t) => t.checks).filter((c) => c.outcome === 'PASS').length} of ${progress.tasks.flatMap((t) => t.checks).length} visible checks pass</p>
    ${progress.tasks.map((t) => taskChecks(t, progress.tasks.length > 1))}
  </section>`;
}

function taskChecks(task: TaskRunView, showTitle: boolean): SafeHtml {
  return html`<div class="task-checks">
    ${showTitle ? html`<h3>${task.title}</h3>` : ''}
    <ul class="checks">${task.checks.map(checkItem)}</ul>
    ${task.hiddenChecks ? html`<p class="muted">${task.hiddenChecks} further check${task.hiddenChecks === 1 ? ' is' : 's are'} not shown.</p>` : ''}
  </div>`;
}

function checkItem(c: CheckView): SafeHtml {
  return html`<li class="check outcome-${c.outcome}" data-check="${c.id}">
    ${badge(c.outcome)} <span class="check-title">${c.title}</span>${c.critical ? html` <span class="muted" title="must pass">critical</span>` : ''}
    ${c.outcome !== 'PASS' ? html`<div class="check-message">${c.message}</div>` : ''}
    ${c.hint ? html`<div class="hint"><strong>Hint:</strong> ${c.hint}</div>` : ''}
  </li>`;
}

function submitSection(view: CandidateAttemptView): SafeHtml {
  if (!view.actions.includes('submit')) return html``;
  return html`<section class="card">
    <h2>Done?</h2>
    <p>Submitting freezes your sandbox and grades everything once more, including checks you cannot see yet.</p>
    <a class="button danger" href="${attemptUrl(view.id, '/submit')}">Submit my work…</a>
  </section>`;
}

function gradingSection(ctx: RequestContext, view: CandidateAttemptView): SafeHtml {
  if (view.grading.state === 'running') {
    return html`<section class="card" role="status"><h2>Grading…</h2><p>Your sandbox is frozen and your work is being graded. This page refreshes by itself.</p></section>`;
  }
  if (view.grading.state !== 'interrupted') return html``;
  return html`<section class="card warn" role="alert">
    <h2>Grading was interrupted</h2>
    <p>${view.grading.error ?? 'The final grading did not finish.'} Nothing is lost: grading resumes where it stopped.</p>
    <form method="post" action="${attemptUrl(view.id, '/submit')}">${csrfField(ctx, 'candidate')}<input type="hidden" name="confirm" value="yes"><button type="submit">Resume grading</button></form>
  </section>`;
}

const RESULT_TEXT: Record<string, string> = {
  passed: 'You passed: every critical check passed and your score meets the pass mark.',
  failed: 'Not passed this time. The checks below show what was not right.',
  incomplete: 'SkillProof could not finish grading (a problem on our side or in AWS, not your fault). An administrator will re-run it.',
};

function resultSection(view: CandidateAttemptView): SafeHtml {
  const detail = view.resultDetail;
  if (!detail) return html``;
  return html`<section class="card result result-${detail.result}" id="result">
    <h2>Result: ${badge(detail.result)}</h2>
    <p>${RESULT_TEXT[detail.result]}</p>
    ${detail.tasks.map((t) => html`<div class="task-result"><h3>${t.title} ${badge(t.status)}</h3>${taskChecks(t, false)}</div>`)}
  </section>`;
}

function credentialSection(ctx: RequestContext, view: CandidateAttemptView, shownName: string | null): SafeHtml {
  if (view.credentialPending) {
    return html`<section class="card"><h2>Your credential</h2><p>Your credential has not been issued yet; an administrator will issue it.</p></section>`;
  }
  const c = view.credential;
  if (!c) return html``;
  return html`<section class="card credential status-${c.status}" id="credential">
    <h2>Your credential ${badge(c.status)}</h2>
    <p>Issued ${time(c.issuedAt)}${c.validUntil ? html`, valid until ${time(c.validUntil)}` : ''}.</p>
    <p class="downloads">
      <a class="button" href="${attemptUrl(view.id, '/credential.jwt')}" download>Download (JWT)</a>
      <a class="button secondary" href="${attemptUrl(view.id, '/credential.json')}" download>Download (Open Badges 3.0 JSON)</a>
    </p>
    <label for="share-link">Share link</label>
    <div class="share"><input id="share-link" readonly value="${c.shareUrl}"><button type="button" class="secondary" data-copy="share-link">Copy</button></div>
    <p><a href="/credentials/${credentialSlug(c.id)}">Open the public verification page</a> · <a href="${badgePath(c.id)}">Open your public badge</a></p>
    <form method="post" action="${attemptUrl(view.id, '/badge-name')}" id="badge-name">
      ${csrfField(ctx, 'candidate')}
      <label for="shown-name">Name on your public badge</label>
      <input id="shown-name" name="shownName" maxlength="80" autocomplete="name" value="${shownName ?? ''}" aria-describedby="shown-name-help">
      <p class="muted" id="shown-name-help">Leave it empty and your badge says it was issued to “a verified holder”.</p>
      <button type="submit" class="secondary">Save the name</button>
    </form>
  </section>`;
}

async function start(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  await ctx.form('candidate');
  await ctx.portal.start(candidate, ctx.param('id'));
  return redirect(attemptUrl(ctx.param('id'), '?notice=started'));
}

async function sandboxAccess(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  await ctx.form('candidate');
  const access = await ctx.portal.sandboxAccess(candidate, ctx.param('id'));
  return page(ctx, { title: 'Sandbox access', area: 'candidate', signedIn: true }, accessBody(ctx.param('id'), access));
}

function accessBody(attemptId: string, a: SandboxAccessView): SafeHtml {
  const exports = [
    `export AWS_ACCESS_KEY_ID=${a.credentials.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${a.credentials.secretAccessKey}`,
    `export AWS_SESSION_TOKEN=${a.credentials.sessionToken}`,
    `export AWS_REGION=${a.region}`,
  ].join('\n');
  return html`<section class="card">
    <h1>Sandbox access</h1>
    <p>Account <code>${a.accountId}</code> in <code>${a.region}</code>. These credentials expire ${time(a.credentials.expiration)}; the sandbox closes ${time(a.sandboxExpiresAt)}. Keep them to yourself.</p>
    ${a.consoleUrl ? html`<p><a class="button" href="${a.consoleUrl}" target="_blank" rel="noopener noreferrer">Open the AWS console</a></p>` : ''}
    <h2>AWS CLI</h2>
    <pre id="cli-credentials"><code>${exports}</code></pre>
    <button type="button" class="secondary" data-copy="cli-credentials">Copy</button>
    <p><a href="${attemptUrl(attemptId)}">Back to the attempt</a></p>
  </section>`;
}

async function check(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  await ctx.form('candidate');
  try {
    await ctx.portal.check(candidate, ctx.param('id'));
  } catch (e) {
    if (e instanceof RateLimitedError) return redirect(attemptUrl(ctx.param('id'), `?notice=rate-limited&wait=${Math.ceil(e.retryAfterMs / 1000)}#progress`));
    throw e;
  }
  return redirect(attemptUrl(ctx.param('id'), '?notice=checked#progress'));
}

async function confirmSubmit(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  const view = await ctx.portal.candidateView(candidate, ctx.param('id'), ctx.origin);
  if (!view.actions.includes('submit')) return redirect(attemptUrl(view.id));
  return page(
    ctx,
    { title: 'Submit your work', area: 'candidate', signedIn: true },
    html`<section class="card narrow">
      <h1>Submit your work?</h1>
      <p>When you submit, <strong>your sandbox is frozen</strong>: you can no longer change anything in it. Then every check is graded, including the ones you could not see while working.</p>
      <p>You cannot undo this.</p>
      <form method="post" action="${attemptUrl(view.id, '/submit')}">
        ${csrfField(ctx, 'candidate')}
        <label class="checkbox"><input type="checkbox" name="confirm" value="yes" required> I have finished and want my work graded now.</label>
        <div class="actions"><button type="submit" class="danger">Submit and grade</button> <a href="${attemptUrl(view.id)}">Not yet, go back</a></div>
      </form>
    </section>`,
  );
}

async function submit(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  const form = await ctx.form('candidate');
  if (form.confirm !== 'yes') throw new HttpError(400, 'not-confirmed', 'Tick the box to confirm that you want to submit; submitting cannot be undone.');
  await ctx.portal.submit(candidate, ctx.param('id'));
  return redirect(attemptUrl(ctx.param('id'), '?notice=submitted#result'));
}

async function badgeName(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  const form = await ctx.form('candidate');
  const { shownName } = validate(badgeNameRequest, { shownName: form.shownName ?? '' }, 'form');
  await ctx.portal.badges.setShownName(candidate, ctx.param('id'), shownName, ctx.origin);
  return redirect(attemptUrl(ctx.param('id'), '?notice=badge-saved#credential'));
}

async function credentialJwt(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  const credential = await ctx.portal.candidateCredential(candidate, ctx.param('id'));
  return download(credential.jwt, 'application/vc+jwt', `skillproof-${credentialSlug(credential.id)}.jwt`);
}

async function credentialJson(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  const credential = await ctx.portal.candidateCredential(candidate, ctx.param('id'));
  return download(`${JSON.stringify(credential.credential, null, 2)}\n`, 'application/json; charset=utf-8', `skillproof-${credentialSlug(credential.id)}.json`);
}
