import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttemptService } from '../../src/attempts/attempt-service';
import { initIssuer, loadIssuer, type Issuer } from '../../src/credentials/issuer-keys';
import { issueCredential } from '../../src/credentials/issue';
import { buildOpenBadgeCredential, toDateTimeStamp } from '../../src/credentials/open-badge';
import { buildStatusListCredential, encodeStatusList } from '../../src/credentials/status-list';
import { createVerifier } from '../../src/credentials/verify';
import { signVcJwt, type SigningAlgorithm } from '../../src/credentials/vc-jwt';
import { canonicalJson, sha256Hex } from '../../src/evidence/canonical';
import { SqliteStore } from '../../src/store/sqlite-store';
import { opsPerSecond, round } from './stats';

/**
 * Credential operations per second on one core, per signing algorithm:
 * - sign: build an Open Badges 3.0 credential and sign it as a VC-JWT (what issuing costs in crypto);
 * - issue: the whole issueCredential (status index allocation, signing, SQLite transactions), one
 *   per attempt that passed (the attempts are prepared beforehand, outside the timing);
 * - verify: signature, validity period, shape and claims of a credential;
 * - verify + status: the same, plus verifying its status list credential and reading its bit.
 */

export type CredentialOps = Record<'sign' | 'issue' | 'verify' | 'verifyWithStatus', number | null>;

const ACHIEVEMENT = {
  name: 'AWS Serverless Builder',
  description: 'Builds and secures a serverless API on AWS.',
  criteriaNarrative: 'Passed every task of the aws-serverless assessment against real AWS resources.',
};

function credentialFor(issuer: Issuer, index: number) {
  return buildOpenBadgeCredential({
    id: `urn:uuid:${randomUUID()}`,
    issuer: issuer.profile,
    validFrom: toDateTimeStamp(new Date()),
    subject: { id: `urn:uuid:${randomUUID()}`, identifiers: [] },
    achievement: { id: `${issuer.baseUrl}/achievements/aws-serverless`, ...ACHIEVEMENT },
    evidence: [{ sha256: sha256Hex(`bundle-${index}`), name: 'Final grading of task serverless-orders-api', narrative: 'Replaying the bundle gives the same outcome.' }],
    status: { listUrl: issuer.statusListUrl(1), index },
  });
}

/** Attempts that passed their final grading, ready for a credential. */
async function passedAttempts(store: SqliteStore, count: number): Promise<string[]> {
  const grade = async () => {
    const report = { status: 'passed' };
    const json = canonicalJson(report);
    return { status: 'passed' as const, report, bundle: { sha256: sha256Hex(json), json } };
  };
  const service = new AttemptService({ store, grade, freeze: async () => undefined });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const attempt = await service.create({
      candidate: `candidate-${i}@example.com`,
      target: { kind: 'assessment', assessmentId: 'aws-serverless', taskIds: ['serverless-orders-api'] },
      sandbox: { kind: 'replay', path: 'tasks/serverless-orders-api/fixtures/pass' },
    });
    await service.start(attempt.id);
    ids.push((await service.submit(attempt.id)).id);
  }
  return ids;
}

/** Operations kept in flight, as a verifying service would (see opsPerSecond). */
export const IN_FLIGHT = 8;

export async function measureCredentials(alg: SigningAlgorithm, ms: number, issueCount: number, notes: string[]): Promise<CredentialOps> {
  const dir = mkdtempSync(join(tmpdir(), `skillproof-bench-${alg}-`));
  const store = SqliteStore.open(dir);
  try {
    await initIssuer(dir, store, { id: 'did:web:bench.skillproof.example', name: 'SkillProof Bench', alg });
    const issuer = await loadIssuer(dir, store);

    const sign = await opsPerSecond(ms, (i) => signVcJwt(credentialFor(issuer, i), issuer.key), IN_FLIGHT);

    const jwts = await Promise.all(Array.from({ length: 200 }, (_, i) => signVcJwt(credentialFor(issuer, i), issuer.key)));
    const verifier = createVerifier({ jwks: issuer.jwks });
    const verify = await opsPerSecond(ms, async (i) => {
      if (!(await verifier(jwts[i % jwts.length]!)).valid) throw new Error('a freshly signed credential did not verify');
    }, IN_FLIGHT);

    const now = new Date();
    const listJwt = await signVcJwt(
      buildStatusListCredential({
        listUrl: issuer.statusListUrl(1),
        issuerId: issuer.id,
        validFrom: toDateTimeStamp(now),
        validUntil: toDateTimeStamp(new Date(now.getTime() + 86_400_000)),
        encodedList: encodeStatusList([7, 4242]),
      }),
      issuer.key,
    );
    const withStatus = createVerifier({ jwks: issuer.jwks, resolveStatusList: async () => listJwt });
    const verifyWithStatus = await opsPerSecond(ms, async (i) => {
      const r = await withStatus(jwts[i % jwts.length]!);
      if (!r.valid && r.reason !== 'revoked') throw new Error(`status check failed: ${r.message}`);
    }, IN_FLIGHT);

    let issue: number | null = null;
    try {
      const attempts = await passedAttempts(store, issueCount);
      const options = { store, issuer, achievement: () => ACHIEVEMENT };
      const t0 = performance.now();
      for (const id of attempts) {
        if (!(await issueCredential(options, id)).created) throw new Error(`attempt ${id} already had a credential`);
      }
      issue = attempts.length / ((performance.now() - t0) / 1000);
    } catch (e) {
      notes.push(`credentials ${alg}: issue (with store) not measured: ${(e as Error).message.split('\n')[0]}`);
    }
    return { sign: round(sign), issue: issue === null ? null : round(issue), verify: round(verify), verifyWithStatus: round(verifyWithStatus) };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
