import type { CeremonyEntry, CohortView, GroupView, MemberProgress, MemberStanding } from '../../cohorts/views';
import { ceremonyCsv, groupPath } from '../cohorts';
import { memberSelfUpdateRequest } from '../cohort-schemas';
import type { Area, RequestContext } from '../context';
import { html, type SafeHtml } from '../html';
import { download, HttpError, redirect, validate, type Reply } from '../http';
import type { Principal } from '../portal';
import { csrfField, page, time } from './layout';
import type { PageRoute } from './index';

type Handler = (ctx: RequestContext, principal: Principal) => Promise<Reply>;

function signedIn(area: Area, handler: Handler, method: 'GET' | 'POST'): (ctx: RequestContext) => Promise<Reply> {
  return async (ctx) => {
    const principal = await ctx.principal(area);
    if (principal) return handler(ctx, principal);
    if (method === 'GET') return redirect(area === 'admin' ? '/admin/sign-in' : '/sign-in');
    throw new HttpError(401, 'signed-out', 'Your session has ended. Sign in again.');
  };
}

/**
 * Cohort pages. Members are always listed by name (the views' order is not trusted for that) in
 * unnumbered lists: nothing here is ranked, numbered by position, or called "top".
 */
export function cohortPages(): PageRoute[] {
  const routes: Array<[Area, 'GET' | 'POST', string, Handler]> = [
    ['candidate', 'GET', '/cohorts', myGroupsPage],
    ['candidate', 'GET', '/cohorts/{cohortId}/groups/{groupId}', (ctx, p) => groupPage(ctx, p, 'candidate')],
    ['candidate', 'POST', '/cohorts/{cohortId}/groups/{groupId}/me', updateOwnEntry],
    ['admin', 'GET', '/admin/cohorts', cohortsPage],
    ['admin', 'GET', '/admin/cohorts/{cohortId}', cohortPage],
    ['admin', 'GET', '/admin/cohorts/{cohortId}/groups/{groupId}', (ctx, p) => groupPage(ctx, p, 'admin')],
    ['admin', 'GET', '/admin/cohorts/{cohortId}/ceremony', ceremonyPage],
    ['admin', 'GET', '/admin/cohorts/{cohortId}/ceremony.csv', ceremonyDownload],
  ];
  return routes.map(([area, method, path, handler]) => ({ method, path, handle: signedIn(area, handler, method) }));
}

const cohortUrl = (cohortId: string, suffix = '') => `/admin/cohorts/${encodeURIComponent(cohortId)}${suffix}`;

const STANDING: Record<MemberStanding, { label: string; tone: string }> = {
  'on-track': { label: 'On track', tone: 'good' },
  behind: { label: 'Behind schedule', tone: 'warn' },
  completed: { label: 'Completed', tone: 'good' },
};

const standing = (s: MemberStanding) => html`<span class="badge ${STANDING[s].tone}" data-standing="${s}">${STANDING[s].label}</span>`;

function date(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

// ── candidates ────────────────────────────────────────────────────────────────────────────────

async function myGroupsPage(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  const memberships = await ctx.portal.cohorts.memberships(candidate);
  return page(
    ctx,
    { title: 'My groups', area: 'candidate', signedIn: true },
    html`<section class="card">
      <h1>My groups</h1>
      ${memberships.length
        ? html`<ul class="plain groups">${memberships.map(
            (m) => html`<li><a href="${m.groupPath}">${m.group.name}</a> <span class="muted">· ${m.cohort.name}, ${date(m.cohort.startsAt)} to ${date(m.cohort.endsAt)}</span></li>`,
          )}</ul>`
        : html`<p>You are not in a learning group.</p>`}
    </section>`,
  );
}

async function groupPage(ctx: RequestContext, principal: Principal, area: Area): Promise<Reply> {
  const cohortId = ctx.param('cohortId');
  const view = await ctx.portal.cohorts.groupView(principal, cohortId, ctx.param('groupId'));
  const me = principal.kind === 'candidate' ? await ctx.portal.cohorts.ownEntry(principal, cohortId) : undefined;
  return page(
    ctx,
    { title: view.group.name, area, signedIn: true },
    html`<section class="card group-head">
      <p class="eyebrow">${area === 'admin' ? html`<a href="${cohortUrl(cohortId)}">${view.cohort.name}</a>` : view.cohort.name} · ${view.cohort.cadenceMonths} months, ${date(view.cohort.startsAt)} to ${date(view.cohort.endsAt)}</p>
      <h1>${view.group.name}</h1>
      <p class="muted">Progress as of ${time(view.at)}. Members are listed by name; nobody is ranked.</p>
      ${milestoneList(view)}
    </section>
    ${me ? ownEntryForm(ctx, view, me.displayName, me.hidden) : ''}
    <section class="card" aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      ${view.members.length
        ? html`<ul class="members" data-members>${view.members.map((m) => memberItem(m, view, principal))}</ul>`
        : html`<p>No one else in this group shows their entry.</p>`}
    </section>`,
  );
}

function milestoneList(view: GroupView): SafeHtml {
  if (!view.milestones.length) return html``;
  return html`<h2>Milestones</h2><ul class="plain milestones">${view.milestones.map(
    (m) => html`<li><strong>${m.title}</strong> <span class="muted">due ${date(m.dueAt)}</span></li>`,
  )}</ul>`;
}

function memberItem(m: MemberProgress, view: GroupView, viewer: Principal): SafeHtml {
  const you = viewer.kind === 'candidate' && viewer.candidateId === m.candidateId;
  const reached = m.milestones.filter((x) => x.reachedAt).length;
  const missed = m.milestones.filter((x) => !x.reachedAt && Date.parse(x.dueAt) <= Date.parse(view.at));
  return html`<li class="member" data-member="${m.candidateId}">
    <h3><span class="member-name">${m.shownAs}</span>${you ? html` <span class="muted">(you)</span>` : ''} ${standing(m.standing)}${m.hidden ? html` <span class="badge muted">hidden from the group</span>` : ''}</h3>
    ${m.standing === 'behind' && missed.length ? html`<p class="muted">Not yet reached, though due: ${missed.map((x) => x.title).join(', ')}.</p>` : ''}
    <dl class="facts">
      <dt>Milestones</dt><dd>${reached} of ${m.milestones.length} reached
        <ul class="plain marks">${m.milestones.map(
          (x) => html`<li class="${x.reachedAt ? 'reached' : 'open'}">${x.reachedAt ? html`<span aria-hidden="true">✓</span> ${x.title}, reached ${date(x.reachedAt)}` : html`<span aria-hidden="true">○</span> ${x.title}, not yet (due ${date(x.dueAt)})`}</li>`,
        )}</ul></dd>
      <dt>Tasks passed</dt><dd>${m.tasksPassed.length ? html`${m.tasksPassed.length}: ${m.tasksPassed.map((t, i) => html`${i ? ', ' : ''}<code>${t}</code>`)}` : 'none yet'}</dd>
      <dt>Badges</dt><dd>${m.badges.length ? html`<ul class="plain">${m.badges.map((b) => html`<li><a href="${b.badgePath}">${b.title}</a> <span class="muted">${date(b.issuedAt)}</span></li>`)}</ul>` : 'none yet'}</dd>
    </dl>
  </li>`;
}

function ownEntryForm(ctx: RequestContext, view: GroupView, displayName: string | null, hidden: boolean): SafeHtml {
  return html`<section class="card" id="my-entry">
    <h2>Your entry</h2>
    <p class="muted">Choose the name your group sees (leave it empty to show your pseudonymous id), or hide your entry from the other members. Organisers always see it.</p>
    <form method="post" action="${groupPath(view.cohort.id, view.group.id)}/me">
      ${csrfField(ctx, 'candidate')}
      <label for="display-name">Name shown to your group</label>
      <input id="display-name" name="displayName" maxlength="60" autocomplete="nickname" value="${displayName ?? ''}">
      <label class="checkbox"><input type="checkbox" name="hidden" value="yes" ${hidden ? html`checked` : ''}> Hide my entry from the other members</label>
      <button type="submit">Save my entry</button>
    </form>
  </section>`;
}

async function updateOwnEntry(ctx: RequestContext, candidate: Principal): Promise<Reply> {
  const form = await ctx.form('candidate');
  const change = validate(memberSelfUpdateRequest, { displayName: form.displayName ?? '', hidden: form.hidden === 'yes' }, 'form');
  const cohortId = ctx.param('cohortId');
  const entry = await ctx.portal.cohorts.ownEntry(candidate, cohortId);
  if (entry.groupId !== ctx.param('groupId')) throw new HttpError(403, 'not-a-member', 'You can change only your own entry, from your own group’s page.');
  await ctx.portal.cohorts.updateOwnEntry(candidate, cohortId, change);
  return redirect(`${groupPath(cohortId, entry.groupId)}?notice=entry-saved#my-entry`);
}

// ── organisers ────────────────────────────────────────────────────────────────────────────────

async function cohortsPage(ctx: RequestContext): Promise<Reply> {
  const cohorts = await ctx.portal.cohorts.cohorts();
  return page(
    ctx,
    { title: 'Cohorts', area: 'admin', signedIn: true },
    html`<section class="card">
      <h1>Cohorts</h1>
      ${cohorts.length
        ? html`<div class="table-wrap"><table><thead><tr><th>Cohort</th><th>Runs</th><th>Targets</th><th></th></tr></thead><tbody>
          ${cohorts.map(
            (c) => html`<tr><td><a href="${cohortUrl(c.id)}"><strong>${c.name}</strong></a><br><code>${c.id}</code></td><td>${date(c.startsAt)} to ${date(c.endsAt)} (${c.cadenceMonths} months)</td><td>${c.targetAssessmentIds.map((t) => html`<code>${t}</code> `)}</td><td><a href="${cohortUrl(c.id, '/ceremony')}">Ceremony</a></td></tr>`,
          )}
          </tbody></table></div>`
        : html`<p>No cohorts yet. <code>skillproof cohort</code> creates and imports them.</p>`}
    </section>`,
  );
}

async function cohortPage(ctx: RequestContext): Promise<Reply> {
  const view = await ctx.portal.cohorts.cohortView(ctx.param('cohortId'));
  const c = view.cohort;
  return page(
    ctx,
    { title: c.name, area: 'admin', signedIn: true },
    html`<section class="card">
      <p class="eyebrow">Cohort · <code>${c.id}</code></p>
      <h1>${c.name}</h1>
      <p>${date(c.startsAt)} to ${date(c.endsAt)} (${c.cadenceMonths} months) · targets ${c.targetAssessmentIds.map((t) => html`<code>${t}</code> `)}</p>
      <p class="muted">As of ${time(view.at)}. Groups and members are listed by name; nothing is ranked.</p>
      <p><a class="button secondary" href="${cohortUrl(c.id, '/ceremony')}">Closing ceremony</a></p>
    </section>
    ${funnel(view)}
    ${groupsTable(view)}
    ${behindTable(view)}`,
  );
}

function funnel(view: CohortView): SafeHtml {
  return html`<section class="card" aria-labelledby="funnel-heading">
    <h2 id="funnel-heading">Completion by milestone</h2>
    ${view.funnel.length
      ? html`<div class="table-wrap"><table class="funnel"><thead><tr><th>Milestone</th><th>Due</th><th>Reached</th></tr></thead><tbody>
        ${view.funnel.map(
          (f) => html`<tr data-milestone="${f.milestoneId}"><td>${f.title}</td><td>${date(f.dueAt)}</td>
            <td><progress max="${Math.max(1, f.of)}" value="${f.reached}" aria-label="${f.title}: ${f.reached} of ${f.of} reached"></progress> ${f.reached} of ${f.of}</td></tr>`,
        )}
        </tbody></table></div>`
      : html`<p>This cohort has no milestones.</p>`}
  </section>`;
}

function groupsTable(view: CohortView): SafeHtml {
  return html`<section class="card" aria-labelledby="groups-heading">
    <h2 id="groups-heading">Groups</h2>
    <div class="table-wrap"><table class="groups"><thead><tr><th>Group</th><th>Members</th><th>On track</th><th>Behind</th><th>Completed</th></tr></thead><tbody>
    ${view.groups.map(
      (g) => html`<tr data-group="${g.group.id}"><td><a href="${groupPath(view.cohort.id, g.group.id, true)}">${g.group.name}</a><br><span class="muted">${g.group.level} · <code>${g.group.targetAssessmentId}</code></span></td>
        <td>${g.members}</td><td>${g.onTrack}</td><td>${g.behind}</td><td>${g.completed}</td></tr>`,
    )}
    </tbody></table></div>
  </section>`;
}

function behindTable(view: CohortView): SafeHtml {
  const groupName = new Map(view.groups.map((g) => [g.group.id, g.group.name]));
  // The views name missed milestones by id; people read their titles.
  const title = new Map(view.funnel.map((f) => [f.milestoneId, f.title]));
  return html`<section class="card" aria-labelledby="behind-heading">
    <h2 id="behind-heading">Behind schedule</h2>
    ${view.behind.length
      ? html`<div class="table-wrap"><table class="behind"><thead><tr><th>Member</th><th>Group</th><th>Due but not reached</th></tr></thead><tbody>
        ${view.behind.map(
          (b) => html`<tr data-member="${b.candidateId}"><td>${b.shownAs}</td><td><a href="${groupPath(view.cohort.id, b.groupId, true)}">${groupName.get(b.groupId) ?? b.groupId}</a></td><td>${b.missed.map((id) => title.get(id) ?? id).join(', ')}</td></tr>`,
        )}
        </tbody></table></div>`
      : html`<p>No one is behind schedule.</p>`}
  </section>`;
}

async function ceremonyPage(ctx: RequestContext): Promise<Reply> {
  const cohort = await ctx.portal.cohorts.cohortRecord(ctx.param('cohortId'));
  const { entries, at } = await ctx.portal.cohorts.ceremony(cohort.id);
  const completed = entries.filter((e) => e.completed);
  const vouchersOnly = entries.filter((e) => !e.completed && e.voucherEligible);
  const vouchers = entries.filter((e) => e.voucherEligible).length;
  return page(
    ctx,
    { title: `Closing ceremony · ${cohort.name}`, area: 'admin', signedIn: true },
    html`<article class="card ceremony">
      <p class="eyebrow">Closing ceremony · ${date(cohort.startsAt)} to ${date(cohort.endsAt)}</p>
      <h1>${cohort.name}</h1>
      <p><strong>${completed.length}</strong> of ${entries.length} members completed · <strong>${vouchers}</strong> voucher${vouchers === 1 ? '' : 's'} · as of ${time(at)}</p>
      <p class="screen-only"><a class="button" href="${cohortUrl(cohort.id, '/ceremony.csv')}" download>Download CSV</a> <span class="muted">Print this page from your browser; navigation and buttons are left off the paper.</span></p>
      <h2>Completed</h2>
      ${completed.length ? ceremonyTable(completed) : html`<p>No one has completed yet.</p>`}
      ${vouchersOnly.length ? html`<h2>Voucher without completing</h2>${ceremonyTable(vouchersOnly)}` : ''}
    </article>`,
  );
}

function ceremonyTable(entries: CeremonyEntry[]): SafeHtml {
  return html`<div class="table-wrap"><table class="ceremony-list"><thead><tr><th>Member</th><th>Group</th><th>Voucher</th></tr></thead><tbody>
    ${entries.map(
      (e) => html`<tr data-member="${e.candidateId}"><td>${e.shownAs}</td><td>${e.groupName}</td>
        <td>${e.voucherEligible ? html`<span class="badge good">eligible</span>` : html`<span class="badge muted">not eligible</span>`} <span class="muted">${e.voucherReason}</span></td></tr>`,
    )}
  </tbody></table></div>`;
}

async function ceremonyDownload(ctx: RequestContext): Promise<Reply> {
  const { cohortId, entries } = await ctx.portal.cohorts.ceremony(ctx.param('cohortId'));
  return download(ceremonyCsv(entries), 'text/csv; charset=utf-8', `ceremony-${cohortId}.csv`);
}
