import { cleanAccount, JournalError, type CleanupDeps, type CleanupJournal, type CleanupOutcome } from '../../../src/pool/cleanup';
import { ACCOUNT, CANDIDATE_STACK_ID, IMITATION_STACK_ID, REGION, sampleAccount } from './sample-account';
import { simulateAccount, type SimAccount } from './sim-account';
import type { SimResource, SimStore } from './sim-store';

const TARGET = { accountId: ACCOUNT, regions: [REGION], partition: 'aws', leaseId: 'lease-7' };

function memoryJournal(entries = new Map<string, string>()): CleanupJournal & { entries: Map<string, string> } {
  return { entries, get: async (key) => entries.get(key), put: async (key, value) => void entries.set(key, value) };
}

function deps(): CleanupDeps & { slept: number[] } {
  let now = Date.parse('2030-01-01T12:00:00Z');
  const slept: number[] = [];
  return {
    slept,
    clock: { now: () => now, sleep: async (ms) => void slept.push(ms, (now += ms)) },
    logger: { info: () => undefined, warn: () => undefined },
    maxTries: 5,
  };
}

/** Resources that exist now, ignoring what only the simulation tracks (object versions, agent sub-objects) and finished stacks. */
const live = (store: SimStore) => [...store.resources.values()].filter((r) => r.state.status !== 'DELETE_COMPLETE');
const keys = (resources: SimResource[]) => resources.map((r) => r.key).sort();
const position = (store: SimStore, command: string, match: (input: Record<string, unknown>) => boolean = () => true) => {
  const i = store.calls.findIndex((c) => c.command === command && match(c.input));
  if (i < 0) throw new Error(`${command} was never called`);
  return i;
};

describe('cleanAccount', () => {
  let sim: SimAccount;
  let skillProofs: SimResource[];
  beforeEach(() => {
    const sample = sampleAccount();
    skillProofs = sample.skillProofs;
    sim = simulateAccount(sample.store);
  });
  afterEach(() => sim.restore());

  describe('an account holding one of each resource the tasks create', () => {
    let outcome: CleanupOutcome;
    beforeEach(async () => {
      outcome = await cleanAccount(TARGET, memoryJournal(), deps());
    });

    it('leaves only SkillProof’s and AWS’s resources, and verification proves it clean', () => {
      expect(outcome).toMatchObject({ status: 'clean', verifiedAt: expect.stringMatching(/^2030-01-01T12:\d\d:\d\d\.000Z$/) });
      expect(keys(live(sim.store))).toEqual(keys(skillProofs));
    });

    it('reports what it removed by ARN, the candidate stack and the imitations of SkillProof’s names included', () => {
      expect(outcome.removed).toEqual(
        expect.arrayContaining([
          CANDIDATE_STACK_ID,
          IMITATION_STACK_ID,
          'arn:aws:iam::111122223333:role/skillproof/skillproof-att-1-helper',
          `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/skillproof-att-1-orders-copy`,
          `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-fn`,
          `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-fn:live`,
          `arn:aws:bedrock:${REGION}:${ACCOUNT}:agent/SUPERVIS01`,
          `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/eu-west-1_Seed00001/client/sneakyclient1`,
          'arn:aws:s3:::orders-app-artifacts-1x2y3z',
        ]),
      );
      expect(outcome.removed).not.toContain(`arn:aws:bedrock:${REGION}:${ACCOUNT}:agent-alias/SUPERVIS01/TSTALIASID`);
    });

    it('never changes SkillProof’s resources: no write names them', () => {
      const ids = [...skillProofs.map((r) => r.id), 'skillproof-att-1'];
      const writes = sim.store.mutations().filter((c) => !(c.command === 'DeleteUserPoolClient' && c.input.ClientId === 'sneakyclient1'));
      const touching = writes.filter((c) => ids.some((id) => JSON.stringify(c.input).includes(`"${id}"`)));
      expect(touching).toEqual([]);
      expect(sim.store.calls.filter((c) => c.command === 'DeleteStack').map((c) => c.input.StackName)).not.toContain(skillProofs[0]!.id);
    });

    it('deletes the candidate stacks before anything else, retaining what failed once', () => {
      const writes = sim.store.mutations().map((c) => c.command);
      const firstOther = writes.findIndex((w) => !['DeleteStack', 'UpdateTerminationProtection'].includes(w));
      expect(writes.slice(0, firstOther)).toEqual(['DeleteStack', 'UpdateTerminationProtection', 'DeleteStack', 'DeleteStack']);
      expect(sim.store.calls.filter((c) => c.command === 'DeleteStack' && c.input.StackName === IMITATION_STACK_ID)).toHaveLength(1);
      const deletes = sim.store.calls.filter((c) => c.command === 'DeleteStack' && c.input.StackName === CANDIDATE_STACK_ID);
      expect(deletes.map((c) => c.input.RetainResources)).toEqual([undefined, ['Artifacts']]);
      expect(position(sim.store, 'DeleteBucket', (i) => i.Bucket === 'orders-app-artifacts-1x2y3z')).toBeGreaterThan(position(sim.store, 'DeleteObjects', (i) => i.Bucket === 'orders-app-artifacts-1x2y3z'));
    });

    it('removes what holds a resource before the resource', () => {
      const before = (a: [string, ((i: Record<string, unknown>) => boolean)?], b: [string, ((i: Record<string, unknown>) => boolean)?]) =>
        expect(position(sim.store, a[0], a[1])).toBeLessThan(position(sim.store, b[0], b[1]));
      before(['DeleteEventSourceMapping'], ['DeleteFunction', (i) => i.FunctionName === 'orders-fn']);
      before(['DeleteEventSourceMapping'], ['DeleteQueue']);
      before(['DeleteAlias'], ['DeleteFunction', (i) => i.FunctionName === 'orders-fn']);
      before(['RemoveTargets'], ['DeleteRule']);
      before(['DeleteRule', (i) => i.EventBusName === 'orders-bus'], ['DeleteEventBus']);
      before(['StopExecution'], ['DeleteStateMachine']);
      before(['DisassociateAgentCollaborator'], ['DeleteAgentAlias']);
      before(['DeleteAgentAlias'], ['DeleteAgent']);
      before(['DeleteAgent'], ['DeleteKnowledgeBase']);
      before(['DeleteDataSource'], ['DeleteKnowledgeBase']);
      before(['DeleteKnowledgeBase'], ['DeleteVectorBucket']);
      before(['DeleteKnowledgeBase'], ['DeleteCollection']);
      before(['DeleteIndex'], ['DeleteVectorBucket']);
      before(['DeleteCollection'], ['DeleteSecurityPolicy']);
      before(['DeleteAgentRuntimeEndpoint'], ['DeleteAgentRuntime']);
      before(['DeleteGatewayTarget'], ['DeleteGateway']);
      before(['DeleteGateway'], ['DeleteUserPool']);
      before(['DeleteUserPoolDomain'], ['DeleteUserPool']);
      before(['DeleteDeploymentGroup'], ['DeleteApplication']);
      before(['DeleteApplication'], ['DeleteFunction']);
      before(['Unsubscribe'], ['DeleteTopic']);
      before(['UpdateTable', (i) => i.DeletionProtectionEnabled === false], ['DeleteTable', (i) => i.TableName === 'skillproof-att-1-orders-copy']);
      before(['DeleteRolePolicy'], ['DeleteRole', (i) => i.RoleName === 'orders-fn-role']);
      before(['DetachRolePolicy'], ['DeletePolicyVersion']);
      before(['DeletePolicyVersion'], ['DeletePolicy']);
      before(['DeleteFunction'], ['DeleteLogGroup']);
      before(['DeleteFunction'], ['DeleteRole']);
      expect(sim.store.calls.filter((c) => c.command === 'DeleteAgentAlias').map((c) => c.input.agentAliasId)).not.toContain('TSTALIASID');
      expect(sim.store.calls.filter((c) => c.command === 'DeleteAgentRuntimeEndpoint').map((c) => c.input.endpointName)).toEqual(['canary']);
      expect(sim.store.calls.find((c) => c.command === 'DeleteRepository')?.input).toEqual({ repositoryName: 'helpdesk-agent', force: true });
    });

    it('empties buckets of every version and delete marker, and resets the API Gateway CloudWatch role', () => {
      const deleted = sim.store.calls.filter((c) => c.command === 'DeleteObjects' && c.input.Bucket === 'my-policy-docs-111122223333').flatMap((c) => (c.input.Delete as { Objects: object[] }).Objects);
      expect(deleted).toEqual(expect.arrayContaining([{ Key: 'leave.md', VersionId: 'v1' }, { Key: 'leave.md', VersionId: 'v2' }, { Key: 'old.md', VersionId: 'v3' }]));
      expect(sim.store.apiGatewayCloudWatchRole).toBeUndefined();
    });
  });

  it('is dirty when verification finds a type the deleter does not handle', async () => {
    // events:CreateConnection is denied to candidates, so the deleter has no phase for connections; Cloud Control still lists them.
    sim.store.add('AWS::Events::Connection', 'github', `arn:aws:events:${REGION}:${ACCOUNT}:connection/github/0a1b`);
    const outcome = await cleanAccount(TARGET, memoryJournal(), deps());
    expect(outcome.status).toBe('dirty');
    expect(outcome.status === 'dirty' && outcome.remaining).toEqual([
      { arn: `arn:aws:events:${REGION}:${ACCOUNT}:connection/github/0a1b`, reason: `still exists: Cloud Control lists AWS::Events::Connection "github" in ${REGION}` },
    ]);
  });

  it('is dirty when the tagging API lists a resource no other listing covers, and ignores its stale entries', async () => {
    sim.store.add('AWS::SSM::Parameter', '/orders/config', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/orders/config`, { tags: { app: 'orders' } });
    sim.store.staleTagged.push({ arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:deleted-last-week`, tags: { app: 'orders' } });
    const outcome = await cleanAccount(TARGET, memoryJournal(), deps());
    expect(outcome.status === 'dirty' && outcome.remaining.map((r) => r.arn)).toEqual([`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/orders/config`]);
    expect(outcome.status === 'dirty' && outcome.remaining[0]!.reason).toMatch(/Tagging API still lists it.*cannot confirm/);
  });

  it('is dirty, with the reason, when a bucket holds versions under Object Lock compliance retention', async () => {
    const bucket = sim.store.find('AWS::S3::Bucket', 'my-policy-docs-111122223333')!;
    sim.store.add('Sim::S3::ObjectVersion', 'locked', 'arn:aws:s3:::my-policy-docs/locked', { parent: bucket, state: { key: 'audit.md', versionId: 'v9', complianceLock: true } });
    const outcome = await cleanAccount(TARGET, memoryJournal(), deps());
    expect(outcome.status).toBe('dirty');
    const remaining = outcome.status === 'dirty' ? outcome.remaining : [];
    expect(remaining.find((r) => r.arn === 'arn:aws:s3:::my-policy-docs-111122223333')?.reason).toMatch(/1 object versions could not be deleted \(Object Lock.*\): audit\.md \(version v9\): AccessDenied/);
    expect(sim.store.find('AWS::S3::Bucket', 'my-policy-docs-111122223333')).toBeDefined();
  });

  it('is dirty, with CloudFormation’s reason, when a stack stays DELETE_FAILED even retaining what failed', async () => {
    sim.store.find('AWS::CloudFormation::Stack', CANDIDATE_STACK_ID)!.state.failsForever = true;
    const outcome = await cleanAccount(TARGET, memoryJournal(), deps());
    expect(outcome.status).toBe('dirty');
    const remaining = outcome.status === 'dirty' ? outcome.remaining : [];
    expect(remaining.find((r) => r.arn === CANDIDATE_STACK_ID)?.reason).toMatch(/stays DELETE_FAILED even retaining its failed resources: Artifacts \(AWS::S3::Bucket orders-app-artifacts-1x2y3z\): The bucket you tried to delete is not empty/);
  });

  it('retries throttled calls with backoff and still finishes clean', async () => {
    for (const [command, times] of [['DeleteRestApi', 3], ['ListFunctions', 2], ['ListResources', 1], ['GetResources', 2], ['DeleteRole', 1]] as const) sim.store.throttle.set(command, times);
    const d = deps();
    const outcome = await cleanAccount(TARGET, memoryJournal(), d);
    expect(outcome.status).toBe('clean');
    expect(sim.store.calls.filter((c) => c.command === 'DeleteRestApi')).toHaveLength(4);
    expect(d.slept.length).toBeGreaterThan(0);
  });

  it('is dirty, not clean, when throttling outlasts the retries', async () => {
    sim.store.throttle.set('ListQueues', 100);
    const outcome = await cleanAccount(TARGET, memoryJournal(), deps());
    expect(outcome.status).toBe('dirty');
    const remaining = outcome.status === 'dirty' ? outcome.remaining : [];
    expect(remaining.find((r) => r.arn === `arn:aws:sqs:${REGION}:${ACCOUNT}:*`)?.reason).toMatch(/clean-up phase sqs stopped: ThrottlingException/);
    expect(sim.store.find('AWS::SQS::Queue', `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/orders-queue`)).toBeDefined();
  });

  it('deletes nothing when it cannot tell which stacks are SkillProof’s', async () => {
    sim.store.throttle.set('ListStacks', 100);
    const outcome = await cleanAccount(TARGET, memoryJournal(), deps());
    expect(outcome).toEqual({
      status: 'dirty',
      removed: [],
      remaining: [{ arn: `arn:aws:iam::${ACCOUNT}:root`, reason: expect.stringMatching(/could not find SkillProof's own stacks, so nothing was deleted: ThrottlingException/) }],
    });
    expect(sim.store.mutations()).toEqual([]);
  });

  it('resumes after an interruption without redoing finished work', async () => {
    // An uninterrupted run, for comparison.
    const baseline = sampleAccount();
    const baselineSim = (sim.restore(), simulateAccount(baseline.store));
    await cleanAccount(TARGET, memoryJournal(), deps());
    const baselineWrites = baseline.store.mutations().map((c) => `${c.command} ${JSON.stringify(c.input)}`).sort();
    baselineSim.restore();

    const interrupted = sampleAccount();
    sim = simulateAccount(interrupted.store);
    // The process dies when recording the 20th removal: the journal holds what was done before.
    const entries = new Map<string, string>();
    let progressWrites = 0;
    const dying: CleanupJournal = {
      get: async (key) => entries.get(key),
      put: async (key, value) => {
        if (key.includes('/progress/') && ++progressWrites === 20) throw new Error('SIGKILL');
        entries.set(key, value);
      },
    };
    await expect(cleanAccount(TARGET, dying, deps())).rejects.toBeInstanceOf(JournalError);
    const firstRun = interrupted.store.calls.length;
    const donePhases = [...entries.keys()].filter((k) => /\/phase\//.test(k)).map((k) => k.split('/').pop());
    expect(donePhases).toEqual(expect.arrayContaining(['cloudformation-stacks', 'codedeploy', 'lambda-event-source-mappings', 'eventbridge']));

    const outcome = await cleanAccount(TARGET, memoryJournal(entries), deps());
    expect(outcome.status).toBe('clean');
    expect(outcome.removed).toHaveLength(new Set(outcome.removed).size);
    const secondRun = interrupted.store.calls.slice(firstRun).map((c) => c.command);
    for (const listOfDonePhase of ['ListApplications', 'ListEventSourceMappings', 'ListEventBuses']) expect(secondRun).not.toContain(listOfDonePhase);
    // Together the two runs made exactly the writes of one uninterrupted run: nothing was done twice.
    expect(interrupted.store.mutations().map((c) => `${c.command} ${JSON.stringify(c.input)}`).sort()).toEqual(baselineWrites);
    expect(keys(live(interrupted.store))).toEqual(keys(interrupted.skillProofs));
  });
});
