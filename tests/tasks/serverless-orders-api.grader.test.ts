import { loadCatalog } from '../../src/catalog/load';
import { matchesIamPattern } from '../../src/catalog/iam-pattern';
import { actionKey, isReadAction } from '../../src/aws/operations';
import { readBundle } from '../../src/evidence/bundle';
import { listFixtureFiles, type FixtureKind } from '../../src/testing/scenarios';
import { gradedFixture, specifyFixtures, type FixtureSpec } from '../support/fixtures';

const entry = loadCatalog().get('serverless-orders-api');
const fixture = (kind: FixtureKind, name: string) => {
  const found = listFixtureFiles(entry).find((f) => f.kind === kind && f.name === name);
  if (!found) throw new Error(`no fixture ${kind}/${name}; re-record with \`bin/skillproof grader record serverless-orders-api\``);
  return found;
};
const transcript = (kind: FixtureKind, name: string) => readBundle(fixture(kind, name).file).transcript;
const graded = gradedFixture(entry);
const check = async (kind: FixtureKind, name: string, id: string) => (await graded(kind, name)).checks.find((c) => c.id === id);

/** Every fixture, as the sentence it stands for. */
const SPEC: FixtureSpec = [
  ['pass', 'rest-api-cdk', 'passes the reference CDK solution (REST API, grantWriteData)'],
  ['pass', 'http-api', 'passes an HTTP API whose route reports ApiKeyRequired: false'],
  ['alt', 'managed-policies-any-method', 'passes a console build: ANY /orders, a named stage, an alias, managed logging and X-Ray policies'],
  ['alt', 'explicit-deny-narrows-wildcard', 'passes dynamodb:*Item narrowed by an explicit Deny of the reads'],
  ['alt', 'sam-http-api-write-policy', "passes SAM's implicit HTTP API with DynamoDBWritePolicy and AWSXrayWriteOnlyAccess"],
  ['alt', 'terraform-rest-explicit-stages', 'passes Terraform stages where the first listed predates the route, with [table, table/*]'],
  ['alt', 'http-api-stale-default-stage-paged', 'passes a stale $default stage when a live stage on the second page serves the route'],
  ['fail', 'role-dynamodb-star', 'fails when the role allows dynamodb:* on *'],
  ['fail', 'role-dynamodb-full-access', 'fails when the role has AmazonDynamoDBFullAccess'],
  ['fail', 'role-reads-table', 'fails when the role may also read and scan the table'],
  ['fail', 'role-cannot-write', 'fails when the role cannot write to the table'],
  ['fail', 'sam-crud-policy', "fails SAM's DynamoDBCrudPolicy, which reads as well as writes"],
  ['fail', 'table-policy-grants-reads', "fails when the table's resource-based policy lets the role read it"],
  ['fail', 'tracing-off', 'fails when active tracing is off'],
  ['fail', 'wrong-partition-key', 'fails when the table is keyed by id'],
  ['fail', 'numeric-key-with-sort-key', 'fails when orderId is a Number with a sort key'],
  ['fail', 'route-not-integrated', 'fails when POST /orders has no integration'],
  ['fail', 'wrong-method', 'fails when only GET /orders exists'],
  ['fail', 'no-api', 'fails when no API is named orders-api'],
  ['fail', 'two-apis', 'fails when two APIs are named orders-api'],
  ['fail', 'not-deployed', 'fails when the API has no stage'],
  ['fail', 'rest-stage-not-redeployed', 'fails when the only REST stage was deployed before POST /orders existed'],
  ['fail', 'http-stage-not-redeployed', 'fails when the only HTTP API stage does not auto-deploy and predates POST /orders'],
  ['fail', 'invoke-open-to-any-api', 'fails when any API may invoke the function'],
  ['fail', 'invoke-open-to-account-apis', "fails when every API of the account may invoke the function"],
  ['fail', 'invoke-open-on-unqualified-function', "fails when the alias is scoped but the unqualified function's policy is open"],
  ['fail', 'order-not-stored', 'fails when the order is answered but never stored'],
  ['fail', 'function-crashes', 'fails when the function crashes (502)'],
  ['error', 'throttling-persistent', 'is incomplete when DynamoDB keeps throttling'],
  ['error', 'grader-access-denied', "is incomplete when the grader may not read the role's policy"],
  ['error', 'wrong-account', 'is incomplete when the credentials belong to another account'],
];

describe('serverless-orders-api', () => {
  specifyFixtures(entry, SPEC);

  it('records an HTTP API route as AWS returns it, ApiKeyRequired: false included, and grades it passed', async () => {
    const routes = transcript('pass', 'http-api').find((c) => c.operation === 'GetRoutes')?.output as { Items: Array<Record<string, unknown>> };
    expect(routes.Items[0]).toMatchObject({ ApiKeyRequired: false, AuthorizationType: 'NONE', RouteKey: 'POST /orders', RouteId: expect.any(String), Target: expect.stringMatching(/^integrations\//) });
    expect((await graded('pass', 'http-api')).status).toBe('passed');
  });

  it('reads every page of GetStages and calls the stage that serves POST /orders, not a stale $default', () => {
    const calls = transcript('alt', 'http-api-stale-default-stage-paged');
    expect(calls.filter((c) => c.operation === 'GetStages').map((c) => (c.input as { NextToken?: string }).NextToken ?? null)).toEqual([null, 'page-2']);
    expect(calls.filter((c) => c.service === 'HTTP').map((c) => (c.input as { url: string }).url)).toEqual(['https://h7t8p9q0r1.execute-api.eu-west-1.amazonaws.com/live/orders']);
  });

  it('calls the REST stage whose deployment has POST /orders even when another stage is listed first', () => {
    const urls = transcript('alt', 'terraform-rest-explicit-stages').filter((c) => c.service === 'HTTP').map((c) => (c.input as { url: string }).url);
    expect(urls).toEqual(['https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/orders']);
  });

  it.each(listFixtureFiles(entry).map((f) => [`${f.kind}/${f.name}`, f.kind, f.name] as const))('%s: every probe message names the URL and stage it called', async (_n, kind, name) => {
    const probe = await check(kind, name, 'order-round-trip');
    if (!probe || probe.outcome === 'SKIPPED' || probe.outcome === 'ERROR') return;
    expect(probe.message).toMatch(/POST https:\/\/\S+\/orders \(stage [^)]+\)/);
  });

  it('makes only calls the grader role is granted (blueprint reads and probes)', () => {
    const { reads, probes } = entry.task.blueprint.grader;
    const allowed = (action: string) => [...reads, ...probes].some((p) => matchesIamPattern(p, action));
    const denied = new Set<string>();
    for (const f of listFixtureFiles(entry)) {
      for (const c of readBundle(f.file).transcript) {
        if (c.service === 'HTTP' || c.operation === 'GetCallerIdentity') continue;
        const key = actionKey(c.service, c.operation);
        // API Gateway's management API is authorised by HTTP verb: every read is apigateway:GET.
        const action = key.startsWith('apigateway:') && isReadAction(key) ? 'apigateway:GET' : key;
        if (!allowed(action)) denied.add(action);
      }
    }
    expect([...denied]).toEqual([]);
  });

  it('says why a stale stage does not serve the route', async () => {
    expect((await check('fail', 'rest-stage-not-redeployed', 'api-deployed'))?.message).toBe(
      'no stage of the REST API a1b2c3d4e5 serves POST /orders: stage prod: its deployment d3pl0y0001 has no POST /orders (deployed before it was added? deploy the API again)',
    );
  });
});
