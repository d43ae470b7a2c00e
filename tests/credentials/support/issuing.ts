import { AttemptService } from '../../../src/attempts/attempt-service';
import type { AttemptTarget, Grade } from '../../../src/attempts/types';
import { initIssuer, loadIssuer, type LocalIssuer } from '../../../src/credentials/issuer-keys';
import type { IssuanceOptions } from '../../../src/credentials/issue';
import type { SigningAlgorithm } from '../../../src/credentials/vc-jwt';
import type { AttemptRecord } from '../../../src/store/types';
import { replaySandbox, scriptedGrade, tempStore } from '../../attempts/support/fixtures';

export const serverlessAchievement = {
  name: 'AWS Serverless Builder',
  description: 'Builds and secures a serverless API on AWS: API Gateway, Lambda and DynamoDB.',
  criteriaNarrative: 'Passed every task of the aws-serverless assessment, graded against the candidate’s own AWS resources.',
};

export interface IssuingContext extends ReturnType<typeof tempStore> {
  issuer: LocalIssuer;
  options: IssuanceOptions;
  /** Creates, starts and submits an attempt graded by `grade` (every task passes by default). */
  gradedAttempt(grade?: Grade, target?: AttemptTarget, candidate?: string): Promise<AttemptRecord>;
}

export async function issuingContext(alg: SigningAlgorithm = 'ES256', now?: () => Date): Promise<IssuingContext> {
  const ctx = tempStore(now);
  await initIssuer(ctx.dir, ctx.store, { id: 'did:web:badges.skillproof.example', name: 'SkillProof Test Issuer', alg });
  const issuer = await loadIssuer(ctx.dir, ctx.store);
  return {
    ...ctx,
    issuer,
    options: { store: ctx.store, issuer, achievement: () => serverlessAchievement, ...(now ? { now } : {}) },
    async gradedAttempt(grade = scriptedGrade(), target = { kind: 'assessment', assessmentId: 'aws-serverless', taskIds: ['orders-api', 'event-fanout'] }, candidate = 'ada@example.com') {
      const svc = new AttemptService({ store: ctx.store, grade, freeze: async () => undefined, ...(now ? { now } : {}) });
      const attempt = await svc.create({ candidate, target, sandbox: replaySandbox });
      await svc.start(attempt.id);
      return svc.submit(attempt.id);
    },
  };
}
