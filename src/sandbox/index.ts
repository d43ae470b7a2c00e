/**
 * Sandboxes: synthesise an attempt's TaskSandboxStack, deploy it into a pool account with one
 * CloudFormation call, freeze it, destroy it, and hand the candidate temporary access.
 * The CLI imports the modules it needs inside its actions, so `--help` never loads CDK or the SDK.
 */
export { sandboxAccess, type AccessOptions, type SandboxAccess } from './access';
export { deploySandbox, formatFreezeAt, MAX_TEMPLATE_BODY_BYTES, type DeployOptions, type DeployResult } from './deploy';
export { destroySandbox, freezeSandbox, type DestroyResult, type ExistingSandboxOptions, type FreezeResult } from './operations';
export { checkPool, parsePool, POOL_ENV, SandboxError, type SandboxErrorCode, type SandboxTarget } from './session';
export type { StackProgress } from './stack-watch';
export { checkAccountQuotas, type QuotaReading, type QuotaTarget } from './quotas';
export { resolveSandboxTasks, synthSandbox, type SandboxContents, type SandboxTask, type SynthOptions, type SynthResult } from './synth';
