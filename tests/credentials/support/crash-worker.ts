/**
 * Child process for the crash-safety test. `work` runs attempts through check, submit, issue and
 * (sometimes) revoke until it is killed; `resume` finishes whatever the kills interrupted. Prints
 * `ready` once loaded and `created <attempt-id>` after each attempt is committed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AttemptService } from '../../../src/attempts/attempt-service';
import type { Grade } from '../../../src/attempts/types';
import { issueCredential, revokeCredential, type IssuanceOptions } from '../../../src/credentials/issue';
import { loadIssuer } from '../../../src/credentials/issuer-keys';
import { canonicalJson, sha256Hex } from '../../../src/store/canonical-json';
import { SqliteStore } from '../../../src/store/sqlite-store';

const TASKS = ['orders-api', 'event-fanout'];

/** Deterministic per attempt, so a resumed grading agrees with the interrupted one: about one attempt in three fails. */
const grade: Grade = async (req) => {
  await sleep(Math.random() * 4);
  const fails = req.taskId === 'event-fanout' && parseInt(req.attemptId.slice(-1), 16) % 3 === 0;
  const status = fails ? 'failed' : 'passed';
  const json = canonicalJson({ attemptId: req.attemptId, taskId: req.taskId, scope: req.scope, status });
  return { status, report: { status }, bundle: { sha256: sha256Hex(json), json } };
};

export async function main(dataDir: string, mode: 'work' | 'resume'): Promise<void> {
  const store = SqliteStore.open(dataDir);
  const issuer = await loadIssuer(dataDir, store);
  const attempts = new AttemptService({ store, grade, freeze: async () => sleep(1), checkIntervalMs: 0 });
  const issuance: IssuanceOptions = { store, issuer, achievement: () => ({ name: 'AWS Serverless', description: 'Serverless on AWS', criteriaNarrative: 'Pass every task' }) };
  process.stdout.write('ready\n');

  if (mode === 'work') {
    for (;;) {
      const created = await attempts.create({
        candidate: `cand-${Math.floor(Math.random() * 5)}`,
        target: { kind: 'assessment', assessmentId: 'aws-serverless', taskIds: TASKS },
        sandbox: { kind: 'replay', path: 'fixtures/pass' },
      });
      process.stdout.write(`created ${created.id}\n`);
      await attempts.start(created.id);
      await attempts.check(created.id);
      const graded = await attempts.submit(created.id);
      await sleep(Math.random() * 3);
      if (graded.result === 'passed') {
        const { credential } = await issueCredential(issuance, graded.id);
        if (credential.id.endsWith('0')) await revokeCredential({ store }, credential.id, 'crash test');
      }
    }
  }

  for (const attempt of await store.listAttempts()) {
    if (attempt.state === 'created') await attempts.start(attempt.id);
    if (attempt.state === 'created' || attempt.state === 'active' || attempt.state === 'submitted') {
      const graded = await attempts.submit(attempt.id);
      if (graded.result === 'passed') await issueCredential(issuance, attempt.id);
    } else if (attempt.state === 'graded' && attempt.result === 'passed') {
      await issueCredential(issuance, attempt.id);
    }
  }
  store.close();
}
