import { GetIntegrationCommand as GetRestIntegrationCommand, APIGatewayClient, GetDeploymentCommand as GetRestDeploymentCommand, GetResourcesCommand, GetRestApisCommand, GetStagesCommand as GetRestStagesCommand } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, ExportApiCommand, GetApisCommand, GetIntegrationCommand, GetRoutesCommand, GetStagesCommand } from '@aws-sdk/client-apigatewayv2';
import type { CheckContext } from '../../src/model/grader';
import { allPages, orNotFound } from './aws-calls';

/** A REST API (API Gateway v1) or an HTTP API (v2), whichever the candidate built. */
export type Api = { kind: 'rest'; id: string; name: string } | { kind: 'http'; id: string; name: string; endpoint: string };

/** Every REST and HTTP API with this name (WebSocket APIs do not count). */
export function findApisByName(ctx: CheckContext, name: string): Promise<Api[]> {
  return ctx.memo(`apis:${name}`, async () => {
    const rest = ctx.client(APIGatewayClient);
    const v2 = ctx.client(ApiGatewayV2Client);
    const [restApis, httpApis] = await Promise.all([
      allPages((position) => rest.send(new GetRestApisCommand({ limit: 500, ...(position ? { position } : {}) })), (p) => p.items, (p) => p.position),
      allPages((NextToken) => v2.send(new GetApisCommand({ MaxResults: '500', ...(NextToken ? { NextToken } : {}) })), (p) => p.Items, (p) => p.NextToken),
    ]);
    return [
      ...restApis.filter((a) => a.name === name && a.id).map((a): Api => ({ kind: 'rest', id: a.id!, name })),
      ...httpApis.filter((a) => a.Name === name && a.ApiId && a.ProtocolType === 'HTTP').map((a): Api => ({ kind: 'http', id: a.ApiId!, name, endpoint: a.ApiEndpoint ?? '' })),
    ];
  });
}

export interface RouteIntegration {
  /** How the route is described to a candidate: "POST /orders". */
  route: string;
  integrationType: string;
  /** The integration's target: a Lambda ARN for Lambda integrations, else the raw URI. */
  uri: string;
  /** The Lambda function's ARN (possibly qualified) when the integration targets one. */
  functionArn?: string;
}

export type RouteLookup = { found: true; integration: RouteIntegration } | { found: false; reason: string };

/** Finds the route for `method path` (an ANY route also serves it) and its integration. */
export function findRouteIntegration(ctx: CheckContext, api: Api, method: string, path: string): Promise<RouteLookup> {
  return ctx.memo(`route:${api.kind}:${api.id}:${method} ${path}`, () => (api.kind === 'rest' ? restRoute(ctx, api.id, method, path) : httpRoute(ctx, api.id, method, path)));
}

async function restRoute(ctx: CheckContext, restApiId: string, method: string, path: string): Promise<RouteLookup> {
  const client = ctx.client(APIGatewayClient);
  const resources = await allPages((position) => client.send(new GetResourcesCommand({ restApiId, limit: 500, ...(position ? { position } : {}) })), (p) => p.items, (p) => p.position);
  const resource = resources.find((r) => r.path === path);
  if (!resource?.id) return { found: false, reason: `the REST API has no resource ${path}` };
  const methods = Object.keys(resource.resourceMethods ?? {});
  const httpMethod = methods.includes(method) ? method : methods.includes('ANY') ? 'ANY' : undefined;
  if (!httpMethod) return { found: false, reason: `resource ${path} has no ${method} method (methods: ${methods.join(', ') || 'none'})` };
  const integration = await orNotFound(client.send(new GetRestIntegrationCommand({ restApiId, resourceId: resource.id, httpMethod })));
  if (!integration?.type) return { found: false, reason: `${httpMethod} ${path} has no integration` };
  const uri = integration.uri ?? '';
  return { found: true, integration: { route: `${httpMethod} ${path}`, integrationType: integration.type, uri, ...lambdaTarget(uri) } };
}

async function httpRoute(ctx: CheckContext, ApiId: string, method: string, path: string): Promise<RouteLookup> {
  const client = ctx.client(ApiGatewayV2Client);
  const routes = await allPages((NextToken) => client.send(new GetRoutesCommand({ ApiId, MaxResults: '500', ...(NextToken ? { NextToken } : {}) })), (p) => p.Items, (p) => p.NextToken);
  const route = routes.find((r) => r.RouteKey === `${method} ${path}`) ?? routes.find((r) => r.RouteKey === `ANY ${path}`);
  if (!route?.RouteKey) return { found: false, reason: `the HTTP API has no route "${method} ${path}" (routes: ${routes.map((r) => r.RouteKey).join(', ') || 'none'})` };
  const target = route.Target?.match(/^integrations\/(.+)$/)?.[1];
  if (!target) return { found: false, reason: `route "${route.RouteKey}" has no integration target` };
  const integration = await orNotFound(client.send(new GetIntegrationCommand({ ApiId, IntegrationId: target })));
  if (!integration?.IntegrationType) return { found: false, reason: `route "${route.RouteKey}" points at integration ${target}, which does not exist` };
  const uri = integration.IntegrationUri ?? '';
  return { found: true, integration: { route: route.RouteKey, integrationType: integration.IntegrationType, uri, ...lambdaTarget(uri) } };
}

/** Lambda ARNs appear bare (HTTP APIs) or inside `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`. */
export function lambdaTarget(uri: string): { functionArn?: string } {
  const wrapped = uri.match(/:lambda:path\/[^/]+\/functions\/(arn:[^/]+)\/invocations$/);
  const arn = wrapped?.[1] ?? (uri.startsWith('arn:') && uri.includes(':lambda:') && uri.includes(':function:') ? uri : undefined);
  return arn && /^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/.test(arn) ? { functionArn: arn } : {};
}

export type Deployment = { deployed: true; invokeUrl: (path: string) => string; stage: string } | { deployed: false; reason: string };

/** What one stage serves: whether its deployment has the route, in words for a candidate. */
interface StageVerdict {
  name: string;
  serves: boolean;
  /** Why the stage does not serve the route ("its deployment d1 has no POST /orders"). */
  why?: string;
}

/**
 * A stage whose deployment serves `method path` (an ANY method also serves it), and its URL; stages
 * are tried in the order API Gateway lists them. A stage's deployment is a snapshot, so a route added
 * after the last deployment is not callable there: REST deployments are read with their API summary,
 * HTTP API stages by exporting the stage's definition (what `aws apigatewayv2 export-api --stage-name`
 * shows), because an HTTP API deployment does not list its routes.
 */
export function findDeployment(ctx: CheckContext, api: Api, method: string, path: string): Promise<Deployment> {
  return ctx.memo(`deployment:${api.kind}:${api.id}:${method} ${path}`, async () => {
    const verdicts = api.kind === 'rest' ? await restStages(ctx, api.id, method, path) : await httpStages(ctx, api.id, method, path);
    const serving = verdicts.find((v) => v.serves);
    if (!serving) {
      const kind = api.kind === 'rest' ? 'REST' : 'HTTP';
      if (verdicts.length === 0) return { deployed: false, reason: `the ${kind} API ${api.id} has no stage` };
      return { deployed: false, reason: `no stage of the ${kind} API ${api.id} serves ${method} ${path}: ${verdicts.map((v) => `stage ${v.name}: ${v.why}`).join('; ')}` };
    }
    const base =
      api.kind === 'rest'
        ? `https://${api.id}.execute-api.${ctx.region}.amazonaws.com/${serving.name}`
        : `${api.endpoint || `https://${api.id}.execute-api.${ctx.region}.amazonaws.com`}${serving.name === '$default' ? '' : `/${serving.name}`}`;
    return { deployed: true, stage: serving.name, invokeUrl: (p) => `${base}${p}` };
  });
}

async function restStages(ctx: CheckContext, restApiId: string, method: string, path: string): Promise<StageVerdict[]> {
  const client = ctx.client(APIGatewayClient);
  // REST GetStages is not paginated: it returns every stage of the API.
  const stages = (await client.send(new GetRestStagesCommand({ restApiId }))).item ?? [];
  const verdicts: StageVerdict[] = [];
  for (const stage of stages) {
    if (!stage.stageName) continue;
    if (!stage.deploymentId) {
      verdicts.push({ name: stage.stageName, serves: false, why: 'it has no deployment' });
      continue;
    }
    const deployment = await orNotFound(client.send(new GetRestDeploymentCommand({ restApiId, deploymentId: stage.deploymentId, embed: ['apisummary'] })));
    // API Gateway refuses to deploy an API without methods, so a deployment read with its summary always has one.
    if (deployment && !deployment.apiSummary) throw new Error(`GetDeployment returned no API summary for deployment ${stage.deploymentId}; cannot tell which routes stage ${stage.stageName} serves`);
    const methods = deployment?.apiSummary?.[path] ?? {};
    const serves = method in methods || 'ANY' in methods;
    verdicts.push({ name: stage.stageName, serves, ...(serves ? {} : { why: `its deployment ${stage.deploymentId} has no ${method} ${path} (deployed before it was added? deploy the API again)` }) });
  }
  return verdicts;
}

async function httpStages(ctx: CheckContext, ApiId: string, method: string, path: string): Promise<StageVerdict[]> {
  const client = ctx.client(ApiGatewayV2Client);
  const stages = await allPages((NextToken) => client.send(new GetStagesCommand({ ApiId, MaxResults: '500', ...(NextToken ? { NextToken } : {}) })), (p) => p.Items, (p) => p.NextToken);
  const verdicts: StageVerdict[] = [];
  for (const stage of stages) {
    if (!stage.StageName) continue;
    if (!stage.DeploymentId) {
      verdicts.push({ name: stage.StageName, serves: false, why: stage.AutoDeploy ? 'auto-deploy is on, but nothing has been deployed to it yet' : 'it has no deployment' });
      continue;
    }
    const exported = await orNotFound(client.send(new ExportApiCommand({ ApiId, Specification: 'OAS30', OutputType: 'JSON', StageName: stage.StageName, IncludeExtensions: true })));
    // A stage deleted while grading serves nothing; an export without a definition is no answer at all.
    if (exported && !exported.body) throw new Error(`ExportApi returned no definition for stage ${stage.StageName}; cannot tell which routes it serves`);
    const operations = exported?.body ? openApiOperations(exported.body, path) : [];
    const serves = operations.includes(method.toLowerCase()) || operations.includes('x-amazon-apigateway-any-method');
    verdicts.push({ name: stage.StageName, serves, ...(serves ? {} : { why: `its deployment ${stage.DeploymentId} has no ${method} ${path} (${stage.AutoDeploy ? 'the last automatic deployment did not include it' : 'auto-deploy is off: deploy the API again'})` }) });
  }
  return verdicts;
}

/** The operations (lower-case methods, or the any-method extension) an exported OpenAPI definition has on `path`. */
function openApiOperations(body: Uint8Array, path: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new Error('ExportApi returned a definition that is not JSON; cannot tell which routes the stage serves');
  }
  const item = (doc as { paths?: Record<string, unknown> } | null)?.paths?.[path];
  return item && typeof item === 'object' ? Object.keys(item) : [];
}
