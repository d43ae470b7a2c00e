/**
 * What the service stack (cdk/lib/service-stack.ts) and the code it runs agree on, kept free of CDK
 * imports so the Lambda bundles do not carry aws-cdk-lib: the table's key names, the evidence
 * prefix, and the environment variables the stack sets besides SERVICE_ENV (./jobs.ts).
 */

/**
 * The key schema of the service's one DynamoDB table (single-table design). The DynamoDB store
 * (src/store/dynamodb/) defines its items on these names; the lead points this constant at that
 * definition when both are on main.
 */
export const SERVICE_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk', timeToLiveAttribute: 'ttl' } as const;

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
} as const;
