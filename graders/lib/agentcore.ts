import {
  BedrockAgentCoreControlClient,
  GetAgentRuntimeCommand,
  GetAgentRuntimeEndpointCommand,
  GetGatewayCommand,
  GetGatewayTargetCommand,
  GetMemoryCommand,
  ListAgentRuntimesCommand,
  ListGatewaysCommand,
  ListGatewayTargetsCommand,
  ListMemoriesCommand,
  type AgentRuntime,
  type CustomJWTAuthorizerConfiguration,
  type CustomClaimValidationType,
  type GatewaySummary,
  type GetAgentRuntimeEndpointResponse,
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

/** A runtime's latest version (or the version asked for), or undefined when it does not exist. */
export function getAgentRuntime(ctx: CheckContext, agentRuntimeId: string, agentRuntimeVersion?: string): Promise<GetAgentRuntimeResponse | undefined> {
  return orNotFound(ctx.client(BedrockAgentCoreControlClient).send(new GetAgentRuntimeCommand({ agentRuntimeId, ...(agentRuntimeVersion ? { agentRuntimeVersion } : {}) })));
}

/** One endpoint of a runtime by name (`DEFAULT` always exists while the runtime does), or undefined. */
export function getRuntimeEndpoint(ctx: CheckContext, agentRuntimeId: string, endpointName: string): Promise<GetAgentRuntimeEndpointResponse | undefined> {
  return orNotFound(ctx.client(BedrockAgentCoreControlClient).send(new GetAgentRuntimeEndpointCommand({ agentRuntimeId, endpointName })));
}

/**
 * States a runtime or endpoint passes through while AgentCore deploys a version: worth waiting out, not
 * judging (AgentRuntimeStatus and AgentRuntimeEndpointStatus share them).
 */
export const RUNTIME_TRANSITIONAL: ReadonlySet<string> = new Set(['CREATING', 'UPDATING']);

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

/** An Amazon Cognito user pool's OpenID Connect discovery URL: https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/openid-configuration */
const COGNITO_DISCOVERY = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/([^/]+)\/\.well-known\/openid-configuration$/;

/** The user pool id in a Cognito discovery URL, or undefined for another identity provider. */
export function cognitoPoolOf(discoveryUrl: string | undefined): string | undefined {
  return COGNITO_DISCOVERY.exec(discoveryUrl ?? '')?.[1];
}

function describeClaim(c: CustomClaimValidationType): string {
  const match = c.authorizingClaimMatchValue;
  const value = match?.claimMatchValue?.matchValueString ?? match?.claimMatchValue?.matchValueStringList?.join('|') ?? '?';
  return `${c.inboundTokenClaimName ?? '?'} ${match?.claimMatchOperator ?? '?'} ${value}`;
}

/** The restrictions a JWT authorizer places on tokens beyond their issuer, in words (empty: none). */
export function jwtRestrictions(jwt: Pick<CustomJWTAuthorizerConfiguration, 'allowedAudience' | 'allowedClients' | 'allowedScopes' | 'customClaims'>): string[] {
  return [
    jwt.allowedAudience?.length ? `audience ${jwt.allowedAudience.join(', ')}` : '',
    jwt.allowedClients?.length ? `client(s) ${jwt.allowedClients.join(', ')}` : '',
    jwt.allowedScopes?.length ? `scope(s) ${jwt.allowedScopes.join(', ')}` : '',
    jwt.customClaims?.length ? `claim(s) ${jwt.customClaims.map(describeClaim).join('; ')}` : '',
  ].filter(Boolean);
}

/**
 * Whether a gateway admits callers by JWT: authorizer type CUSTOM_JWT with an OpenID Connect discovery URL
 * (https, ending in /.well-known/openid-configuration) and at least one restriction (allowed audience,
 * clients, scopes or custom claims), so that not every token the identity provider issues gets in.
 * Amazon Cognito access tokens carry `client_id` and no `aud` claim, so a Cognito-backed gateway that
 * requires an audience rejects every access token.
 */
export function judgeJwtAuthoriser(gateway: Pick<GetGatewayResponse, 'authorizerType' | 'authorizerConfiguration'>): JwtJudgement {
  if (gateway.authorizerType !== 'CUSTOM_JWT') return { ok: false, reason: `the gateway's authorizer type is ${gateway.authorizerType ?? 'unset'}, not CUSTOM_JWT` };
  const jwt = gateway.authorizerConfiguration?.customJWTAuthorizer;
  if (!jwt?.discoveryUrl) return { ok: false, reason: 'the JWT authorizer has no discovery URL' };
  if (!/^https:\/\/.+\/\.well-known\/openid-configuration$/.test(jwt.discoveryUrl)) return { ok: false, reason: `the discovery URL ${jwt.discoveryUrl} is not an https OpenID Connect discovery document (…/.well-known/openid-configuration)` };
  const restrictions = jwtRestrictions(jwt);
  if (restrictions.length === 0) return { ok: false, reason: 'the JWT authorizer allows no specific audience, client, scope or claim, so any token from the issuer is accepted' };
  const pool = cognitoPoolOf(jwt.discoveryUrl);
  if (pool && jwt.allowedAudience?.length) {
    return { ok: false, reason: `the gateway trusts Amazon Cognito user pool ${pool} but requires audience ${jwt.allowedAudience.join(', ')}: Cognito access tokens carry client_id, not aud, so the gateway rejects every access token` };
  }
  return { ok: true, reason: `CUSTOM_JWT from ${jwt.discoveryUrl}, ${restrictions.join(' and ')}` };
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

/** One JSON-RPC answer of an MCP server. */
export interface McpMessage {
  jsonrpc?: string;
  id?: number | string | null;
  result?: Record<string, unknown>;
  error?: { code?: number; message?: string };
}

export interface McpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The JSON-RPC answer to the request, when the body holds one (JSON or server-sent events). */
  message?: McpMessage;
}

/** The MCP protocol versions SkillProof's client speaks, newest first. */
export const MCP_PROTOCOL_VERSIONS = ['2025-06-18', '2025-03-26'];

/**
 * The JSON-RPC answer with id `id` in an MCP streamable-HTTP body: a JSON object, or server-sent events
 * whose `data:` lines hold JSON-RPC messages.
 */
export function mcpMessageOf(body: string, contentType: string | undefined, id: number): McpMessage | undefined {
  const candidates: string[] = (contentType ?? '').includes('text/event-stream')
    ? body.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim())
    : [body];
  for (const text of candidates) {
    try {
      const parsed = JSON.parse(text) as unknown;
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m !== null && typeof m === 'object' && (m as McpMessage).id === id) return m as McpMessage;
      }
    } catch {
      continue;
    }
  }
  return undefined;
}

/** An MCP client session over streamable HTTP (one POST per JSON-RPC message), through the recorded HTTP probe. */
export class McpClient {
  private nextId = 1;
  private sessionId?: string;
  private protocolVersion?: string;

  constructor(
    private readonly ctx: CheckContext,
    readonly url: string,
    private readonly bearer: string | undefined,
  ) {}

  private headers(): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(this.bearer ? { authorization: `Bearer ${this.bearer}` } : {}),
      ...(this.sessionId ? { 'mcp-session-id': this.sessionId } : {}),
      ...(this.protocolVersion ? { 'mcp-protocol-version': this.protocolVersion } : {}),
    };
  }

  /** Sends one request and returns the HTTP answer with its JSON-RPC message. */
  async request(method: string, params: Record<string, unknown>): Promise<McpReply> {
    const id = this.nextId++;
    const res = await this.ctx.http.request({ method: 'POST', url: this.url, headers: this.headers(), body: JSON.stringify({ jsonrpc: '2.0', id, method, params }), timeoutMs: 30_000 });
    const message = mcpMessageOf(res.body, res.headers['content-type'], id);
    return { ...res, ...(message ? { message } : {}) };
  }

  /** `initialize`, then the `notifications/initialized` notification; keeps the session id and protocol version the server chose. */
  async initialize(supportedVersions: readonly string[] | undefined): Promise<McpReply> {
    const protocolVersion = MCP_PROTOCOL_VERSIONS.find((v) => supportedVersions?.includes(v)) ?? supportedVersions?.[0] ?? MCP_PROTOCOL_VERSIONS[MCP_PROTOCOL_VERSIONS.length - 1]!;
    const reply = await this.request('initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 'skillproof-grader', version: '1.0.0' } });
    if (reply.status !== 200 || !reply.message?.result) return reply;
    const chosen = reply.message.result.protocolVersion;
    this.protocolVersion = typeof chosen === 'string' ? chosen : protocolVersion;
    const session = reply.headers['mcp-session-id'];
    if (session) this.sessionId = session;
    await this.ctx.http.request({ method: 'POST', url: this.url, headers: this.headers(), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), timeoutMs: 30_000 });
    return reply;
  }
}

/** The text parts of an MCP `tools/call` result, joined. */
export function toolResultText(result: Record<string, unknown> | undefined): string {
  const content = Array.isArray(result?.content) ? (result.content as unknown[]) : [];
  const texts = content.map((c) => (c !== null && typeof c === 'object' && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : ''));
  const structured = result?.structuredContent !== undefined ? JSON.stringify(result.structuredContent) : '';
  return [...texts, structured].filter(Boolean).join('\n');
}

/** An MCP tool's name as an AgentCore gateway lists it: `<target name>___<tool name>`, or the bare name. */
export function isGatewayTool(listedName: string, toolName: string): boolean {
  return listedName === toolName || listedName.endsWith(`___${toolName}`);
}
