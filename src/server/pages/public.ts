import type { RequestContext } from '../context';
import { html, type SafeHtml } from '../html';
import { download, formBody, HttpError, redirect, validate, type Reply } from '../http';
import { credentialSlug } from '../portal';
import { signInRequest, verifyRequest } from '../requests';
import type { CredentialFacts, PublicCredentialView, VerificationView } from '../views';
import { CANDIDATE_COOKIE } from '../context';
import { badge, csrfField, page, time } from './layout';
import type { PageRoute } from './index';

export function publicPages(): PageRoute[] {
  return [
    { method: 'GET', path: '/', handle: home },
    { method: 'GET', path: '/sign-in', handle: async (ctx) => signInPage(ctx) },
    { method: 'POST', path: '/sign-in', handle: signIn },
    { method: 'POST', path: '/sign-out', handle: signOut },
    { method: 'GET', path: '/credentials/{id}', handle: credentialPage },
    { method: 'GET', path: '/credentials/{id}/jwt', handle: credentialJwt },
    { method: 'GET', path: '/verify', handle: async (ctx) => verifyPage(ctx) },
    { method: 'POST', path: '/verify', handle: verify },
  ];
}

async function home(ctx: RequestContext): Promise<Reply> {
  const signedIn = Boolean(await ctx.principal('candidate'));
  return page(
    ctx,
    { title: 'Welcome', area: 'candidate', signedIn },
    html`<section class="hero">
      <h1>Hands-on AWS micro-credentials</h1>
      <p>Build something real in your own AWS sandbox. SkillProof inspects the resources you built, check by check, and a pass earns a verifiable Open Badges 3.0 credential.</p>
      <div class="choices">
        <a class="button" href="${signedIn ? '/attempts' : '/sign-in'}">${signedIn ? 'My attempts' : 'Sign in with an access code'}</a>
        <a class="button secondary" href="/verify">Verify a credential</a>
      </div>
    </section>`,
  );
}

function signInPage(ctx: RequestContext, error?: string, status = 200): Reply {
  return page(
    ctx,
    { title: 'Sign in', area: 'public' },
    html`<section class="card narrow">
      <h1>Sign in</h1>
      <p>Enter the access code you were given for your attempt.</p>
      ${error ? html`<p class="notice bad" role="alert">${error}</p>` : ''}
      <form method="post" action="/sign-in">
        ${csrfField(ctx, 'candidate')}
        <label for="access-code">Access code</label>
        <input id="access-code" name="accessCode" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" required maxlength="64" placeholder="ABCD-EFGH-JKMN-PQRS">
        <button type="submit">Sign in</button>
      </form>
    </section>`,
    status,
  );
}

async function signIn(ctx: RequestContext): Promise<Reply> {
  const form = await ctx.form('candidate');
  const { accessCode } = validate(signInRequest, { accessCode: form.accessCode ?? '' }, 'form');
  try {
    const { token, session, attemptId } = await ctx.limitedSignIn('candidate', accessCode, () => ctx.portal.signInCandidate(accessCode));
    ctx.setCookie(CANDIDATE_COOKIE, token, Math.floor((Date.parse(session.expiresAt) - ctx.portal.now().getTime()) / 1000));
    return redirect(`/attempts/${encodeURIComponent(attemptId)}?notice=signed-in`);
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) return signInPage(ctx, e.message, 401);
    throw e;
  }
}

async function signOut(ctx: RequestContext): Promise<Reply> {
  await ctx.form('candidate');
  const token = ctx.sessionCookie('candidate');
  if (token) await ctx.portal.signOut(token);
  ctx.clearCookie(CANDIDATE_COOKIE);
  return redirect('/?notice=signed-out');
}

async function credentialPage(ctx: RequestContext): Promise<Reply> {
  const view = await ctx.portal.publicCredential(ctx.param('id'), ctx.origin);
  if (!view) throw new HttpError(404, 'credential-not-found', 'No credential with this id was issued here. Check the link you were given.');
  return page(ctx, { title: view.credential?.achievement?.name ?? 'Credential', area: 'public' }, credentialBody(view));
}

const STATUS_TEXT: Record<VerificationView['status'], string> = {
  valid: 'Valid: the signature matches the issuer’s key and the credential has not been revoked.',
  revoked: 'Revoked: the issuer has withdrawn this credential.',
  expired: 'Expired: the credential’s validity period has ended.',
  invalid: 'Not valid.',
};

function credentialBody(view: PublicCredentialView): SafeHtml {
  const facts = view.credential;
  return html`<article class="card credential status-${view.status}">
    <p class="eyebrow">Open Badges 3.0 credential</p>
    <h1>${facts?.achievement?.name ?? 'Credential'}</h1>
    <p class="verdict" data-status="${view.status}">${badge(view.status)} ${STATUS_TEXT[view.status]}${view.status === 'invalid' && view.message ? ` ${view.message}` : ''}</p>
    ${factsList(facts, view.revokedAt)}
    <p class="muted">Verified ${time(view.verifiedAt)} against the issuer’s public key (<a href="/.well-known/jwks.json">JWKS</a>)${view.statusChecked ? ' and its revocation list' : ''}.</p>
    <p><a class="button secondary" href="${view.jwtUrl}">Download the signed credential (JWT)</a></p>
  </article>`;
}

function factsList(facts: CredentialFacts | null, revokedAt: string | null): SafeHtml {
  if (!facts) return html``;
  return html`<dl class="facts">
    <dt>Issuer</dt><dd>${facts.issuer?.name ?? ''} <code>${facts.issuer?.id ?? 'unknown'}</code></dd>
    ${facts.achievement?.description ? html`<dt>Achievement</dt><dd>${facts.achievement.description}</dd>` : ''}
    ${facts.achievement?.criteria ? html`<dt>Criteria</dt><dd>${facts.achievement.criteria}</dd>` : ''}
    <dt>Issued</dt><dd>${time(facts.validFrom)}</dd>
    <dt>Valid until</dt><dd>${facts.validUntil ? time(facts.validUntil) : 'no expiry'}</dd>
    ${revokedAt ? html`<dt>Revoked</dt><dd>${time(revokedAt)}</dd>` : ''}
    <dt>Credential id</dt><dd><code>${facts.id ?? ''}</code></dd>
    <dt>Evidence</dt><dd>${
      facts.evidence.length
        ? html`<ul class="plain">${facts.evidence.map((e) => html`<li>${e.name ?? 'Evidence'}<br><span class="muted">sha256</span> <code class="hash">${e.sha256 ?? e.id}</code></li>`)}</ul>`
        : 'none listed'
    }</dd>
  </dl>`;
}

async function credentialJwt(ctx: RequestContext): Promise<Reply> {
  const credential = await ctx.portal.publicCredentialJwt(ctx.param('id'));
  if (!credential) throw new HttpError(404, 'credential-not-found', 'No credential with this id was issued here.');
  return download(credential.jwt, 'application/vc+jwt', `credential-${credentialSlug(credential.id)}.jwt`);
}

function verifyPage(ctx: RequestContext, jwt = '', result?: VerificationView): Reply {
  return page(
    ctx,
    { title: 'Verify a credential', area: 'public' },
    html`<section class="card">
      <h1>Verify a credential</h1>
      <p>Paste a credential (a VC-JWT) issued by this SkillProof installation. Its signature is checked against the issuer’s public key and its status against the issuer’s revocation list.</p>
      <form method="post" action="/verify">
        <label for="jwt">Credential (JWT)</label>
        <textarea id="jwt" name="jwt" rows="6" spellcheck="false" required maxlength="32768">${jwt}</textarea>
        <button type="submit">Verify</button>
      </form>
    </section>
    ${result
      ? html`<section class="card credential status-${result.status}" aria-live="polite">
          <h2>${result.credential?.achievement?.name ?? 'Result'}</h2>
          <p class="verdict" data-status="${result.status}">${badge(result.status)} ${STATUS_TEXT[result.status]}${result.status !== 'valid' && result.message ? ` ${result.message}` : ''}</p>
          ${factsList(result.credential, null)}
          ${result.credential?.id?.startsWith('urn:uuid:') ? html`<p><a href="/credentials/${credentialSlug(result.credential.id)}">Open its verification page</a></p>` : ''}
        </section>`
      : ''}`,
  );
}

/** Verification changes nothing, so this public form needs no CSRF token. */
async function verify(ctx: RequestContext): Promise<Reply> {
  const form = await formBody(ctx.req);
  const { jwt } = validate(verifyRequest, { jwt: form.jwt ?? '' }, 'form');
  return verifyPage(ctx, jwt, await ctx.portal.verify(jwt));
}
