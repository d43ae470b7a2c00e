import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { hashIdentity } from '../../src/attempts/candidate';
import { issueCredential } from '../../src/credentials/issue';
import {
  buildOpenBadgeCredential,
  CredentialInputError,
  OB_CONTEXT,
  toDateTimeStamp,
  VC_CONTEXT_V2,
  type OpenBadgeCredential,
  type OpenBadgeInput,
} from '../../src/credentials/open-badge';

const decodeCredential = (jwt: string) => decodeJwt(jwt) as JWTPayload & OpenBadgeCredential;
import { issuingContext, serverlessAchievement, type IssuingContext } from './support/issuing';

describe('OpenBadgeCredential', () => {
  let ctx: IssuingContext;
  beforeEach(async () => {
    ctx = await issuingContext();
  });
  afterEach(() => ctx.cleanup());

  describe('as issued for a passed assessment', () => {
    it('has every property Open Badges 3.0 requires, with the right types', async () => {
      const attempt = await ctx.gradedAttempt();
      const { credential } = await issueCredential(ctx.options, attempt.id);
      const vc = decodeCredential(credential.jwt);
      const salt = await ctx.store.installationSalt();
      const candidate = await ctx.store.getCandidate(attempt.candidateId);
      const finals = await ctx.store.listGradingRuns(attempt.id, { scope: 'final', round: 1 });
      const allocation = await ctx.store.getStatusAllocation(attempt.id);

      expect(vc['@context']).toEqual([VC_CONTEXT_V2, OB_CONTEXT]);
      expect(vc.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(vc.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
      expect(vc.name).toBe(serverlessAchievement.name);
      expect(vc.issuer).toEqual({ id: 'did:web:badges.skillproof.example', type: ['Profile'], name: 'SkillProof Test Issuer' });
      expect(vc.validFrom).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(vc.validUntil).toBeUndefined();

      expect(vc.credentialSubject).toEqual({
        id: candidate?.subjectId,
        type: ['AchievementSubject'],
        identifier: [
          { type: 'IdentityObject', hashed: true, identityType: 'identifier', identityHash: hashIdentity(attempt.candidateId, salt), salt },
          { type: 'IdentityObject', hashed: true, identityType: 'emailAddress', identityHash: hashIdentity('ada@example.com', salt), salt },
        ],
        achievement: {
          id: 'https://badges.skillproof.example/achievements/aws-serverless',
          type: ['Achievement'],
          name: serverlessAchievement.name,
          description: serverlessAchievement.description,
          criteria: { narrative: serverlessAchievement.criteriaNarrative },
          achievementType: 'MicroCredential',
          resultDescription: [
            {
              id: 'https://badges.skillproof.example/achievements/aws-serverless#result-status',
              type: ['ResultDescription'],
              name: 'Assessment outcome',
              resultType: 'Status',
            },
          ],
        },
        result: [{ type: ['Result'], resultDescription: 'https://badges.skillproof.example/achievements/aws-serverless#result-status', status: 'Completed' }],
      });
      expect(JSON.stringify(vc)).not.toContain('ada@example.com');

      expect(vc.evidence).toEqual(
        finals.map((run) => ({ id: `urn:sha256:${run.bundleSha256}`, type: ['Evidence'], name: `Final grading of task ${run.taskId}`, narrative: expect.stringContaining(run.taskId) })),
      );
      expect(vc.credentialStatus).toEqual({
        id: `https://badges.skillproof.example/status/1#${allocation?.index}`,
        type: 'BitstringStatusListEntry',
        statusPurpose: 'revocation',
        statusListIndex: String(allocation?.index),
        statusListCredential: 'https://badges.skillproof.example/status/1',
      });
      expect(vc.credentialSchema).toEqual([
        { id: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json', type: '1EdTechJsonSchemaValidator2019' },
      ]);
    });

    it('maps the credential onto the JWT claims and a header of alg, kid and typ only (OB 3.0 §8.2)', async () => {
      const { credential } = await issueCredential({ ...ctx.options, validForDays: 365 }, (await ctx.gradedAttempt()).id);
      expect(decodeProtectedHeader(credential.jwt)).toEqual({ alg: 'ES256', kid: ctx.issuer.kid, typ: 'JWT' });
      const payload = decodeCredential(credential.jwt);
      expect(payload.iss).toBe(payload.issuer.id);
      expect(payload.jti).toBe(payload.id);
      expect(payload.sub).toBe(payload.credentialSubject.id);
      expect(payload.nbf).toBe(Date.parse(payload.validFrom) / 1000);
      expect(payload.exp).toBe(Date.parse(payload.validUntil ?? '') / 1000);
      expect(Number(payload.exp) - Number(payload.nbf)).toBe(365 * 86_400);
      expect(payload).not.toHaveProperty('iat');
      expect(credential.credential).toEqual(Object.fromEntries(Object.entries(payload).filter(([k]) => !['iss', 'jti', 'sub', 'nbf', 'exp'].includes(k))));
    });

    it('identifies a candidate who gave no e-mail by the hash of their pseudonymous id alone', async () => {
      const attempt = await ctx.gradedAttempt(undefined, undefined, 'cand-ada');
      const { credential } = await issueCredential(ctx.options, attempt.id);
      const subject = credential.credential.credentialSubject as { identifier: Array<{ identityType: string }> };
      expect(subject.identifier.map((i) => i.identityType)).toEqual(['identifier']);
      expect(JSON.stringify(credential.credential)).not.toContain('cand-ada');
    });
  });

  describe('buildOpenBadgeCredential', () => {
    const input: OpenBadgeInput = {
      id: 'urn:uuid:7f3c1a52-8a8e-4a0e-9d6e-0d1f4f7d1a10',
      issuer: { id: 'https://badges.example.edu/issuer', name: 'Example' },
      validFrom: new Date('2026-03-01T09:31:12.345Z'),
      subject: { identifiers: [{ identityType: 'identifier', identityHash: 'sha256$00', salt: 's' }] },
      achievement: { id: 'https://badges.example.edu/a/1', name: 'A', description: 'D', criteriaNarrative: 'C', achievementType: 'Certification' },
      evidence: [],
    };

    it('truncates validFrom to whole seconds so nbf can equal it exactly', () => {
      expect(buildOpenBadgeCredential(input).validFrom).toBe('2026-03-01T09:31:12Z');
      expect(toDateTimeStamp('2026-03-01T09:31:12.999+01:00')).toBe('2026-03-01T08:31:12Z');
    });

    it('adds a percentage result when a score is given', () => {
      const vc = buildOpenBadgeCredential({ ...input, scorePercent: 92.4 });
      expect(vc.credentialSubject.result).toContainEqual({ type: ['Result'], resultDescription: 'https://badges.example.edu/a/1#result-score', value: '92' });
      expect(vc.credentialSubject.achievement.resultDescription?.map((r) => r.resultType)).toEqual(['Status', 'Percent']);
    });

    it.each<[string, Partial<OpenBadgeInput>, RegExp]>([
      ['a credential id that is not a URI', { id: '1234' }, /Credential id must be a URI/],
      ['an achievement without criteria', { achievement: { ...input.achievement, criteriaNarrative: ' ' } }, /non-empty criteriaNarrative/],
      ['a subject with neither id nor identifier', { subject: { identifiers: [] } }, /needs an id or at least one identifier/],
      ['validUntil before validFrom', { validUntil: '2026-02-01T00:00:00Z' }, /must be after validFrom/],
      ['evidence without a sha256', { evidence: [{ sha256: 'abc', name: 'n', narrative: 'n' }] }, /lower-case hex sha256/],
    ])('refuses %s', (_what, override, message) => {
      expect(() => buildOpenBadgeCredential({ ...input, ...override })).toThrow(CredentialInputError);
      expect(() => buildOpenBadgeCredential({ ...input, ...override })).toThrow(message);
    });
  });
});
