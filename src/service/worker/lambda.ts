/**
 * The grading worker's Lambda entry: an SQS event source mapping with ReportBatchItemFailures
 * delivers batches of grading jobs; the answer names the messages to deliver again. The function's
 * timeout must stay below the queue's visibility timeout, or a job still grading is delivered to a
 * second worker (harmless, since jobs are idempotent, but wasted).
 */
import type { SQSBatchResponse, SQSEvent, SQSHandler, SQSRecord } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { assessmentRule } from '../../attempts/assessment-rule';
import { createGrade, issuerEvidenceSigner } from '../../attempts/grading';
import { everyTaskMustPass } from '../../attempts/types';
import { serviceCatalog } from '../../catalog/service-catalog';
import { assessmentIssuance } from '../../credentials/assessment-achievement';
import { issueCredential } from '../../credentials/issue';
import { hasIssuer, loadIssuer } from '../../credentials/issuer-keys';
import { resolveDataDir } from '../../store/data-dir';
import type { Store } from '../../store/types';
import { serviceIssuerSource } from '../issuer';
import { SERVICE_STACK_ENV } from '../stack-contract';
import { workerConfigFromEnv } from './config';
import { processJobs, type WorkerDeps, type WorkerLog, type WorkerMessage } from './process-jobs';
import { sfnTaskCallbacks } from './task-callbacks';
import { DynamoDbTokenBucket } from './token-bucket';

export function toWorkerMessage(record: SQSRecord): WorkerMessage {
  const count = Number(record.attributes.ApproximateReceiveCount);
  return {
    messageId: record.messageId,
    body: record.body,
    receiveCount: Number.isFinite(count) && count > 0 ? count : 1,
    ...(record.attributes.MessageGroupId !== undefined ? { groupId: record.attributes.MessageGroupId } : {}),
  };
}

/** A handler over the given dependencies, made once per container on the first event. */
export function createWorkerHandler(makeDeps: () => WorkerDeps | Promise<WorkerDeps>): (event: SQSEvent) => Promise<SQSBatchResponse> {
  let deps: Promise<WorkerDeps> | undefined;
  return async (event) => {
    deps ??= Promise.resolve().then(makeDeps);
    let ready: WorkerDeps;
    try {
      ready = await deps;
    } catch (e) {
      // Nothing can be graded: report every message, and build the dependencies again next time.
      deps = undefined;
      console.log(JSON.stringify({ level: 'error', event: 'worker-unconfigured', error: (e as Error).message }));
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    const { batchItemFailures } = await processJobs(event.Records.map(toWorkerMessage), ready);
    return { batchItemFailures };
  };
}

/** The store SKILLPROOF_STORE names, opened by the store module's `openStore` (SQLite or DynamoDB + S3). */
function openConfiguredStore(spec: string): Store {
  const { openStore } = require('../../store/open-store') as { openStore: (spec: string) => Store }; // eslint-disable-line @typescript-eslint/no-require-imports
  return openStore(spec);
}

/** The worker as deployed: configuration from SERVICE_ENV, the task catalog bundled with the function. */
export async function workerDepsFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<WorkerDeps> {
  const config = workerConfigFromEnv(env);
  const log: WorkerLog = (entry) => console.log(JSON.stringify(entry));
  const store = openConfiguredStore(config.store);
  const catalog = serviceCatalog();
  // The service's issuer key is in KMS (SKILLPROOF_ISSUER_KEY_ID); a local run may keep one in the
  // data directory (SKILLPROOF_HOME). Without either, evidence is stored unsigned and passed attempts
  // wait, graded, for `credential issue`. A KMS failure here fails the batch, to be delivered again.
  const dataDir = resolveDataDir({ env });
  const issuer = env[SERVICE_STACK_ENV.issuerKeyId]
    ? await serviceIssuerSource(env, async () => store)()
    : hasIssuer(dataDir)
      ? await loadIssuer(dataDir, store)
      : undefined;
  if (!issuer) log({ level: 'warn', event: 'no-issuer', dataDir, reason: 'evidence is not signed and no credential is issued by this worker' });
  const bucket =
    config.accountCallsPerSecond !== undefined && config.rateTable
      ? new DynamoDbTokenBucket({ dynamodb: new DynamoDBClient({}), tableName: config.rateTable, callsPerSecond: config.accountCallsPerSecond })
      : undefined;
  const grade = createGrade(catalog, {
    ...(issuer ? { signEvidence: issuerEvidenceSigner(async () => issuer) } : {}),
    ...(bucket ? { paceFor: (accountId: string) => bucket.limiter(accountId) } : {}),
  });
  return {
    store,
    grade,
    ruleFor: (attempt) => (attempt.kind === 'assessment' ? assessmentRule(catalog.assessment(attempt.targetId)) : everyTaskMustPass),
    ...(issuer
      ? {
          issue: async (attempt) => {
            await issueCredential({ store, issuer, ...assessmentIssuance(catalog.assessment(attempt.targetId)) }, attempt.id);
          },
        }
      : {}),
    callbacks: sfnTaskCallbacks(new SFNClient({}), log),
    ...(config.maxReceiveCount !== undefined ? { maxReceiveCount: config.maxReceiveCount } : {}),
    log,
  };
}

export const handler: SQSHandler = createWorkerHandler(() => workerDepsFromEnv());
