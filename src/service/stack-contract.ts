/**
 * What the service stack (cdk/lib/service-stack.ts) and the code it runs agree on, kept free of CDK
 * imports so the Lambda bundles do not carry aws-cdk-lib: the table's key names, the evidence
 * prefix, and the environment variables the stack sets besides SERVICE_ENV (./jobs.ts).
 */
import { STORE_TABLE } from '../store/dynamodb/table';

/** The key schema of the service's one DynamoDB table: the DynamoDB store's own definition (src/store/dynamodb/table.ts). */
export const SERVICE_TABLE_KEYS = {
  partitionKey: STORE_TABLE.partitionKey,
  sortKey: STORE_TABLE.sortKey,
  timeToLiveAttribute: STORE_TABLE.timeToLiveAttribute,
  globalSecondaryIndexes: STORE_TABLE.globalSecondaryIndexes,
} as const;

/** Evidence bundles live under this prefix of the evidence bucket, keyed by their sha256. */
export const EVIDENCE_PREFIX = 'evidence/';

/** Environment the lifecycle and API functions read besides SERVICE_ENV. */
export const SERVICE_STACK_ENV = {
  /** ARN of the attempt lifecycle state machine (the API starts executions of it). */
  lifecycleStateMachineArn: 'SKILLPROOF_LIFECYCLE_STATE_MACHINE_ARN',
  /** The sandbox account pool, comma-separated (as `sandbox deploy` reads it). */
  sandboxPool: 'SKILLPROOF_SANDBOX_POOL',
  /** The role SkillProof assumes in a pool account to deploy, freeze and destroy sandboxes. */
  adminRoleName: 'SKILLPROOF_ADMIN_ROLE',
  /** The principal sandbox grader roles trust (the worker's role): the lifecycle deploys sandboxes with it. */
  graderPrincipal: 'SKILLPROOF_GRADER_PRINCIPAL',
  /** The address people reach the portal at (share links, Secure cookies); default: the API's own. */
  publicUrl: 'SKILLPROOF_PUBLIC_URL',
  /** The issuer's signing key: the ARN of an AWS KMS key, ECC_NIST_P256 for SIGN_VERIFY (src/credentials/kms-signer.ts). */
  issuerKeyId: 'SKILLPROOF_ISSUER_KEY_ID',
  /** The issuer's id credentials name (did:web:… or an https URL), set with the key. */
  issuerId: 'SKILLPROOF_ISSUER_ID',
  /** The issuer's display name (default SkillProof). */
  issuerName: 'SKILLPROOF_ISSUER_NAME',
} as const;

/**
 * The final grading task's HeartbeatSeconds in the lifecycle: a `GradeTask` that hears nothing for
 * this long times out and its job is sent again (twice, then the attempt is recorded incomplete).
 */
export const GRADING_HEARTBEAT_SECONDS = 30 * 60;
/**
 * How often the worker sends SendTaskHeartbeat while it grades a job that carries a task token (and
 * once when it picks the job up): far inside GRADING_HEARTBEAT_SECONDS, so heartbeats lost to a
 * throttle are followed by others, and several times within the worker's 5-minute timeout.
 */
export const WORKER_HEARTBEAT_INTERVAL_SECONDS = 60;
