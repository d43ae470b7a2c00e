import {
  BedrockAgentCoreControlClient,
  GetAgentRuntimeCommand,
  GetGatewayCommand,
  GetGatewayTargetCommand,
  GetMemoryCommand,
  ListAgentRuntimeEndpointsCommand,
  ListAgentRuntimesCommand,
  ListGatewaysCommand,
  ListGatewayTargetsCommand,
  ListMemoriesCommand,
  type AgentRuntime,
  type AgentRuntimeEndpoint,
  type GatewaySummary,
  type GetAgentRuntimeResponse,
  type GetGatewayResponse,
  type GetGatewayTargetCommandOutput,
  type GetGatewayTargetResponse,
  type Memory,
  type MemoryStrategy,
} from '@aws-sdk/client-bedrock-agentcore-control';
import type { CheckContext } from '../../src/model/grader';
import { allPages, orNotFound } from './aws-calls';

/** Agent runtimes (latest versions) whose name is exactly `name`. */
export function findAgentRuntimesByName(ctx: CheckContext, name: string): Promise<AgentRuntime[]> {
  return ctx.memo(`agentcore-runtimes-named:${name}`, async () => {
    const client = ctx.client(BedrockAgentCoreControlClient);
    const all = await allPages(
      (nextToken) => client.send(new ListAgentRuntimesCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      (page) => page.agentRuntimes,
      (page) => page.nextToken,
    );
    return all.filter((r) => r.agentRuntimeName === name);
  });
}

/** A runtime's latest version, or undefined when it does not exist. */
export function getAgentRuntime(ctx: CheckContext, agentRuntimeId: string): Promise<GetAgentRuntimeResponse | undefined> {
  return orNotFound(ctx.client(BedrockAgentCoreControlClient).send(new GetAgentRuntimeCommand({ agentRuntimeId })));
}

export function runtimeEndpoints(ctx: CheckContext, agentRuntimeId: string): Promise<AgentRuntimeEndpoint[]> {
  const client = ctx.client(BedrockAgentCoreControlClient);
  return allPages(
    (nextToken) => client.send(new ListAgentRuntimeEndpointsCommand({ agentRuntimeId, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
    (page) => page.runtimeEndpoints,
    (page) => page.nextToken,
  );
}

/** The endpoint a caller should use: DEFAULT when it is READY, otherwise the first READY one. */
export function readyEndpoint(endpoints: readonly AgentRuntimeEndpoint[]): AgentRuntimeEndpoint | undefined {
  const ready = endpoints.filter((e) => e.status === 'READY');
  return ready.find((e) => e.name === 'DEFAULT') ?? ready[0];
}

/** Gateways whose name is exactly `name`. */
export function findGatewaysByName(ctx: CheckContext, name: string): Promise<GatewaySummary[]> {
  return ctx.memo(`agentcore-gateways-named:${name}`, async () => {
    const client = ctx.client(BedrockAgentCoreControlClient);
    const all = await allPages(
      (nextToken) => client.send(new ListGatewaysCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      (page) => page.items,
      (page) => page.nextToken,
    );
    return all.filter((g) => g.name === name);
  });
}

export function getGateway(ctx: CheckContext, gatewayIdentifier: string): Promise<GetGatewayResponse | undefined> {
  return orNotFound(ctx.client(BedrockAgentCoreControlClient).send(new GetGatewayCommand({ gatewayIdentifier })));
}

/** Every target of a gateway, with its full configuration. */
export function gatewayTargets(ctx: CheckContext, gatewayIdentifier: string): Promise<GetGatewayTargetCommandOutput[]> {
  return ctx.memo(`agentcore-gateway-targets:${gatewayIdentifier}`, async () => {
    const client = ctx.client(BedrockAgentCoreControlClient);
    const summaries = await allPages(
      (nextToken) => client.send(new ListGatewayTargetsCommand({ gatewayIdentifier, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      (page) => page.items,
      (page) => page.nextToken,
    );
    const targets = await Promise.all(summaries.filter((t) => t.targetId).map((t) => orNotFound(client.send(new GetGatewayTargetCommand({ gatewayIdentifier, targetId: t.targetId })))));
    return targets.filter((t): t is GetGatewayTargetCommandOutput => t !== undefined);
  });
}

export interface JwtJudgement {
  ok: boolean;
  reason: string;
}

/**
 * Whether a gateway admits callers by JWT: authorizer type CUSTOM_JWT with an OpenID Connect discovery URL
 * (https, ending in /.well-known/openid-configuration) and at least one allowed audience or client, so
 * that not every token the identity provider issues gets in.
 */
export function judgeJwtAuthoriser(gateway: Pick<GetGatewayResponse, 'authorizerType' | 'authorizerConfiguration'>): JwtJudgement {
  if (gateway.authorizerType !== 'CUSTOM_JWT') return { ok: false, reason: `the gateway's authorizer type is ${gateway.authorizerType ?? 'unset'}, not CUSTOM_JWT` };
  const jwt = gateway.authorizerConfiguration?.customJWTAuthorizer;
  if (!jwt?.discoveryUrl) return { ok: false, reason: 'the JWT authorizer has no discovery URL' };
  if (!/^https:\/\/.+\/\.well-known\/openid-configuration$/.test(jwt.discoveryUrl)) return { ok: false, reason: `the discovery URL ${jwt.discoveryUrl} is not an https OpenID Connect discovery document (…/.well-known/openid-configuration)` };
  const audiences = jwt.allowedAudience ?? [];
  const clients = jwt.allowedClients ?? [];
  if (audiences.length === 0 && clients.length === 0) return { ok: false, reason: 'the JWT authorizer allows no specific audience or client, so any token from the issuer is accepted' };
  return { ok: true, reason: `CUSTOM_JWT from ${jwt.discoveryUrl}, ${[audiences.length ? `audience ${audiences.join(', ')}` : '', clients.length ? `client(s) ${clients.join(', ')}` : ''].filter(Boolean).join(' and ')}` };
}

export interface LambdaTool {
  targetId: string;
  targetName: string;
  status: string;
  lambdaArn: string;
  /** Tool names from an inline schema; undefined when the schema lives in S3. */
  tools?: string[];
  credentialProviders: string[];
}

/** The gateway targets that expose a Lambda function as MCP tools. */
export function lambdaTools(targets: ReadonlyArray<Pick<GetGatewayTargetResponse, 'targetId' | 'name' | 'status' | 'targetConfiguration' | 'credentialProviderConfigurations'>>): LambdaTool[] {
  return targets.flatMap((t) => {
    const lambda = t.targetConfiguration?.mcp?.lambda;
    if (!lambda?.lambdaArn) return [];
    const inline = lambda.toolSchema?.inlinePayload;
    return [
      {
        targetId: t.targetId ?? '',
        targetName: t.name ?? '',
        status: String(t.status),
        lambdaArn: lambda.lambdaArn,
        ...(inline ? { tools: inline.map((d) => d.name ?? '?') } : {}),
        credentialProviders: (t.credentialProviderConfigurations ?? []).map((c) => String(c.credentialProviderType)),
      },
    ];
  });
}

/**
 * Memories whose name is exactly `name`. ListMemories returns ids, not names; a memory's id is its name,
 * a hyphen and ten random characters, so only ids with that prefix are looked up.
 */
export function findMemoriesByName(ctx: CheckContext, name: string): Promise<Memory[]> {
  return ctx.memo(`agentcore-memories-named:${name}`, async () => {
    const client = ctx.client(BedrockAgentCoreControlClient);
    const all = await allPages(
      (nextToken) => client.send(new ListMemoriesCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      (page) => page.memories,
      (page) => page.nextToken,
    );
    const candidates = all.filter((m) => m.id?.startsWith(`${name}-`));
    const memories = await Promise.all(candidates.map(async (m) => (await orNotFound(client.send(new GetMemoryCommand({ memoryId: m.id }))))?.memory));
    return memories.filter((m): m is Memory => m?.name === name);
  });
}

/** Strategies that extract facts (semantic memory): built-in SEMANTIC, or CUSTOM overriding the semantic one. */
export function semanticStrategies(memory: Pick<Memory, 'strategies'>): MemoryStrategy[] {
  return (memory.strategies ?? []).filter((s) => s.type === 'SEMANTIC' || (s.type === 'CUSTOM' && s.configuration?.type === 'SEMANTIC_OVERRIDE'));
}

/**
 * The namespace prefix under which a strategy stores one actor's records: its first namespace template
 * with {memoryStrategyId} and {actorId} filled in, cut before any placeholder left (such as {sessionId}).
 */
export function actorNamespacePrefix(strategy: Pick<MemoryStrategy, 'strategyId' | 'namespaces' | 'namespaceTemplates'>, actorId: string): string {
  const template = strategy.namespaceTemplates?.[0] ?? strategy.namespaces?.[0] ?? '/';
  const filled = template.replaceAll('{memoryStrategyId}', strategy.strategyId ?? '').replaceAll('{strategyId}', strategy.strategyId ?? '').replaceAll('{actorId}', actorId);
  const open = filled.indexOf('{');
  const prefix = open >= 0 ? filled.slice(0, open) : filled;
  return prefix || '/';
}

/**
 * The text of an InvokeAgentRuntime response body. Server-sent events (text/event-stream) are joined
 * from their `data:` lines, each decoded as JSON where it parses, keeping every string in it (streamed
 * deltas, in order); anything else is read as UTF-8 text.
 */
export function runtimeResponseText(body: Uint8Array | undefined, contentType: string | undefined): string {
  const raw = body ? Buffer.from(body).toString('utf8') : '';
  if (!(contentType ?? '').includes('text/event-stream')) return raw;
  const parts: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    try {
      collectStrings(JSON.parse(data) as unknown, parts);
    } catch {
      parts.push(data);
    }
  }
  return parts.join('');
}

function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, out);
}

/** True when `text` contains `code`, ignoring case, spaces and punctuation (models reformat codes: "K-3F A2"). */
export function mentionsCode(text: string, code: string): boolean {
  const squash = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  return squash(code).length > 0 && squash(text).includes(squash(code));
}
