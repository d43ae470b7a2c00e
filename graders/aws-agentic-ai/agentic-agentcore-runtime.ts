import { createHash } from 'node:crypto';
import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand, ListMemoryRecordsCommand, type MemoryRecordSummary } from '@aws-sdk/client-bedrock-agentcore';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { GetAgentRuntimeResponse, Memory } from '@aws-sdk/client-bedrock-agentcore-control';
import { defineGrader, error, fail, pass, type CheckContext, type Verdict } from '../../src';
import { classifyFailure } from '../../src/aws/errors';
import {
  actorNamespacePrefix,
  cognitoPoolOf,
  findAgentRuntimesByName,
  findGatewaysByName,
  findMemoriesByName,
  gatewayTargets,
  getAgentRuntime,
  getGateway,
  getRuntimeEndpoint,
  isGatewayTool,
  judgeJwtAuthoriser,
  lambdaTools,
  McpClient,
  mentionsCode,
  RUNTIME_TRANSITIONAL,
  runtimeResponseText,
  semanticStrategies,
  toolResultText,
  type McpReply,
} from '../lib/agentcore';
import type { UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
import { clientCredentialsToken, discoveryUrlOf, findUserPoolByName, findUserPoolClientByName, tokenEndpointOf, type TokenResult } from '../lib/cognito';
import { excerpt } from '../lib/agent-trace';
import { allPages, orNotFound } from '../lib/aws-calls';
import { evaluate } from '../lib/iam-policy';
import { roleStatements } from '../lib/iam-role';
import { getFunctionConfiguration, invokeGrants, parseFunctionArn } from '../lib/lambda';

const RUNTIME_NAME = 'helpdesk_agent';
const GATEWAY_NAME = 'helpdesk-tools';
const MEMORY_NAME = 'helpdesk_memory';
/** Recall and tool use are model-driven: up to this many sessions; the first that gets it right passes. */
const MAX_TRIES = 3;
const THRESHOLD = `threshold: 1 of up to ${MAX_TRIES} tries`;
/** Long-term extraction runs asynchronously after the conversation; AWS quotes "about a minute". */
const EXTRACTION_WAIT_MS = 180_000;
/** How long a runtime, endpoint or gateway may stay CREATING or UPDATING before the run gives up (ERROR). */
const SETTLE_WAIT_MS = 180_000;
/** The endpoint SkillProof calls: AgentCore creates it with the runtime and moves it to each new version. */
const ENDPOINT_NAME = 'DEFAULT';
/** The tool the gateway must expose, and the argument it takes. */
const TOOL_NAME = 'get_ticket_status';
/** The sandbox's seeded identity provider (task.ts `seed`), named `skillproof-<attempt>-<logicalId>`. */
export const IDP = { logicalId: 'helpdesk-idp', agentClient: 'helpdesk-agent', otherClient: 'helpdesk-reporting' } as const;

/**
 * What this run tells the agent and asks it back: a locker code made from the run's nonce (so no
 * earlier run or model can know it), the user it belongs to, and session ids of at least 33 characters.
 */
export function probeFact(nonce: string) {
  const code = `${nonce.slice(0, 4)}-${nonce.slice(4, 8)}`;
  return {
    code,
    actorId: `skillproof-user-${nonce}`,
    statement: `Please remember this for later: my locker code is ${code}.`,
    question: 'What is my locker code? Answer with the code.',
    sessionId: (n: number) => `skillproof-${nonce}-session-${n}`,
  };
}

/** Statuses a probe ticket may have; the status alone is guessable, so the answer is judged by its update reference. */
const TICKET_STATUSES = ['OPEN', 'IN_PROGRESS', 'WAITING_FOR_USER', 'RESOLVED'] as const;
/** Unconditional read actions on a DynamoDB table's items (PartiQL SELECT included). */
const TABLE_READS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:PartiQLSelect'];
const INVOKES = ['lambda:InvokeFunction', 'lambda:InvokeAsync'];

/** The sandbox's seeded tickets table (task.ts `seed`), named `skillproof-<attempt>-tickets` like every seeded table. */
export function seededTicketsTable(attemptId: string): string {
  return `skillproof-${attemptId}-tickets`;
}

/**
 * A ticket the grader writes into the seeded table for one probe: its id and update reference are taken
 * from a hash of the run's nonce and the probe's purpose, so each probe has its own ticket (they may run
 * at once) and no one can know the reference unless something read the table.
 */
export function probeTicket(nonce: string, purpose: 'gateway' | 'agent') {
  const h = createHash('sha256').update(`${nonce}:${purpose}`).digest('hex').toUpperCase();
  return {
    ticketId: `HD-${h.slice(0, 8)}`,
    status: TICKET_STATUSES[parseInt(h.slice(8, 10), 16) % TICKET_STATUSES.length]!,
    updateRef: `UPD-${h.slice(10, 14)}-${h.slice(14, 18)}`,
  };
}
type ProbeTicket = ReturnType<typeof probeTicket>;

/**
 * Writes `ticket` into the seeded tickets table, runs `use`, then deletes the ticket again (both calls are
 * the grader's declared probes, scoped to that table). A missing table is the sandbox's fault: ERROR; so is a
 * clean-up that fails (SkillProof's own call), whatever `use` decided.
 */
async function withProbeTicket(ctx: CheckContext, ticket: ProbeTicket, use: () => Promise<Verdict>): Promise<Verdict> {
  const TableName = seededTicketsTable(ctx.attemptId);
  const ddb = ctx.client(DynamoDBClient);
  const Item = {
    ticketId: { S: ticket.ticketId },
    status: { S: ticket.status },
    updateRef: { S: ticket.updateRef },
    summary: { S: 'SkillProof probe ticket: laptop does not start' },
  };
  const written = await orNotFound(ddb.send(new PutItemCommand({ TableName, Item })));
  if (!written) return error(`the sandbox's seeded tickets table ${TableName} does not exist, so no probe ticket could be written; the sandbox is incomplete (not the candidate's doing)`);
  try {
    return await use();
  } finally {
    // Runs whatever `use` decided; if the ticket cannot be removed, the run is incomplete (ERROR) so the next one retries.
    await ddb.send(new DeleteItemCommand({ TableName, Key: { ticketId: { S: ticket.ticketId } } }));
  }
}

/** Re-reads a resource while its status is CREATING or UPDATING (up to 3 minutes); undefined if it never settles. */
async function settled<T>(ctx: CheckContext, what: string, first: T | undefined, status: (value: T) => string | undefined, reread: () => Promise<T | undefined>): Promise<T | undefined> {
  if (first === undefined || !RUNTIME_TRANSITIONAL.has(status(first) ?? '')) return first;
  return ctx.waitFor(
    `${what} to finish deploying`,
    async () => {
      const current = await reread();
      return current === undefined || !RUNTIME_TRANSITIONAL.has(status(current) ?? '') ? current : undefined;
    },
    { timeoutMs: SETTLE_WAIT_MS, intervalMs: 2_000 },
  );
}

async function theRuntime(ctx: CheckContext): Promise<GetAgentRuntimeResponse & { agentRuntimeId: string; agentRuntimeArn: string }> {
  const found = await findAgentRuntimesByName(ctx, RUNTIME_NAME);
  const runtime = found.length === 1 && found[0]!.agentRuntimeId ? await getAgentRuntime(ctx, found[0]!.agentRuntimeId) : undefined;
  if (!runtime?.agentRuntimeId || !runtime.agentRuntimeArn) throw new Error(`expected exactly one runtime named ${RUNTIME_NAME}; the runtime-ready check guards this`);
  return { ...runtime, agentRuntimeId: runtime.agentRuntimeId, agentRuntimeArn: runtime.agentRuntimeArn };
}

async function theGateway(ctx: CheckContext): Promise<{ gatewayId: string }> {
  const found = await findGatewaysByName(ctx, GATEWAY_NAME);
  if (found.length !== 1 || !found[0]!.gatewayId) throw new Error(`expected exactly one gateway named ${GATEWAY_NAME}; the gateway-exists check guards this`);
  return { gatewayId: found[0]!.gatewayId };
}

async function theMemory(ctx: CheckContext): Promise<Memory & { id: string }> {
  const found = await findMemoriesByName(ctx, MEMORY_NAME);
  if (found.length !== 1 || !found[0]!.id) throw new Error(`expected exactly one memory named ${MEMORY_NAME}; the memory-semantic-strategy check guards this`);
  return { ...found[0]!, id: found[0]!.id };
}

type Conversation = { sessionId: string; ok: true; text: string; contentType?: string } | { sessionId: string; ok: false; failed: string };

/** One turn with the agent through its DEFAULT endpoint, as user `actorId`, in session `sessionId` (at least 33 characters). */
async function converse(ctx: CheckContext, sessionId: string, actorId: string, prompt: string): Promise<Conversation> {
  const runtime = await theRuntime(ctx);
  try {
    const res = await ctx.client(BedrockAgentCoreClient).send(
      new InvokeAgentRuntimeCommand({
        agentRuntimeArn: runtime.agentRuntimeArn,
        qualifier: ENDPOINT_NAME,
        runtimeSessionId: sessionId,
        contentType: 'application/json',
        accept: 'application/json, text/event-stream',
        payload: new TextEncoder().encode(JSON.stringify({ prompt, actorId })),
      }),
    );
    // The grading session drains the streamed body to bytes before a check sees it.
    const body: unknown = res.response;
    const bytes = body instanceof Uint8Array ? body : await res.response?.transformToByteArray();
    const text = runtimeResponseText(bytes, res.contentType);
    if (res.statusCode !== undefined && res.statusCode >= 400) return { sessionId, ok: false, failed: `the agent answered HTTP ${res.statusCode}: ${excerpt(text)}` };
    return { sessionId, ok: true, text, ...(res.contentType ? { contentType: res.contentType } : {}) };
  } catch (err) {
    // RuntimeClientError: the agent's own code failed (AgentCore relays its 5xx); the candidate's to fix.
    if (classifyFailure(err).code === 'RuntimeClientError') return { sessionId, ok: false, failed: (err as Error).message };
    throw err;
  }
}

/** Session 1: the user states the fact. Shared by the checks that follow it. */
function firstSession(ctx: CheckContext): Promise<Conversation> {
  const fact = probeFact(ctx.nonce);
  return ctx.memo('first-session', () => converse(ctx, fact.sessionId(1), fact.actorId, fact.statement));
}

type Idp = { poolId: string; discoveryUrl: string; tokenUrl: string; agent: UserPoolClientType; other: UserPoolClientType };

/** The sandbox's seeded user pool and its two app clients, or why the sandbox lacks them (SkillProof's problem: ERROR). */
function theIdentityProvider(ctx: CheckContext): Promise<{ ok: true; idp: Idp } | { ok: false; problem: string }> {
  return ctx.memo('seeded-idp', async () => {
    const poolName = `skillproof-${ctx.attemptId}-${IDP.logicalId}`;
    const pool = await findUserPoolByName(ctx, poolName);
    if (!pool?.Id) return { ok: false as const, problem: `the sandbox's user pool ${poolName} does not exist; the sandbox is incomplete (not the candidate's doing)` };
    if (!pool.Domain) return { ok: false as const, problem: `the sandbox's user pool ${poolName} has no domain, so it cannot issue tokens; the sandbox is incomplete` };
    const [agent, other] = await Promise.all([findUserPoolClientByName(ctx, pool.Id, IDP.agentClient), findUserPoolClientByName(ctx, pool.Id, IDP.otherClient)]);
    if (!agent?.ClientId || !other?.ClientId) return { ok: false as const, problem: `the sandbox's user pool ${poolName} lacks app client ${IDP.agentClient} or ${IDP.otherClient}; the sandbox is incomplete` };
    return { ok: true as const, idp: { poolId: pool.Id, discoveryUrl: discoveryUrlOf(ctx.region, pool.Id), tokenUrl: tokenEndpointOf(ctx.region, pool.Domain), agent, other } };
  });
}

/** An access token of one of the seeded app clients, or why none could be had (the pool is SkillProof's: ERROR). */
function tokenOf(ctx: CheckContext, which: 'agent' | 'other'): Promise<TokenResult> {
  return ctx.memo(`token:${which}`, async () => {
    const found = await theIdentityProvider(ctx);
    if (!found.ok) return { ok: false as const, problem: found.problem };
    const token = await clientCredentialsToken(ctx, found.idp.tokenUrl, found.idp[which]);
    return token.ok ? token : { ok: false as const, problem: `could not get a token from the sandbox's user pool: ${token.problem}` };
  });
}

/** The gateway's URL and the MCP versions it supports. */
async function theGatewayEndpoint(ctx: CheckContext): Promise<{ url: string; arn?: string; versions?: string[] }> {
  const gateway = await getGateway(ctx, (await theGateway(ctx)).gatewayId);
  if (!gateway?.gatewayUrl) throw new Error(`gateway ${GATEWAY_NAME} has no URL; the gateway-exists check guards this`);
  return { url: gateway.gatewayUrl, ...(gateway.gatewayArn ? { arn: gateway.gatewayArn } : {}), ...(gateway.protocolConfiguration?.mcp?.supportedVersions ? { versions: gateway.protocolConfiguration.mcp.supportedVersions } : {}) };
}

/** What a reply shows in a check's detail: status and JSON-RPC outcome, never a header. */
function replySummary(reply: McpReply) {
  return { status: reply.status, ...(reply.message?.error ? { error: reply.message.error } : {}), ...(reply.message?.result ? {} : { body: excerpt(reply.body) }) };
}

/** A refused call: 401 or 403 (the JWT authorizer's answer). */
const refused = (status: number) => status === 401 || status === 403;

export default defineGrader({
  task: 'agentic-agentcore-runtime',
  probes: ['bedrock-agentcore:InvokeAgentRuntime', 'http:POST', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  checks: [
    {
      // Passes when exactly one runtime is named helpdesk_agent and its latest version is READY (CREATING or UPDATING is waited out, up to 3 minutes).
      id: 'runtime-ready',
      title: 'Agent runtime helpdesk_agent is READY',
      points: 15,
      critical: true,
      timeoutMs: SETTLE_WAIT_MS + 60_000,
      hint: 'Deploy your agent to AgentCore Runtime under the name from the instructions and wait until it is ready; if an update failed, its failure reason says why.',
      async run(ctx) {
        const found = await findAgentRuntimesByName(ctx, RUNTIME_NAME);
        if (found.length === 0) return fail(`no agent runtime named ${RUNTIME_NAME} in ${ctx.region}`, { expected: `one runtime named ${RUNTIME_NAME}`, actual: 'none' });
        if (found.length > 1) return fail(`${found.length} runtimes are named ${RUNTIME_NAME}; keep exactly one`, { expected: 1, actual: found.map((r) => r.agentRuntimeId) });
        const id = found[0]!.agentRuntimeId!;
        const first = await getAgentRuntime(ctx, id);
        if (!first) return error(`runtime ${RUNTIME_NAME} disappeared while grading; grade again`);
        const runtime = await settled(ctx, `runtime ${RUNTIME_NAME}`, first, (r) => r.status, () => getAgentRuntime(ctx, id));
        if (!runtime) return error(`runtime ${RUNTIME_NAME} version ${first.agentRuntimeVersion} was still ${first.status} after ${SETTLE_WAIT_MS / 1000} s; grade again when it is READY`, { resource: first.agentRuntimeArn });
        const detail = { expected: 'status READY', actual: { version: runtime.agentRuntimeVersion, status: runtime.status, failureReason: runtime.failureReason }, resource: runtime.agentRuntimeArn };
        if (runtime.status !== 'READY') return fail(`runtime ${RUNTIME_NAME} version ${runtime.agentRuntimeVersion} is ${runtime.status}${runtime.failureReason ? `: ${runtime.failureReason}` : ''}`, detail);
        return pass(`runtime ${runtime.agentRuntimeId} version ${runtime.agentRuntimeVersion} is READY`, detail);
      },
    },
    {
      // Passes when the runtime's DEFAULT endpoint is READY (CREATING or UPDATING is waited out) and the version it serves accepts IAM (SigV4) callers.
      id: 'runtime-endpoint-ready',
      title: 'The DEFAULT endpoint is READY and accepts AWS credentials',
      points: 10,
      critical: true,
      dependsOn: ['runtime-ready'],
      timeoutMs: SETTLE_WAIT_MS + 60_000,
      hint: 'SkillProof calls the DEFAULT endpoint, which serves the runtime\'s latest version once it has deployed; keep the inbound authentication of that version on IAM.',
      async run(ctx) {
        const runtime = await theRuntime(ctx);
        const read = () => getRuntimeEndpoint(ctx, runtime.agentRuntimeId, ENDPOINT_NAME);
        const first = await read();
        if (!first) return fail(`runtime ${RUNTIME_NAME} has no ${ENDPOINT_NAME} endpoint`, { expected: `endpoint ${ENDPOINT_NAME}`, actual: 'none', resource: runtime.agentRuntimeArn });
        const endpoint = await settled(ctx, `endpoint ${ENDPOINT_NAME}`, first, (e) => e.status, read);
        if (!endpoint) return error(`endpoint ${ENDPOINT_NAME} of ${RUNTIME_NAME} was still ${first.status} (to version ${first.targetVersion ?? '?'}) after ${SETTLE_WAIT_MS / 1000} s; grade again when it is READY`, { resource: first.agentRuntimeEndpointArn });
        const detail = { expected: `endpoint ${ENDPOINT_NAME} READY, serving a version with IAM inbound auth`, actual: { status: endpoint.status, liveVersion: endpoint.liveVersion, targetVersion: endpoint.targetVersion, failureReason: endpoint.failureReason }, resource: endpoint.agentRuntimeEndpointArn };
        if (endpoint.status !== 'READY') return fail(`endpoint ${ENDPOINT_NAME} of ${RUNTIME_NAME} is ${endpoint.status}${endpoint.failureReason ? `: ${endpoint.failureReason}` : ''}`, detail);
        if (!endpoint.liveVersion) return fail(`endpoint ${ENDPOINT_NAME} of ${RUNTIME_NAME} serves no version`, detail);
        const live = await getAgentRuntime(ctx, runtime.agentRuntimeId, endpoint.liveVersion);
        if (!live) return error(`version ${endpoint.liveVersion} of ${RUNTIME_NAME}, which endpoint ${ENDPOINT_NAME} serves, could not be read; grade again`, detail);
        const served = { ...detail, actual: { ...detail.actual, protocol: live.protocolConfiguration?.serverProtocol ?? 'HTTP', jwtInbound: live.authorizerConfiguration?.customJWTAuthorizer !== undefined } };
        if (live.authorizerConfiguration?.customJWTAuthorizer) return fail(`version ${endpoint.liveVersion} of ${RUNTIME_NAME}, which endpoint ${ENDPOINT_NAME} serves, only accepts JWT bearer tokens, so it cannot be called with AWS credentials as the instructions require`, served);
        return pass(`endpoint ${ENDPOINT_NAME} is READY on version ${endpoint.liveVersion}`, served);
      },
    },
    {
      // Passes when exactly one gateway is named helpdesk-tools, speaks MCP and is READY (CREATING or UPDATING is waited out).
      id: 'gateway-exists',
      title: 'Gateway helpdesk-tools is READY',
      points: 5,
      critical: true,
      timeoutMs: SETTLE_WAIT_MS + 60_000,
      hint: 'Create one AgentCore Gateway (MCP) with the name from the instructions and wait until it is ready.',
      async run(ctx) {
        const found = await findGatewaysByName(ctx, GATEWAY_NAME);
        if (found.length === 0) return fail(`no gateway named ${GATEWAY_NAME} in ${ctx.region}`, { expected: `one gateway named ${GATEWAY_NAME}`, actual: 'none' });
        if (found.length > 1) return fail(`${found.length} gateways are named ${GATEWAY_NAME}; keep exactly one`, { expected: 1, actual: found.map((g) => g.gatewayId) });
        const id = found[0]!.gatewayId!;
        const first = await getGateway(ctx, id);
        if (!first) return error(`gateway ${GATEWAY_NAME} disappeared while grading; grade again`);
        const gateway = await settled(ctx, `gateway ${GATEWAY_NAME}`, first, (g) => g.status, () => getGateway(ctx, id));
        if (!gateway) return error(`gateway ${GATEWAY_NAME} was still ${first.status} after ${SETTLE_WAIT_MS / 1000} s; grade again when it is READY`, { resource: first.gatewayArn });
        const detail = { expected: 'protocol MCP, status READY', actual: { status: gateway.status, protocol: gateway.protocolType, statusReasons: gateway.statusReasons }, resource: gateway.gatewayArn };
        if (gateway.protocolType !== 'MCP') return fail(`gateway ${GATEWAY_NAME} speaks ${gateway.protocolType ?? 'no protocol'}, not MCP`, detail);
        if (gateway.status !== 'READY') return fail(`gateway ${GATEWAY_NAME} is ${gateway.status}${gateway.statusReasons?.length ? `: ${gateway.statusReasons.join('; ')}` : ''}`, detail);
        return pass(`gateway ${gateway.gatewayId} is READY at ${gateway.gatewayUrl ?? 'its MCP URL'}`, detail);
      },
    },
    {
      // Passes when the gateway's authorizer is CUSTOM_JWT on the sandbox's user pool and restricts tokens by client, scope or claim (not by audience, which Cognito access tokens lack).
      id: 'gateway-jwt-authoriser',
      title: 'The gateway admits callers by JWT from the sandbox\'s user pool',
      points: 15,
      critical: true,
      dependsOn: ['gateway-exists'],
      hint: 'Configure the gateway\'s inbound authorisation with the discovery URL of the user pool the sandbox provides, and restrict it to the agent\'s app client (by allowed clients, allowed scopes or a custom claim).',
      async run(ctx) {
        const gateway = await getGateway(ctx, (await theGateway(ctx)).gatewayId);
        if (!gateway) return error(`gateway ${GATEWAY_NAME} disappeared while grading; grade again`);
        const found = await theIdentityProvider(ctx);
        if (!found.ok) return error(found.problem);
        const detail = { expected: `CUSTOM_JWT from ${found.idp.discoveryUrl}, restricted by allowed clients, scopes or claims`, actual: { authorizerType: gateway.authorizerType, authorizerConfiguration: gateway.authorizerConfiguration ?? 'none' }, resource: gateway.gatewayArn };
        const judgement = judgeJwtAuthoriser(gateway);
        if (!judgement.ok) return fail(judgement.reason, detail);
        const discoveryUrl = gateway.authorizerConfiguration?.customJWTAuthorizer?.discoveryUrl;
        if (discoveryUrl !== found.idp.discoveryUrl) return fail(`the gateway trusts ${cognitoPoolOf(discoveryUrl) ? `user pool ${cognitoPoolOf(discoveryUrl)}` : discoveryUrl}, not the sandbox's user pool ${found.idp.poolId}, so SkillProof's tokens cannot reach it`, detail);
        return pass(judgement.reason, detail);
      },
    },
    {
      // Passes when the gateway has a READY MCP target backed by an existing Lambda function that declares at least one tool.
      id: 'gateway-lambda-tool',
      title: 'The gateway exposes a Lambda function as an MCP tool',
      points: 15,
      critical: true,
      dependsOn: ['gateway-exists'],
      hint: 'Add a Lambda target to the gateway with a tool schema describing your function\'s tool, and give the gateway\'s role permission to invoke the function.',
      async run(ctx) {
        const { gatewayId } = await theGateway(ctx);
        const targets = await gatewayTargets(ctx, gatewayId);
        const tools = lambdaTools(targets);
        const detail = { expected: 'a READY Lambda target with a tool schema', actual: { targets: targets.map((t) => ({ name: t.name, status: t.status, kind: Object.keys(t.targetConfiguration?.mcp ?? t.targetConfiguration ?? {})[0] })), lambdaTools: tools }, resource: gatewayId };
        if (tools.length === 0) return fail(targets.length === 0 ? 'the gateway has no target' : 'no target of the gateway is a Lambda function', detail);
        const problems: string[] = [];
        for (const tool of tools) {
          if (tool.status !== 'READY') {
            problems.push(`target ${tool.targetName} is ${tool.status}`);
            continue;
          }
          if (tool.tools !== undefined && tool.tools.length === 0) {
            problems.push(`target ${tool.targetName} declares no tool`);
            continue;
          }
          const fn = await getFunctionConfiguration(ctx, tool.lambdaArn);
          if (!fn) {
            problems.push(`target ${tool.targetName} points at ${tool.lambdaArn}, which does not exist`);
            continue;
          }
          return pass(`target ${tool.targetName} exposes ${fn.FunctionName} as ${tool.tools?.join(', ') ?? 'the tools of its S3 schema'}`, { ...detail, resource: fn.FunctionArn });
        }
        return fail(problems.join('; '), detail);
      },
    },
    {
      // Passes when, with a token of the sandbox's agent client, the gateway answers MCP initialize and tools/list with get_ticket_status, and tools/call for a ticket the grader just wrote to the seeded table returns that ticket's update reference without an error.
      id: 'gateway-mcp-tool-call',
      title: 'The gateway serves the ticket tool over MCP to the agent\'s client',
      points: 10,
      critical: true,
      dependsOn: ['gateway-jwt-authoriser', 'gateway-lambda-tool'],
      timeoutMs: 120_000,
      hint: 'Call your gateway yourself: get a token for the agent\'s app client from the sandbox\'s user pool (client-credentials grant), then send MCP initialize, tools/list and tools/call for the ticket tool with the id of a ticket in the sandbox\'s tickets table; the result should carry that ticket\'s fields as the table holds them.',
      async run(ctx) {
        const gateway = await theGatewayEndpoint(ctx);
        const token = await tokenOf(ctx, 'agent');
        if (!token.ok) return error(token.problem, { resource: gateway.arn });
        const ticket = probeTicket(ctx.nonce, 'gateway');
        return withProbeTicket(ctx, ticket, async () => {
          const { ticketId } = ticket;
          const mcp = new McpClient(ctx, gateway.url, token.accessToken);
          const steps: Record<string, unknown> = {};
          const expected = `initialize and tools/list answered; tools/call ${TOOL_NAME}({ticketId: ${ticketId}}) answers without error with the update reference ${seededTicketsTable(ctx.attemptId)} holds for ${ticketId}`;
          const verdictOf = (step: string, reply: McpReply) => {
            steps[step] = replySummary(reply);
            if (reply.status >= 500) return error(`the gateway answered ${step} with HTTP ${reply.status}; grade again`, { expected, actual: steps, resource: gateway.arn });
            if (refused(reply.status)) return fail(`the gateway refused a token of the sandbox's app client ${IDP.agentClient} on ${step} (HTTP ${reply.status}${reply.headers['www-authenticate'] ? `: ${reply.headers['www-authenticate']}` : ''})`, { expected, actual: steps, resource: gateway.arn });
            if (reply.status !== 200 || !reply.message) return fail(`the gateway answered ${step} with HTTP ${reply.status} and no JSON-RPC answer at ${gateway.url}`, { expected, actual: steps, resource: gateway.arn });
            if (reply.message.error) return fail(`the gateway answered ${step} with JSON-RPC error ${reply.message.error.code ?? '?'}: ${reply.message.error.message ?? ''}`, { expected, actual: steps, resource: gateway.arn });
            return undefined;
          };
          const init = await mcp.initialize(gateway.versions);
          const initVerdict = verdictOf('initialize', init);
          if (initVerdict) return initVerdict;
          const list = await mcp.request('tools/list', {});
          const listVerdict = verdictOf('tools/list', list);
          if (listVerdict) return listVerdict;
          const tools = Array.isArray(list.message!.result!.tools) ? (list.message!.result!.tools as Array<{ name?: unknown }>).map((t) => String(t.name)) : [];
          steps['tools/list'] = { ...(steps['tools/list'] as object), tools };
          const tool = tools.find((name) => isGatewayTool(name, TOOL_NAME));
          if (!tool) return fail(`the gateway lists no tool ${TOOL_NAME} (it lists: ${tools.join(', ') || 'none'})`, { expected, actual: steps, resource: gateway.arn });
          const call = await mcp.request('tools/call', { name: tool, arguments: { ticketId } });
          const callVerdict = verdictOf('tools/call', call);
          if (callVerdict) return callVerdict;
          const text = toolResultText(call.message!.result);
          steps['tools/call'] = { ...(steps['tools/call'] as object), tool, isError: call.message!.result!.isError === true, text: excerpt(text) };
          if (call.message!.result!.isError === true) return fail(`tools/call ${tool} failed: ${excerpt(text)}`, { expected, actual: steps, resource: gateway.arn });
          if (!text.includes(ticketId)) return fail(`tools/call ${tool} answered, but its result does not mention ticket ${ticketId}: ${excerpt(text)}`, { expected, actual: steps, resource: gateway.arn });
          // The reference exists only in the table (written a moment ago), so a tool that invents its answer cannot give it.
          if (!mentionsCode(text, ticket.updateRef)) return fail(`tools/call ${tool} answered for ticket ${ticketId}, but not with what the sandbox's tickets table holds for it (its updateRef is missing): does the tool read ${seededTicketsTable(ctx.attemptId)}?`, { expected, actual: steps, resource: gateway.arn });
          return pass(`tools/call ${tool} answered ticket ${ticketId} from the tickets table`, { expected, actual: steps, resource: gateway.arn });
        });
      },
    },
    {
      // Passes when the gateway refuses an MCP request without a token, and one with a token of the sandbox's other app client (HTTP 401 or 403).
      id: 'gateway-refuses-other-callers',
      title: 'The gateway refuses callers without the agent\'s token',
      points: 5,
      critical: true,
      dependsOn: ['gateway-jwt-authoriser'],
      timeoutMs: 60_000,
      hint: 'Only the agent\'s app client may call the gateway: a request without a token, or with a token of another app client of the same user pool, must be refused.',
      async run(ctx) {
        const gateway = await theGatewayEndpoint(ctx);
        const other = await tokenOf(ctx, 'other');
        if (!other.ok) return error(other.problem, { resource: gateway.arn });
        const tries: Record<string, unknown> = {};
        for (const [who, bearer] of [['no token', undefined], [`a token of app client ${IDP.otherClient}`, other.accessToken]] as const) {
          const reply = await new McpClient(ctx, gateway.url, bearer).request('tools/list', {});
          tries[who] = replySummary(reply);
          if (reply.status >= 500) return error(`the gateway answered HTTP ${reply.status} to a request with ${who}; grade again`, { actual: tries, resource: gateway.arn });
          if (!refused(reply.status)) return fail(`the gateway answered HTTP ${reply.status} to tools/list with ${who}: it must refuse every caller but the agent's app client ${IDP.agentClient}`, { expected: 'HTTP 401 or 403', actual: tries, resource: gateway.arn });
        }
        return pass(`the gateway refused a request without a token and one from app client ${IDP.otherClient}`, { expected: 'HTTP 401 or 403', actual: tries, resource: gateway.arn });
      },
    },
    {
      // Passes when the identity policies of the role that DEFAULT's version runs as grant no read of the seeded tickets table and no invocation of the gateway's Lambda tool functions, and no function's resource policy lets that role (or anyone) invoke it.
      id: 'runtime-role-no-direct-ticket-access',
      title: 'The agent can reach tickets only through the gateway',
      points: 10,
      critical: true,
      dependsOn: ['runtime-endpoint-ready', 'gateway-lambda-tool'],
      hint: 'Your agent should reach tickets only as an MCP client of the gateway: its runtime role needs no DynamoDB read on the tickets table and no permission to invoke the tool\'s Lambda function (that is the gateway role\'s job).',
      async run(ctx) {
        const runtime = await theRuntime(ctx);
        const endpoint = await getRuntimeEndpoint(ctx, runtime.agentRuntimeId, ENDPOINT_NAME);
        const live = endpoint?.liveVersion ? await getAgentRuntime(ctx, runtime.agentRuntimeId, endpoint.liveVersion) : undefined;
        if (!live?.roleArn) return error(`the version of ${RUNTIME_NAME} that endpoint ${ENDPOINT_NAME} serves could not be read; grade again`, { resource: runtime.agentRuntimeArn });
        const roleArn = live.roleArn;
        const tableArn = `arn:aws:dynamodb:${ctx.region}:${ctx.accountId}:table/${seededTicketsTable(ctx.attemptId)}`;
        const functions = [...new Set(lambdaTools(await gatewayTargets(ctx, (await theGateway(ctx)).gatewayId)).map((t) => parseFunctionArn(t.lambdaArn).unqualifiedArn))];
        const statements = await roleStatements(ctx, roleArn);
        // What reaches tickets without the gateway, grouped as "<actions> on <resource> (<granted by>)".
        const reach = new Map<string, string[]>();
        const add = (action: string, where: string) => reach.set(where, [...(reach.get(where) ?? []), action]);
        for (const [actions, resource] of [[TABLE_READS, tableArn], ...functions.map((f) => [INVOKES, f] as const)] as const) {
          for (const action of actions) {
            const decision = evaluate(statements, action, resource);
            if (decision.decision === 'allow') add(action, `${resource} (${decision.allowedBy.join(', ')}${decision.conditional ? ', under a condition' : ''})`);
          }
        }
        for (const fn of functions) {
          // A resource policy naming the role, or anyone, lets the role invoke the function without any identity policy.
          for (const g of (await invokeGrants(ctx, fn)) ?? []) {
            if (g.principal === roleArn || (g.principal === '*' && g.sourceArns.length === 0 && g.otherConditions.length === 0)) add('lambda:InvokeFunction', `${fn} (its resource policy: statement ${g.sid} lets ${g.principal} invoke it)`);
          }
        }
        const grants = [...reach].map(([where, actions]) => `${actions.join(', ')} on ${where}`);
        const detail = { expected: `role ${roleArn} may neither read ${tableArn} nor invoke ${functions.join(', ')}`, actual: { role: roleArn, runtimeVersion: live.agentRuntimeVersion, directAccess: grants }, resource: roleArn };
        if (grants.length > 0) return fail(`the runtime's role ${roleArn} can reach tickets without the gateway: ${grants.join('; ')}`, detail);
        return pass(`role ${roleArn} can neither read the tickets table nor invoke the tool's function`, detail);
      },
    },
    {
      // Passes when, asked in a new session about a ticket the grader just wrote to the seeded table, the agent's answer contains that ticket's update reference (first of up to 3 sessions).
      id: 'agent-uses-gateway-tool',
      title: 'The agent answers ticket questions with the gateway\'s tool',
      points: 10,
      critical: true,
      dependsOn: ['runtime-endpoint-ready', 'gateway-mcp-tool-call', 'runtime-role-no-direct-ticket-access'],
      timeoutMs: 300_000,
      hint: 'Give your agent the gateway\'s tools as an MCP client (with a token of the agent\'s app client), and let it look tickets up with the ticket tool rather than answer from what it knows; the answer should pass on what the tool returned.',
      async run(ctx) {
        const runtime = await theRuntime(ctx);
        const ticket = probeTicket(ctx.nonce, 'agent');
        return withProbeTicket(ctx, ticket, async () => {
          const question = `What is the current status of helpdesk ticket ${ticket.ticketId}? Please include its update reference.`;
          const expected = { ticket: ticket.ticketId, answerContains: 'the ticket\'s updateRef, as the tickets table holds it', threshold: `1 of ${MAX_TRIES}` };
          const tries: unknown[] = [];
          for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
            const turn = await converse(ctx, `skillproof-${ctx.nonce}-ticket-${attempt}`, `skillproof-staff-${ctx.nonce}`, question);
            const passed = turn.ok && mentionsCode(turn.text, ticket.updateRef);
            tries.push(turn.ok ? { sessionId: turn.sessionId, answer: excerpt(turn.text), passed } : { sessionId: turn.sessionId, failed: turn.failed, passed });
            if (passed) return pass(`on try ${attempt} the agent answered with the update reference of ticket ${ticket.ticketId}, which only the gateway's tool could give it (${THRESHOLD})`, { expected, actual: tries, resource: runtime.agentRuntimeArn });
          }
          return fail(`in ${MAX_TRIES} sessions the agent never answered with the update reference of ticket ${ticket.ticketId}, which the gateway's ${TOOL_NAME} returns (${THRESHOLD})`, { expected, actual: tries, resource: runtime.agentRuntimeArn });
        });
      },
    },
    {
      // Passes when exactly one memory is named helpdesk_memory, it is ACTIVE, and it has an ACTIVE semantic strategy.
      id: 'memory-semantic-strategy',
      title: 'Memory helpdesk_memory extracts facts (semantic strategy)',
      points: 15,
      critical: true,
      hint: 'Create an AgentCore Memory with the name from the instructions and a long-term strategy that extracts facts from conversations.',
      async run(ctx) {
        const found = await findMemoriesByName(ctx, MEMORY_NAME);
        if (found.length === 0) return fail(`no memory named ${MEMORY_NAME} in ${ctx.region}`, { expected: `one memory named ${MEMORY_NAME}`, actual: 'none' });
        if (found.length > 1) return fail(`${found.length} memories are named ${MEMORY_NAME}; keep exactly one`, { expected: 1, actual: found.map((m) => m.id) });
        const memory = found[0]!;
        const strategies = (memory.strategies ?? []).map((s) => ({ name: s.name, type: s.type, override: s.configuration?.type, status: s.status, namespaces: s.namespaceTemplates ?? s.namespaces }));
        const detail = { expected: 'status ACTIVE with an ACTIVE SEMANTIC strategy', actual: { status: memory.status, strategies }, resource: memory.arn };
        if (memory.status !== 'ACTIVE') return fail(`memory ${MEMORY_NAME} is ${memory.status}${memory.failureReason ? `: ${memory.failureReason}` : ''}`, detail);
        const semantic = semanticStrategies(memory);
        if (semantic.length === 0) return fail(`memory ${MEMORY_NAME} has no semantic strategy (it has: ${strategies.map((s) => s.type).join(', ') || 'none'})`, detail);
        const active = semantic.filter((s) => (s.status ?? 'ACTIVE') === 'ACTIVE');
        if (active.length === 0) return fail(`the semantic strategy of ${MEMORY_NAME} is ${semantic[0]!.status}`, detail);
        return pass(`memory ${memory.id} extracts facts with strategy ${active[0]!.name}`, detail);
      },
    },
    {
      // Passes when, after the user states a fact in session 1, the memory's semantic strategy stores a record holding it for that user.
      id: 'memory-records-extracted',
      title: 'A fact told to the agent becomes a long-term memory record',
      points: 15,
      critical: true,
      dependsOn: ['runtime-endpoint-ready', 'memory-semantic-strategy'],
      timeoutMs: 300_000,
      hint: 'Your agent should save each conversation turn to the memory as events for the user (actorId) and session it is given; the semantic strategy extracts facts from those events a minute or so later.',
      async run(ctx) {
        const fact = probeFact(ctx.nonce);
        const memory = await theMemory(ctx);
        const first = await firstSession(ctx);
        if (!first.ok) return fail(`the agent failed in session 1: ${first.failed}`, { expected: 'an answer to the first message', actual: first, resource: (await theRuntime(ctx)).agentRuntimeArn });
        const strategies = semanticStrategies(memory).filter((s) => s.strategyId);
        const searched = strategies.map((s) => ({ strategyId: s.strategyId!, namespace: actorNamespacePrefix(s, fact.actorId) }));
        let seen = 0;
        const found = await ctx.waitFor(
          `a memory record mentioning ${fact.code}`,
          async () => {
            for (const { strategyId, namespace } of searched) {
              const client = ctx.client(BedrockAgentCoreClient);
              const records: MemoryRecordSummary[] = await allPages(
                (nextToken) => client.send(new ListMemoryRecordsCommand({ memoryId: memory.id, namespace, memoryStrategyId: strategyId, maxResults: 50, ...(nextToken ? { nextToken } : {}) })),
                (page) => page.memoryRecordSummaries,
                (page) => page.nextToken,
              );
              seen = Math.max(seen, records.length);
              const hit = records.find((r) => mentionsCode(r.content?.text ?? '', fact.code));
              if (hit) return hit;
            }
            return undefined;
          },
          { timeoutMs: EXTRACTION_WAIT_MS, intervalMs: 5_000 },
        );
        const detail = { expected: `a record mentioning ${fact.code} for actor ${fact.actorId}`, actual: { session1: { sessionId: first.sessionId, answer: excerpt(first.text) }, searched, recordsSeen: seen, ...(found ? { record: { id: found.memoryRecordId, namespaces: found.namespaces, text: excerpt(found.content?.text ?? '') } } : {}) }, resource: memory.arn };
        if (!found) return fail(`within ${EXTRACTION_WAIT_MS / 1000} s of session 1, no memory record for ${fact.actorId} mentioned the locker code (${seen} record(s) seen)`, detail);
        return pass(`record ${found.memoryRecordId} holds the fact`, detail);
      },
    },
    {
      // Passes when, asked in a new session for the same user, the agent's answer contains the fact stated in session 1 (first of up to 3 sessions).
      id: 'fact-recalled-across-sessions',
      title: 'The agent recalls the fact in a new session',
      points: 10,
      critical: true,
      dependsOn: ['memory-records-extracted'],
      timeoutMs: 300_000,
      hint: 'At the start of a turn, retrieve the user\'s long-term memory records (by actorId, across sessions) and give the relevant ones to the model.',
      async run(ctx) {
        const fact = probeFact(ctx.nonce);
        const runtime = await theRuntime(ctx);
        const tries: unknown[] = [];
        for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
          const turn = await converse(ctx, fact.sessionId(attempt + 1), fact.actorId, fact.question);
          const passed = turn.ok && mentionsCode(turn.text, fact.code);
          tries.push(turn.ok ? { sessionId: turn.sessionId, answer: excerpt(turn.text), passed } : { sessionId: turn.sessionId, failed: turn.failed, passed });
          if (passed) return pass(`on try ${attempt} a new session recalled the locker code (${THRESHOLD})`, { expected: `an answer containing ${fact.code}`, actual: tries, resource: runtime.agentRuntimeArn });
        }
        return fail(`in ${MAX_TRIES} new sessions for ${fact.actorId} the agent never gave back the locker code (${THRESHOLD})`, { expected: `an answer containing ${fact.code}`, actual: tries, resource: runtime.agentRuntimeArn });
      },
    },
  ],
});
