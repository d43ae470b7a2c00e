import { GetIntegrationCommand as GetRestIntegrationCommand, APIGatewayClient, GetResourcesCommand, GetRestApisCommand, GetStagesCommand as GetRestStagesCommand } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, GetApisCommand, GetIntegrationCommand, GetRoutesCommand, GetStagesCommand } from '@aws-sdk/client-apigatewayv2';
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

/** The URL the API is reachable at: a REST stage, or an HTTP API stage that is deployed. */
export function findDeployment(ctx: CheckContext, api: Api): Promise<Deployment> {
  return ctx.memo(`deployment:${api.kind}:${api.id}`, async () => {
    if (api.kind === 'rest') {
      const stages = (await ctx.client(APIGatewayClient).send(new GetRestStagesCommand({ restApiId: api.id }))).item ?? [];
      const stage = stages.find((s) => s.stageName && s.deploymentId);
      if (!stage) return { deployed: false, reason: 'the REST API has no stage with a deployment' };
      const base = `https://${api.id}.execute-api.${ctx.region}.amazonaws.com/${stage.stageName}`;
      return { deployed: true, stage: stage.stageName!, invokeUrl: (path) => `${base}${path}` };
    }
    const stages = (await ctx.client(ApiGatewayV2Client).send(new GetStagesCommand({ ApiId: api.id }))).Items ?? [];
    const usable = stages.filter((s) => s.StageName && (s.AutoDeploy || s.DeploymentId));
    const stage = usable.find((s) => s.StageName === '$default') ?? usable[0];
    if (!stage) return { deployed: false, reason: 'the HTTP API has no stage that is deployed (none with auto-deploy or a deployment)' };
    const endpoint = api.endpoint || `https://${api.id}.execute-api.${ctx.region}.amazonaws.com`;
    const base = stage.StageName === '$default' ? endpoint : `${endpoint}/${stage.StageName}`;
    return { deployed: true, stage: stage.StageName!, invokeUrl: (path) => `${base}${path}` };
  });
}
