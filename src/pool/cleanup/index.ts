import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { errorText, withRetry } from './aws-call';
import { CleanupRun, JournalError, PhaseContext } from './context';
import { discoverSkillProofStacks, Ownership } from './ownership';
import { cleanAgentCore } from './services/agentcore';
import { cleanApiGateway } from './services/apigateway';
import { cleanBedrock, cleanBedrockAgents } from './services/bedrock';
import { cleanCodeBuild, cleanCodeDeploy } from './services/build-deploy';
import { cleanStacks } from './services/cloudformation';
import { cleanUserPools } from './services/cognito';
import { cleanTables } from './services/dynamodb';
import { cleanIam } from './services/iam';
import { cleanEventSourceMappings, cleanFunctions } from './services/lambda';
import { cleanEventBridge, cleanQueues, cleanStepFunctions, cleanTopics } from './services/messaging';
import { cleanCloudWatch, cleanLogs, cleanXRay } from './services/observability';
import { cleanBuckets, cleanOpenSearchServerless, cleanRepositories, cleanVectorBuckets } from './services/storage';
import type { CleanupDeps, CleanupJournal, CleanupOutcome, CleanupTarget, ClientFactory } from './types';
import { verifyAccount } from './verify';

export type { CleanupDeps, CleanupJournal, CleanupOutcome, CleanupTarget, ClientFactory } from './types';
export { JournalError } from './context';

export interface Phase {
  name: string;
  /** The IAM service prefix whose resources it removes (for messages when it cannot finish). */
  service: string;
  run(ctx: PhaseContext): Promise<void>;
}

/**
 * Per region, in dependency order: the candidate's stacks first (CloudFormation knows their order); then
 * what holds other things (deployments, event source mappings, rules and their targets, workflows, APIs,
 * agents before knowledge bases before guardrails, AgentCore) before what is held (functions, queues,
 * topics, tables, images, vector stores, user pools); monitoring and logs last, since deleting a service's
 * resources can still write logs.
 */
export const REGIONAL_PHASES: Phase[] = [
  { name: 'cloudformation-stacks', service: 'cloudformation', run: cleanStacks },
  { name: 'codedeploy', service: 'codedeploy', run: cleanCodeDeploy },
  { name: 'lambda-event-source-mappings', service: 'lambda', run: cleanEventSourceMappings },
  { name: 'eventbridge', service: 'events', run: cleanEventBridge },
  { name: 'step-functions', service: 'states', run: cleanStepFunctions },
  { name: 'api-gateway', service: 'apigateway', run: cleanApiGateway },
  { name: 'bedrock-agents', service: 'bedrock', run: cleanBedrockAgents },
  { name: 'bedrock', service: 'bedrock', run: cleanBedrock },
  { name: 'bedrock-agentcore', service: 'bedrock-agentcore', run: cleanAgentCore },
  { name: 'lambda-functions', service: 'lambda', run: cleanFunctions },
  { name: 'sqs', service: 'sqs', run: cleanQueues },
  { name: 'sns', service: 'sns', run: cleanTopics },
  { name: 'dynamodb', service: 'dynamodb', run: cleanTables },
  { name: 'codebuild', service: 'codebuild', run: cleanCodeBuild },
  { name: 'ecr', service: 'ecr', run: cleanRepositories },
  { name: 's3vectors', service: 's3vectors', run: cleanVectorBuckets },
  { name: 'opensearch-serverless', service: 'aoss', run: cleanOpenSearchServerless },
  { name: 'cognito', service: 'cognito-idp', run: cleanUserPools },
  { name: 'cloudwatch', service: 'cloudwatch', run: cleanCloudWatch },
  { name: 'xray', service: 'xray', run: cleanXRay },
  { name: 'logs', service: 'logs', run: cleanLogs },
];

/** Account-wide, after every region: S3 buckets (one listing for all regions; knowledge bases read them), then IAM last. */
export const GLOBAL_PHASES: Phase[] = [
  { name: 's3-buckets', service: 's3', run: cleanBuckets },
  { name: 'iam', service: 'iam', run: cleanIam },
];

const DEFAULT_PLATFORM_ROLES = ['OrganizationAccountAccessRole'];

const systemClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };
const consoleLogger = { info: (m: string) => console.error(m), warn: (m: string) => console.error(m) };

/**
 * Removes every resource the candidate could have made in a sandbox account, never SkillProof's own, then
 * proves the account empty with an independent enumeration. Progress is kept in `journal`, so a run that
 * was interrupted (the process killed, the journal unwritable) resumes without redoing finished work: run it
 * again with the same journal. Returns 'dirty' with every remaining resource and why; the lease code then
 * quarantines the account. Throws only JournalError (progress could not be recorded).
 */
export async function cleanAccount(target: CleanupTarget, journal: CleanupJournal, deps: CleanupDeps = {}): Promise<CleanupOutcome> {
  if (target.regions.length === 0) throw new Error(`cleanAccount: no regions given for account ${target.accountId}`);
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? consoleLogger;
  const maxTries = deps.maxTries ?? 8;
  const platformRoleNames = deps.platformRoleNames ?? DEFAULT_PLATFORM_ROLES;
  const clients: ClientFactory =
    deps.clients ?? (<C>(clientClass: new (config: object) => C, region: string) => new clientClass({ region, ...(deps.credentials ? { credentials: deps.credentials } : {}) }));
  const ownership = new Ownership(platformRoleNames);
  const run = new CleanupRun({ target, journal, ownership, clients, clock, logger, maxTries, deleteTimeoutMs: deps.deleteTimeoutMs ?? 20 * 60_000 });
  const accountArn = `arn:${target.partition}:iam::${target.accountId}:root`;
  const phaseIds: string[] = [];
  try {
    // Nothing is deleted unless SkillProof's own resources are known in every region.
    try {
      for (const region of target.regions) {
        const call = <T>(fn: () => Promise<T>) => withRetry(fn, { clock, maxTries });
        await discoverSkillProofStacks(run.client(CloudFormationClient, region), region, ownership, call);
      }
    } catch (err) {
      return { status: 'dirty', removed: [], remaining: [{ arn: accountArn, reason: `could not find SkillProof's own stacks, so nothing was deleted: ${errorText(err)}` }] };
    }

    const scheduled: Array<{ id: string; region: string; phase: Phase }> = [
      ...target.regions.flatMap((region) => REGIONAL_PHASES.map((phase) => ({ id: `${region}/${phase.name}`, region, phase }))),
      ...GLOBAL_PHASES.map((phase) => ({ id: `global/${phase.name}`, region: target.regions[0]!, phase })),
    ];
    for (const { id, region, phase } of scheduled) {
      phaseIds.push(id);
      if (await run.phaseDone(id)) {
        logger.info(`${id}: done in an earlier run`);
        continue;
      }
      const failuresBefore = run.failures.size;
      try {
        await phase.run(new PhaseContext(run, region, id));
      } catch (err) {
        if (err instanceof JournalError) throw err;
        run.fail(`arn:${target.partition}:${phase.service}:${region}:${target.accountId}:*`, `clean-up phase ${phase.name} stopped: ${errorText(err)}`);
      }
      // A phase with failures is not marked done, so a later run tries it again.
      if (run.failures.size === failuresBefore) await run.markPhaseDone(id);
    }

    const removed = await run.allRemoved(phaseIds);
    const remaining = new Map(run.failures);
    const passes = Math.max(1, deps.verifyPasses ?? 3);
    let findings: Array<{ arn: string; reason: string }> = [];
    for (let pass = 1; pass <= passes; pass++) {
      try {
        findings = await verifyAccount({ target, clients: run.client.bind(run), clock, logger, maxTries, platformRoleNames });
      } catch (err) {
        findings = [{ arn: accountArn, reason: `verification could not run: ${errorText(err)}` }];
      }
      if (findings.length === 0 || pass === passes) break;
      // Listings are eventually consistent: give deletions that AWS finishes later time to show.
      await clock.sleep(deps.verifySettleMs ?? 30_000);
    }
    for (const f of findings) remaining.set(f.arn, remaining.has(f.arn) ? `${remaining.get(f.arn)}; ${f.reason}` : f.reason);
    if (remaining.size === 0) return { status: 'clean', removed, verifiedAt: new Date(clock.now()).toISOString() };
    return { status: 'dirty', removed, remaining: [...remaining].map(([arn, reason]) => ({ arn, reason })) };
  } finally {
    // Clients from the caller's factory are the caller's to close.
    if (!deps.clients) run.destroyClients();
  }
}
