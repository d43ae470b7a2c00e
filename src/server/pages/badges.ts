import { issuerDocumentAt } from '../api';
import type { BadgeImage } from '../badges';
import { badgeDate } from '../badge-image';
import type { PublicBadgeView } from '../cohort-schemas';
import type { RequestContext } from '../context';
import { html, type SafeHtml } from '../html';
import { HttpError, type Reply } from '../http';
import { badge, page, time } from './layout';
import type { PageRoute } from './index';

/** The public badge page and its pictures. The picture routes come first: `/badges/{id}` would match `x.svg` too. */
export function badgePages(): PageRoute[] {
  return [
    { method: 'GET', path: '/badges/{id}.svg', handle: (ctx) => image(ctx, 'svg') },
    { method: 'GET', path: '/badges/{id}.png', handle: (ctx) => image(ctx, 'png') },
    { method: 'GET', path: '/badges/{id}', handle: badgePage },
  ];
}

const notIssued = () => new HttpError(404, 'badge-not-found', 'No credential with this id was issued here. Check the link you were given.');

/**
 * Badge pictures may be embedded anywhere (a profile, an e-mail signature), so other origins may
 * load them; they are cached briefly (5 minutes) and revalidated by ETag, so a revocation shows
 * within minutes.
 */
async function image(ctx: RequestContext, kind: 'svg' | 'png'): Promise<Reply> {
  const img: BadgeImage | undefined = kind === 'svg' ? await ctx.portal.badges.svg(ctx.param('id'), ctx.origin) : await ctx.portal.badges.png(ctx.param('id'), ctx.origin);
  if (!img) throw notIssued();
  const headers = { 'Content-Type': img.contentType, 'Cache-Control': 'public, max-age=300', ETag: img.etag, 'Cross-Origin-Resource-Policy': 'cross-origin' };
  const sent = ctx.req.headers['if-none-match'];
  if (sent && sent.split(',').some((t) => t.trim() === img.etag)) return { status: 304, headers };
  return { status: 200, headers, body: img.body };
}

async function badgePage(ctx: RequestContext): Promise<Reply> {
  const view = await ctx.portal.badges.publicBadge(ctx.param('id'), ctx.origin);
  if (!view) {
    // An issuer named did:web:<host>:badges keeps its DID document at /badges/did.json.
    const document = await issuerDocumentAt(ctx);
    if (document) return document;
    throw notIssued();
  }
  return page(ctx, { title: view.achievement.name, area: 'public', head: socialTags(view) }, view.status === 'valid' ? validBody(view) : withdrawnBody(view));
}

const NOT_VALID: Record<string, string> = {
  revoked: 'Revoked: the issuer has withdrawn this credential. It is no longer a badge of its holder.',
  expired: 'Expired: this credential’s validity period has ended.',
  invalid: 'Not valid: this credential did not pass verification.',
};

/** Open Graph and Twitter card tags; link previewers need absolute URLs and a raster image (see badge-image.ts). */
function socialTags(view: PublicBadgeView): SafeHtml {
  const issuer = view.issuer.name ?? view.issuer.id;
  if (view.status !== 'valid') {
    const title = `${view.status === 'revoked' ? 'Revoked' : view.status === 'expired' ? 'Expired' : 'Not valid'}: ${view.achievement.name}`;
    const description = NOT_VALID[view.status] ?? '';
    return html`<meta property="og:type" content="website">
<meta property="og:url" content="${view.pageUrl}">
<meta property="og:title" content="${title}">
<meta property="og:description" content="${description}">
<meta name="twitter:card" content="summary">
<meta name="twitter:title" content="${title}">
<meta name="twitter:description" content="${description}">
<meta name="robots" content="noindex">`;
  }
  const description = `Issued to ${view.issuedToText} by ${issuer} on ${badgeDate(view.issuedAt)}. ${view.achievement.description ?? ''}`.trim();
  const alt = `${view.achievement.name} badge from ${issuer}`;
  return html`<meta property="og:type" content="website">
<meta property="og:site_name" content="${issuer}">
<meta property="og:url" content="${view.pageUrl}">
<meta property="og:title" content="${view.achievement.name}">
<meta property="og:description" content="${description}">
<meta property="og:image" content="${view.previewImageUrl}">
<meta property="og:image:type" content="image/png">
<meta property="og:image:width" content="1200">
<meta property="og:image:height" content="630">
<meta property="og:image:alt" content="${alt}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="${view.achievement.name}">
<meta name="twitter:description" content="${description}">
<meta name="twitter:image" content="${view.previewImageUrl}">
<meta name="twitter:image:alt" content="${alt}">
<link rel="canonical" href="${view.pageUrl}">`;
}

function validBody(view: PublicBadgeView): SafeHtml {
  return html`<article class="card badge-page status-valid">
    <div class="badge-layout">
      <img class="badge-image" src="${view.imageUrl}" width="240" height="280" alt="${view.achievement.name} badge, issued by ${view.issuer.name ?? view.issuer.id}">
      <div>
        <p class="eyebrow">${view.achievement.type ?? 'Badge'}${view.track ? ` · ${view.track.label}` : ''}</p>
        <h1>${view.achievement.name}</h1>
        <p class="verdict" data-status="valid">${badge('valid')} Verified just now: the signature matches the issuer’s key and the credential has not been revoked.</p>
        ${facts(view)}
        <p class="badge-actions">
          ${view.linkedInAddToProfileUrl ? html`<a class="button" href="${view.linkedInAddToProfileUrl}" target="_blank" rel="noopener noreferrer">Add to LinkedIn profile</a>` : ''}
          <a class="button secondary" href="${view.verificationUrl}">Verification details</a>
        </p>
        <label for="badge-link">Link to this badge</label>
        <div class="share"><input id="badge-link" readonly value="${view.pageUrl}"><button type="button" class="secondary" data-copy="badge-link">Copy</button></div>
      </div>
    </div>
  </article>`;
}

function withdrawnBody(view: PublicBadgeView): SafeHtml {
  return html`<article class="card credential badge-page status-${view.status}">
    <p class="eyebrow">Credential</p>
    <h1>${view.achievement.name}</h1>
    <p class="verdict" data-status="${view.status}">${badge(view.status)} ${NOT_VALID[view.status] ?? ''}</p>
    <dl class="facts">
      <dt>Issuer</dt><dd>${view.issuer.name ?? ''} <code>${view.issuer.id}</code></dd>
      ${view.revokedAt ? html`<dt>Revoked</dt><dd>${time(view.revokedAt)}</dd>` : ''}
    </dl>
    <p><a href="${view.verificationUrl}">Verification details</a></p>
  </article>`;
}

function facts(view: PublicBadgeView): SafeHtml {
  return html`<dl class="facts">
    <dt>Issued to</dt><dd data-issued-to>${view.issuedToText}</dd>
    <dt>Issued by</dt><dd>${view.issuer.name ?? ''} <code>${view.issuer.id}</code></dd>
    <dt>Issued on</dt><dd>${time(view.issuedAt)}</dd>
    <dt>Valid until</dt><dd>${view.validUntil ? time(view.validUntil) : 'no expiry'}</dd>
    ${view.skills.length ? html`<dt>Skills shown</dt><dd><ul class="plain skills">${view.skills.map((s) => html`<li>${s}</li>`)}</ul></dd>` : ''}
    ${view.achievement.description ? html`<dt>What it certifies</dt><dd>${view.achievement.description}</dd>` : ''}
    ${view.achievement.criteria ? html`<dt>How it was earned</dt><dd>${view.achievement.criteria}</dd>` : ''}
  </dl>`;
}
