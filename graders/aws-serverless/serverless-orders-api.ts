import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { defineGrader, error, fail, pass, type CheckContext } from '../../src';
import { findApisByName, findDeployment, findRouteIntegration, type Api, type RouteIntegration } from '../lib/api-gateway';
import { describeTable, judgeTableKey, tableResourcePolicy } from '../lib/dynamodb';
import { findExcessGrants, findMissingGrants, resourcePolicyStatements, unrecognisedActions, type Allowance } from '../lib/iam-policy';
import { roleStatements } from '../lib/iam-role';
import { getFunctionConfiguration, invokeGrants, parseFunctionArn } from '../lib/lambda';
import { summariseExcess } from '../lib/least-privilege';

const API_NAME = 'orders-api';
const TABLE_NAME = 'orders';
const METHOD = 'POST';
const PATH = '/orders';

/** What the function's role may do: write order items, plus logging and tracing. */
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'];
const allowance = (tableArn: string): Allowance => [
  { actions: WRITE_ACTIONS, resources: [tableArn, `${tableArn}/index/*`] },
  { actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: ['*'] },
  { actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'], resources: ['*'] },
];

async function theApi(ctx: CheckContext): Promise<Api> {
  const apis = await findApisByName(ctx, API_NAME);
  if (apis.length !== 1) throw new Error(`expected exactly one API named ${API_NAME}; the orders-api-exists check guards this`);
  return apis[0]!;
}

async function theRoute(ctx: CheckContext): Promise<RouteIntegration & { functionArn: string }> {
  const lookup = await findRouteIntegration(ctx, await theApi(ctx), METHOD, PATH);
  if (!lookup.found || !lookup.integration.functionArn) throw new Error('the post-orders-route check guards this');
  return { ...lookup.integration, functionArn: lookup.integration.functionArn };
}

export default defineGrader({
  task: 'serverless-orders-api',
  probes: ['http:POST'],
  // A missing item comes back as {}: the function did not store the order.
  validEmptyAnswers: ['DynamoDB.GetItem'],
  checks: [
    {
      // Passes when exactly one REST or HTTP API is named orders-api.
      id: 'orders-api-exists',
      title: 'An API named orders-api exists',
      points: 10,
      critical: true,
      hint: 'Create one API Gateway API (REST or HTTP) and give it exactly the name from the instructions.',
      async run(ctx) {
        const apis = await findApisByName(ctx, API_NAME);
        if (apis.length === 0) return fail(`no REST or HTTP API named ${API_NAME} in ${ctx.region}`, { expected: `one API named ${API_NAME}`, actual: 'none' });
        if (apis.length > 1) return fail(`${apis.length} APIs are named ${API_NAME}; keep exactly one`, { expected: 1, actual: apis.map((a) => `${a.kind}:${a.id}`) });
        const api = apis[0]!;
        return pass(`found the ${api.kind === 'rest' ? 'REST' : 'HTTP'} API ${api.id}`, { resource: `arn:aws:apigateway:${ctx.region}::/${api.kind === 'rest' ? 'restapis' : 'apis'}/${api.id}` });
      },
    },
    {
      // Passes when POST /orders (or ANY /orders) is integrated with a Lambda function.
      id: 'post-orders-route',
      title: 'POST /orders is integrated with a Lambda function',
      points: 15,
      critical: true,
      dependsOn: ['orders-api-exists'],
      hint: 'Add the route the instructions name and integrate it with your function (a Lambda proxy integration is simplest).',
      async run(ctx) {
        const lookup = await findRouteIntegration(ctx, await theApi(ctx), METHOD, PATH);
        if (!lookup.found) return fail(lookup.reason, { expected: `${METHOD} ${PATH} integrated with a Lambda function` });
        const { integration } = lookup;
        if (!integration.functionArn) {
          return fail(`${integration.route} is integrated, but not with a Lambda function (${integration.integrationType})`, { expected: 'a Lambda integration', actual: integration.uri || integration.integrationType });
        }
        const fn = await getFunctionConfiguration(ctx, integration.functionArn);
        if (!fn) return fail(`${integration.route} targets ${integration.functionArn}, which does not exist`, { resource: integration.functionArn });
        return pass(`${integration.route} invokes ${fn.FunctionName}`, { resource: integration.functionArn, actual: integration.integrationType });
      },
    },
    {
      // Passes when a stage of the API has a deployment that serves POST /orders (or ANY /orders).
      id: 'api-deployed',
      title: 'POST /orders is deployed to a stage',
      points: 5,
      critical: true,
      dependsOn: ['post-orders-route'],
      hint: 'Changes to an API are only reachable once deployed: deploy the API to a stage after adding the route (or use a stage with auto-deploy).',
      async run(ctx) {
        const deployment = await findDeployment(ctx, await theApi(ctx), METHOD, PATH);
        if (!deployment.deployed) return fail(deployment.reason, { expected: `a stage whose deployment serves ${METHOD} ${PATH}` });
        const url = deployment.invokeUrl(PATH);
        return pass(`stage ${deployment.stage} serves ${METHOD} ${PATH} at ${url}`, { actual: url });
      },
    },
    {
      // Passes when table "orders" has partition key orderId of type String and no sort key.
      id: 'table-key-schema',
      title: 'Table orders is keyed by orderId',
      points: 15,
      critical: true,
      hint: 'Create the table with the name and key the instructions give; a table\'s key cannot be changed, so recreate it if needed.',
      run: (ctx) => judgeTableKey(ctx, TABLE_NAME, 'orderId'),
    },
    {
      // Passes when the integrated function has X-Ray active tracing.
      id: 'function-tracing-active',
      title: 'The function has X-Ray active tracing',
      points: 10,
      critical: true,
      dependsOn: ['post-orders-route'],
      hint: 'Turn on active tracing in the function\'s configuration (Monitoring and operations tools).',
      async run(ctx) {
        const route = await theRoute(ctx);
        const fn = await getFunctionConfiguration(ctx, route.functionArn);
        if (!fn) return error(`the function ${route.functionArn} disappeared while grading; grade again`);
        const mode = fn.TracingConfig?.Mode ?? 'PassThrough';
        const detail = { expected: 'Active', actual: mode, resource: fn.FunctionArn };
        return mode === 'Active' ? pass('active tracing is on', detail) : fail(`tracing mode is ${mode}`, detail);
      },
    },
    {
      // Passes when API Gateway may invoke the function (the integrated alias or version, and the unqualified function behind it) only on behalf of this API, and nobody else may.
      id: 'invoke-permission-scoped',
      title: 'Only this API may invoke the function',
      points: 10,
      critical: true,
      dependsOn: ['post-orders-route'],
      hint: 'A function\'s resource-based policy should let apigateway.amazonaws.com invoke it only when the call comes from your API (a source ARN condition). If the route targets an alias, the function\'s own policy counts too.',
      async run(ctx) {
        const api = await theApi(ctx);
        const route = await theRoute(ctx);
        const { unqualifiedArn, qualifier } = parseFunctionArn(route.functionArn);
        // An alias has its own policy, but whoever the unqualified function's policy admits can invoke the same code.
        const policies = [{ arn: route.functionArn, what: qualifier ? `alias or version ${qualifier}` : 'function' }, ...(qualifier ? [{ arn: unqualifiedArn, what: 'unqualified function' }] : [])];
        const grants = (await Promise.all(policies.map(async (p) => ((await invokeGrants(ctx, p.arn)) ?? []).map((g) => ({ ...g, on: p.what }))))).flat();
        const resource = unqualifiedArn;
        if (!grants.some((g) => g.on === policies[0]!.what)) return fail(`the ${policies[0]!.what}'s resource-based policy does not let API Gateway invoke it (${route.functionArn})`, { resource: route.functionArn });
        const apiPrefix = `arn:aws:execute-api:${ctx.region}:${ctx.accountId}:${api.id}/`;
        const scoped = (g: (typeof grants)[number]) => g.sourceArns.length > 0 && g.sourceArns.every((a) => a.startsWith(apiPrefix));
        const tooBroad = grants.filter((g) => !(g.principal === 'apigateway.amazonaws.com' && scoped(g)));
        const detail = { expected: `apigateway.amazonaws.com with aws:SourceArn under ${apiPrefix}`, actual: grants, resource };
        if (tooBroad.length > 0) {
          const what = tooBroad.map((g) => `${g.sid} (${g.on}) lets ${g.principal} invoke ${g.sourceArns.length ? `from ${g.sourceArns.join(', ')}` : 'from any source'}`);
          return fail(`the function's policy is broader than this API: ${what.join('; ')}`, detail);
        }
        return pass('only this API can invoke the function', detail);
      },
    },
    {
      // Passes when the function's role can write to the orders table and its policies, with the table's resource policy, grant nothing beyond writes to it, logs and X-Ray.
      id: 'role-least-privilege',
      title: 'The function\'s role may write to the orders table and nothing else',
      points: 20,
      critical: true,
      dependsOn: ['post-orders-route', 'table-key-schema'],
      hint: 'Give the execution role only the DynamoDB write actions it needs, on this table\'s ARN, plus logging and tracing; avoid wildcards and managed "FullAccess" policies. A resource-based policy on the table that names the role counts too.',
      async run(ctx) {
        const route = await theRoute(ctx);
        const [fn, table] = await Promise.all([getFunctionConfiguration(ctx, route.functionArn), describeTable(ctx, TABLE_NAME)]);
        if (!fn?.Role || !table?.TableArn) return error('the function or table disappeared while grading; grade again');
        const tableArn = table.TableArn;
        // The table's own policy can grant the role more than its identity policies do.
        const tablePolicy = await tableResourcePolicy(ctx, tableArn);
        const statements = [
          ...(await roleStatements(ctx, fn.Role)),
          ...(tablePolicy ? resourcePolicyStatements(tablePolicy, `resource policy of table ${TABLE_NAME}`, { resourceArn: tableArn, principalArn: fn.Role }) : []),
        ];
        const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'].map((action) => ({ action, resource: tableArn }));
        const missing = findMissingGrants(statements, writes);
        const excess = findExcessGrants(statements, allowance(tableArn));
        const ignored = unrecognisedActions(statements);
        const detail = {
          expected: { allowed: allowance(tableArn) },
          actual: { excess: summariseExcess(excess), cannotWrite: missing.length === writes.length, tableResourcePolicy: tablePolicy ? 'read' : 'none', ...(ignored.length > 0 ? { grantNothing: ignored } : {}) },
          resource: fn.Role,
        };
        if (missing.length === writes.length) return fail('the role cannot write items to the orders table (no PutItem, UpdateItem or BatchWriteItem on it)', detail);
        if (excess.length > 0) return fail(`the role grants more than writing to the orders table: ${summariseExcess(excess).slice(0, 5).join('; ')}`, detail);
        return pass('the role can write to the orders table and nothing more than logs and tracing', detail);
      },
    },
    {
      // Passes when POSTing an order through the deployed API answers 2xx and stores the item under its orderId.
      id: 'order-round-trip',
      title: 'POST /orders stores the order in the table',
      points: 15,
      critical: true,
      dependsOn: ['post-orders-route', 'api-deployed', 'table-key-schema'],
      timeoutMs: 90_000,
      hint: 'Call your API yourself with the example request from the instructions, then look for the item in the table; check the function\'s logs if it fails.',
      async run(ctx) {
        const deployment = await findDeployment(ctx, await theApi(ctx), METHOD, PATH);
        if (!deployment.deployed) return error('the API stopped being deployed while grading; grade again');
        const orderId = `skillproof-${ctx.nonce}`;
        const url = deployment.invokeUrl(PATH);
        const called = `POST ${url} (stage ${deployment.stage})`;
        const body = JSON.stringify({ orderId, product: 'skillproof-probe', quantity: 1 });
        const response = await ctx.waitFor(
          `a final answer from ${called}`,
          async () => {
            const res = await ctx.http.request({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body });
            // Throttling (429) and an unavailable service (503) are retried; if they persist we could
            // not tell. A 502 or 504 is the function's own failure or slowness, judged below.
            return [429, 503].includes(res.status) ? undefined : res;
          },
          { timeoutMs: 8_000, intervalMs: 1_000 },
        );
        if (!response) return error(`${called} kept answering 429 or 503 (throttled or unavailable); grade again`);
        if (response.status < 200 || response.status > 299) {
          return fail(`${called} answered HTTP ${response.status}: ${response.body.slice(0, 200)}`, { expected: 'HTTP 2xx', actual: response.status, resource: url });
        }
        const table = await describeTable(ctx, TABLE_NAME);
        const item = await ctx.waitFor(
          `order ${orderId} in table ${TABLE_NAME}`,
          async () => (await ctx.client(DynamoDBClient).send(new GetItemCommand({ TableName: TABLE_NAME, Key: { orderId: { S: orderId } }, ConsistentRead: true }))).Item,
          { timeoutMs: 15_000, intervalMs: 1_000 },
        );
        if (!item) {
          return fail(`${called} answered HTTP ${response.status}, but no item with orderId ${orderId} appeared in table ${TABLE_NAME} within 15 s`, { expected: `an item with orderId ${orderId}`, actual: 'none', ...(table?.TableArn ? { resource: table.TableArn } : {}) });
        }
        return pass(`${called} answered HTTP ${response.status}, and the order was stored`, { actual: { url, status: response.status, item: Object.keys(item) }, ...(table?.TableArn ? { resource: table.TableArn } : {}) });
      },
    },
  ],
});
