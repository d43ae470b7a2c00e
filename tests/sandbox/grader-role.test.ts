import { sandboxNames } from '../../cdk/lib/sandbox-naming';
import { iamRequestsOf, type IamRequest } from '../../src/aws/iam-requests';
import { loadCatalog, type CatalogEntry } from '../../src/catalog/load';
import { readBundle } from '../../src/evidence/bundle';
import type { Blueprint } from '../../src/model/task';
import { graderRoleFromTemplate } from '../../src/sandbox/grader-role';
import { describeMissingPermission, missingGraderPermissions } from '../../src/testing/grader-permissions';
import { listFixtureFiles } from '../../src/testing/scenarios';
import { ACCOUNT, buildSandbox, REGION } from '../cdk/build-sandbox';
import { SandboxIam } from '../cdk/sandbox-iam';

/**
 * Invariant 8 is checked by SkillProof's own evaluator (it ships with `grader test`); here the IAM
 * simulator (@cloud-copilot/iam-simulate, AGPL, tests only) decides the same requests against the
 * same synthesised template, and the two must agree — on every request the fixtures record, and on
 * the same requests aimed at a neighbouring resource, which resource-scoped probes must refuse.
 */

const catalog = loadCatalog();
const ATTEMPT = 't1';
const site = { region: REGION, accountId: ACCOUNT };

/** The fixtures' requests as a run of attempt t1 in the test account makes them. */
async function fixtureRequests(entry: CatalogEntry): Promise<IamRequest[]> {
  const found = new Map<string, IamRequest>();
  for (const f of listFixtureFiles(entry)) {
    const { run, transcript } = readBundle(f.file);
    for (const call of transcript) {
      for (const r of await iamRequestsOf(call, site)) {
        // SkillProof's own per-attempt resources (skillproof-<attempt>-orders) are named for this attempt.
        const request = { ...r, resource: r.resource.split(`skillproof-${run.attemptId}-`).join(`skillproof-${ATTEMPT}-`) };
        found.set(JSON.stringify(request), request);
      }
    }
  }
  return [...found.values()];
}

describe.each(catalog.ids())('%s grader role', (taskId) => {
  const entry = catalog.get(taskId);

  it('is decided alike by SkillProof and by the IAM simulator, for every recorded request and its neighbour', async () => {
    const { template, resolved } = buildSandbox([entry.task], ATTEMPT);
    const simulator = new SandboxIam(resolved);
    const ours = graderRoleFromTemplate(template as never, sandboxNames(ATTEMPT).graderRole);
    const requests = await fixtureRequests(entry);
    const neighbours = requests.filter((r) => r.resource !== '*' && !r.action.startsWith('apigateway:')).map((r) => ({ ...r, resource: `${r.resource}-other` }));
    expect(requests.length).toBeGreaterThan(0);
    const disagreements: string[] = [];
    const undecided: string[] = [];
    for (const r of [...requests, ...neighbours]) {
      const mine = ours.decide(r, site, ATTEMPT).allowed;
      let theirs: boolean;
      try {
        theirs = (await simulator.decide(simulator.grader, r.action, r.resource)) === 'Allowed';
      } catch {
        undecided.push(`${r.action} on ${r.resource}`);
        continue;
      }
      if (mine !== theirs) disagreements.push(`${r.action} on ${r.resource}: SkillProof ${mine ? 'allows' : 'refuses'}, the simulator ${theirs ? 'allows' : 'refuses'}`);
    }
    expect(disagreements).toEqual([]);
    // The simulator's data lacks the HTTP API paths (/apis…) for apigateway:GET; nothing else may go undecided.
    expect(undecided.filter((u) => !/^apigateway:GET on arn:aws:apigateway:[a-z0-9-]+::\/apis/.test(u))).toEqual([]);
    // What the fixtures recorded is allowed (the same judgement tests/tasks/fixtures.test.ts makes).
    expect(requests.filter((r) => !ours.decide(r, site, ATTEMPT).allowed).map((r) => `${r.action} on ${r.resource}`)).toEqual([]);
  }, 120_000);
});

describe('a grader whose task does not grant what it calls', () => {
  const queueWorker = catalog.get('serverless-queue-worker');
  const files = listFixtureFiles(queueWorker);
  const withGrader = (change: (g: Blueprint['grader']) => Partial<Blueprint['grader']>): CatalogEntry => {
    const { blueprint } = queueWorker.task;
    return { ...queueWorker, task: { ...queueWorker.task, blueprint: { ...blueprint, grader: { ...blueprint.grader, ...change(blueprint.grader) } } } };
  };

  it('is reported, naming the action and the resource, when a read is missing from the blueprint', async () => {
    const missing = await missingGraderPermissions(withGrader((g) => ({ reads: g.reads.filter((a) => a !== 'sqs:GetQueueAttributes') })), files);
    expect(missing.map((m) => [m.action, m.resource, m.calls])).toEqual([
      ['sqs:GetQueueAttributes', 'arn:aws:sqs:eu-west-1:111122223333:orders-dlq', ['SQS.GetQueueAttributes']],
      ['sqs:GetQueueAttributes', 'arn:aws:sqs:eu-west-1:111122223333:orders-queue', ['SQS.GetQueueAttributes']],
    ]);
    expect(describeMissingPermission(missing[0]!)).toMatch(/^the grader role does not allow sqs:GetQueueAttributes on arn:aws:sqs:eu-west-1:111122223333:orders-dlq: not granted; called as SQS.GetQueueAttributes in pass\//);
  }, 120_000);

  it('is reported when a probe is scoped to other resources than the ones it acts on', async () => {
    const missing = await missingGraderPermissions(withGrader((g) => ({ probeResources: { ...g.probeResources, 'sqs:ReceiveMessage': ['arn:aws:sqs:{region}:{account}:orders-queue'] } })), files);
    expect(missing.map((m) => `${m.action} on ${m.resource}`)).toEqual(['sqs:ReceiveMessage on arn:aws:sqs:eu-west-1:111122223333:orders-dlq']);
  }, 120_000);

  it('is reported for a probe that is granted nowhere', async () => {
    const missing = await missingGraderPermissions(withGrader((g) => ({ probes: g.probes.filter((p) => p !== 'sqs:DeleteMessage'), probeResources: Object.fromEntries(Object.entries(g.probeResources).filter(([a]) => a !== 'sqs:DeleteMessage')) })), files);
    expect(missing.map((m) => m.action)).toEqual(['sqs:DeleteMessage']);
  }, 120_000);
});
