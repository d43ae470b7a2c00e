import { createHash } from 'node:crypto';
import { normaliseCredentialId } from '../credentials/issue';
import { badgePath } from '../credentials/paths';
import type { BadgeStore } from '../store/badge-types';
import { badgePreviewPng, badgeSvg, type BadgeImageStatus } from './badge-image';
import type { PublicBadgeView } from './cohort-schemas';
import { HttpError } from './http';
import { actorOf, credentialSlug, type Portal, type Principal } from './portal';

/** What the badge page says when the holder has not chosen a name to show. */
export const ANONYMOUS_HOLDER = 'a verified holder';

const TRACK_LABELS: Record<string, string> = { 'aws-serverless': 'AWS Serverless', 'aws-agentic-ai': 'AWS Agentic AI' };

/**
 * LinkedIn's "Add to profile" link for a certification, as LinkedIn documents it for issuers
 * (https://addtoprofile.linkedin.com/ — "Add to Profile for certifications"):
 * https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=…&organizationName=…
 * &issueYear=…&issueMonth=…&expirationYear=…&expirationMonth=…&certUrl=…&certId=…
 * Months are 1–12; `organizationId` may replace `organizationName` when the issuer has a LinkedIn
 * page id, which SkillProof does not know, so the name is sent.
 */
export function linkedInAddToProfileUrl(input: { name: string; organizationName: string; issuedAt: string; validUntil: string | null; certUrl: string; certId: string }): string {
  const issued = new Date(input.issuedAt);
  const params = new URLSearchParams({
    startTask: 'CERTIFICATION_NAME',
    name: input.name,
    organizationName: input.organizationName,
    issueYear: String(issued.getUTCFullYear()),
    issueMonth: String(issued.getUTCMonth() + 1),
  });
  if (input.validUntil) {
    const until = new Date(input.validUntil);
    params.set('expirationYear', String(until.getUTCFullYear()));
    params.set('expirationMonth', String(until.getUTCMonth() + 1));
  }
  params.set('certUrl', input.certUrl);
  params.set('certId', input.certId);
  return `https://www.linkedin.com/profile/add?${params.toString()}`;
}

export interface BadgeImage {
  body: string | Buffer;
  contentType: string;
  etag: string;
}

/**
 * Public badge pages: what a credential certifies, to whom (as its holder chooses), verified live
 * against the issuer's key and status list on every request, so a revoked credential shows as
 * revoked, never as a badge.
 */
/** Preview PNGs depend only on status and track: drawn once per process. */
const previews = new Map<string, Buffer>();

export class BadgePortal {
  constructor(
    private readonly portal: Portal,
    private readonly store: BadgeStore | undefined,
  ) {}

  /** The badge of credential `id` (its uuid or urn:uuid), verified now; undefined if not issued here. */
  async publicBadge(id: string, origin: string): Promise<PublicBadgeView | undefined> {
    const credentialId = normaliseCredentialId(id);
    if (!credentialId.startsWith('urn:uuid:')) return undefined;
    const record = await this.portal.store.getCredential(credentialId);
    if (!record) return undefined;
    const verified = await this.portal.publicCredential(credentialId, origin);
    if (!verified) return undefined;
    const facts = verified.credential;
    const attempt = await this.portal.store.getAttempt(record.attemptId);
    const assessment = attempt && this.portal.catalog.has(attempt.targetId) === 'assessment' ? this.portal.catalog.assessment(attempt.targetId) : undefined;
    const skills = assessment ? assessment.tasks.map((t) => (this.portal.catalog.has(t) === 'task' ? this.portal.catalog.get(t).task.title : t)) : [];
    const shown = (await this.store?.getBadgeSettings(credentialId))?.shownName ?? null;
    const slug = credentialSlug(credentialId);
    const achievement = (record.credential.credentialSubject as { achievement?: { achievementType?: unknown } } | undefined)?.achievement;
    const name = facts?.achievement?.name ?? assessment?.title ?? 'Credential';
    const issuerName = facts?.issuer?.name ?? null;
    const pageUrl = `${origin}${badgePath(credentialId)}`;
    return {
      id: credentialId,
      status: verified.status,
      statusMessage: verified.message,
      verifiedAt: verified.verifiedAt,
      achievement: {
        id: facts?.achievement?.id ?? '',
        name,
        description: facts?.achievement?.description ?? null,
        criteria: facts?.achievement?.criteria ?? null,
        type: typeof achievement?.achievementType === 'string' ? achievement.achievementType : null,
      },
      track: assessment ? { id: assessment.track, label: TRACK_LABELS[assessment.track] ?? assessment.track } : null,
      skills,
      issuer: { id: facts?.issuer?.id ?? '', name: issuerName },
      issuedAt: record.validFrom,
      validUntil: record.validUntil,
      revokedAt: record.revokedAt,
      issuedTo: shown,
      issuedToText: shown ?? ANONYMOUS_HOLDER,
      pageUrl,
      imageUrl: `${pageUrl}.svg`,
      previewImageUrl: `${pageUrl}.png`,
      verificationUrl: `${origin}/credentials/${slug}`,
      jwtUrl: verified.jwtUrl,
      linkedInAddToProfileUrl:
        verified.status === 'valid'
          ? linkedInAddToProfileUrl({ name, organizationName: issuerName ?? facts?.issuer?.id ?? 'SkillProof', issuedAt: record.validFrom, validUntil: record.validUntil, certUrl: pageUrl, certId: slug })
          : null,
    };
  }

  async svg(id: string, origin: string): Promise<BadgeImage | undefined> {
    const badge = await this.publicBadge(id, origin);
    if (!badge) return undefined;
    const body = badgeSvg({
      status: badge.status as BadgeImageStatus,
      title: badge.achievement.name,
      track: badge.track?.label ?? 'SkillProof',
      trackId: badge.track?.id ?? '',
      issuer: badge.issuer.name ?? badge.issuer.id,
      issuedAt: badge.issuedAt,
    });
    return { body, contentType: 'image/svg+xml; charset=utf-8', etag: etagOf(body) };
  }

  async png(id: string, origin: string): Promise<BadgeImage | undefined> {
    const badge = await this.publicBadge(id, origin);
    if (!badge) return undefined;
    const key = `${badge.status}:${badge.track?.id ?? ''}`;
    let body = previews.get(key);
    if (!body) {
      body = badgePreviewPng(badge.status as BadgeImageStatus, badge.track?.id ?? '');
      previews.set(key, body);
    }
    return { body, contentType: 'image/png', etag: etagOf(body) };
  }

  /** The name the holder's badge shows, for their own attempt's credential. */
  async ownShownName(principal: Principal, attemptId: string): Promise<string | null> {
    const credential = await this.portal.candidateCredential(principal, attemptId);
    return (await this.store?.getBadgeSettings(credential.id))?.shownName ?? null;
  }

  /** Sets (or with null removes) the name the badge of the holder's own credential shows. */
  async setShownName(principal: Principal, attemptId: string, shownName: string | null, origin: string): Promise<PublicBadgeView> {
    const credential = await this.portal.candidateCredential(principal, attemptId);
    if (!this.store) throw new HttpError(503, 'badges-unavailable', 'This server keeps no badge settings; an operator starts it with a badge store.');
    await this.store.setBadgeShownName(credential.id, shownName, {
      actor: actorOf(principal),
      action: shownName === null ? 'badge.shown-name-removed' : 'badge.shown-name-set',
      subject: credential.id,
      data: { named: shownName !== null },
    });
    return (await this.publicBadge(credential.id, origin)) as PublicBadgeView;
  }
}

const etagOf = (body: string | Buffer) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
