import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand, ListMemoryRecordsCommand, type MemoryRecordSummary } from '@aws-sdk/client-bedrock-agentcore';
import type { GetAgentRuntimeResponse, Memory } from '@aws-sdk/client-bedrock-agentcore-control';
import { defineGrader, error, fail, pass, type CheckContext } from '../../src';
import { classifyFailure } from '../../src/aws/errors';
import {
  actorNamespacePrefix,
  findAgentRuntimesByName,
  findGatewaysByName,
  findMemoriesByName,
  gatewayTargets,
  getAgentRuntime,
  getGateway,
  judgeJwtAuthoriser,
  lambdaTools,
  mentionsCode,
  readyEndpoint,
  runtimeEndpoints,
  runtimeResponseText,
  semanticStrategies,
} from '../lib/agentcore';
import { excerpt } from '../lib/agent-trace';
import { allPages } from '../lib/aws-calls';
import { getFunctionConfiguration } from '../lib/lambda';

const RUNTIME_NAME = 'helpdesk_agent';
const GATEWAY_NAME = 'helpdesk-tools';
const MEMORY_NAME = 'helpdesk_memory';
/** Recall is model-driven: up to this many second sessions; the first that recalls the fact passes. */
const MAX_TRIES = 3;
const THRESHOLD = `threshold: 1 of up to ${MAX_TRIES} tries`;
/** Long-term extraction runs asynchronously after the conversation; AWS quotes "about a minute". */
const EXTRACTION_WAIT_MS = 180_000;

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

async function theRuntime(ctx: CheckContext): Promise<GetAgentRuntimeResponse & { agentRuntimeId: string; agentRuntimeArn: string }> {
  const found = await findAgentRuntimesByName(ctx, RUNTIME_NAME);
  const runtime = found.length === 1 && found[0]!.agentRuntimeId ? await getAgentRuntime(ctx, found[0]!.agentRuntimeId) : undefined;
  if (!runtime?.agentRuntimeId || !runtime.agentRuntimeArn) throw new Error(`expected exactly one runtime named ${RUNTIME_NAME}; the runtime-ready check guards this`);
  return { ...runtime, agentRuntimeId: runtime.agentRuntimeId, agentRuntimeArn: runtime.agentRuntimeArn };
}

async function theEndpointName(ctx: CheckContext): Promise<string> {
  const endpoint = readyEndpoint(await runtimeEndpoints(ctx, (await theRuntime(ctx)).agentRuntimeId));
  if (!endpoint?.name) throw new Error('the runtime-endpoint-ready check guards this');
  return endpoint.name;
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

/** One turn with the agent through its READY endpoint, as the user of this run, in session `n`. */
async function converse(ctx: CheckContext, n: number, prompt: string): Promise<Conversation> {
  const fact = probeFact(ctx.nonce);
  const runtime = await theRuntime(ctx);
  const sessionId = fact.sessionId(n);
  try {
    const res = await ctx.client(BedrockAgentCoreClient).send(
      new InvokeAgentRuntimeCommand({
        agentRuntimeArn: runtime.agentRuntimeArn,
        qualifier: await theEndpointName(ctx),
        runtimeSessionId: sessionId,
        contentType: 'application/json',
        accept: 'application/json, text/event-stream',
        payload: new TextEncoder().encode(JSON.stringify({ prompt, actorId: fact.actorId })),
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
  return ctx.memo('first-session', () => converse(ctx, 1, probeFact(ctx.nonce).statement));
}

export default defineGrader({
  task: 'agentic-agentcore-runtime',
  probes: ['bedrock-agentcore:InvokeAgentRuntime'],
  checks: [
    {
      // Passes when exactly one runtime is named helpdesk_agent, its latest version is READY, and it accepts IAM (SigV4) callers.
      id: 'runtime-ready',
      title: 'Agent runtime helpdesk_agent is READY',
      points: 15,
      critical: true,
      hint: 'Deploy your agent to AgentCore Runtime under the name from the instructions and wait until it is ready; keep its inbound authentication on IAM.',
      async run(ctx) {
        const found = await findAgentRuntimesByName(ctx, RUNTIME_NAME);
        if (found.length === 0) return fail(`no agent runtime named ${RUNTIME_NAME} in ${ctx.region}`, { expected: `one runtime named ${RUNTIME_NAME}`, actual: 'none' });
        if (found.length > 1) return fail(`${found.length} runtimes are named ${RUNTIME_NAME}; keep exactly one`, { expected: 1, actual: found.map((r) => r.agentRuntimeId) });
        const runtime = await getAgentRuntime(ctx, found[0]!.agentRuntimeId!);
        if (!runtime) return error(`runtime ${RUNTIME_NAME} disappeared while grading; grade again`);
        const detail = {
          expected: 'status READY, inbound auth IAM (no JWT authorizer)',
          actual: { version: runtime.agentRuntimeVersion, status: runtime.status, failureReason: runtime.failureReason, protocol: runtime.protocolConfiguration?.serverProtocol ?? 'HTTP', jwtInbound: runtime.authorizerConfiguration?.customJWTAuthorizer !== undefined },
          resource: runtime.agentRuntimeArn,
        };
        if (runtime.status !== 'READY') return fail(`runtime ${RUNTIME_NAME} version ${runtime.agentRuntimeVersion} is ${runtime.status}${runtime.failureReason ? `: ${runtime.failureReason}` : ''}`, detail);
        if (runtime.authorizerConfiguration?.customJWTAuthorizer) return fail('the runtime only accepts JWT bearer tokens, so it cannot be called with AWS credentials as the instructions require', detail);
        return pass(`runtime ${runtime.agentRuntimeId} version ${runtime.agentRuntimeVersion} is READY`, detail);
      },
    },
    {
      // Passes when the runtime has an endpoint whose status is READY.
      id: 'runtime-endpoint-ready',
      title: 'The runtime has a READY endpoint',
      points: 10,
      critical: true,
      dependsOn: ['runtime-ready'],
      hint: 'A runtime is called through an endpoint (the DEFAULT one, or one you create); check that it finished deploying.',
      async run(ctx) {
        const runtime = await theRuntime(ctx);
        const endpoints = await runtimeEndpoints(ctx, runtime.agentRuntimeId);
        const endpoint = readyEndpoint(endpoints);
        const detail = { expected: 'an endpoint with status READY', actual: endpoints.map((e) => ({ name: e.name, status: e.status, liveVersion: e.liveVersion })), resource: runtime.agentRuntimeArn };
        if (!endpoint) return fail(endpoints.length === 0 ? 'the runtime has no endpoint' : `no endpoint is READY (${endpoints.map((e) => `${e.name}: ${e.status}`).join(', ')})`, detail);
        return pass(`endpoint ${endpoint.name} is READY on version ${endpoint.liveVersion ?? '?'}`, { ...detail, resource: endpoint.agentRuntimeEndpointArn });
      },
    },
    {
      // Passes when exactly one gateway is named helpdesk-tools, speaks MCP and is READY.
      id: 'gateway-exists',
      title: 'Gateway helpdesk-tools is READY',
      points: 5,
      critical: true,
      hint: 'Create one AgentCore Gateway (MCP) with the name from the instructions and wait until it is ready.',
      async run(ctx) {
        const found = await findGatewaysByName(ctx, GATEWAY_NAME);
        if (found.length === 0) return fail(`no gateway named ${GATEWAY_NAME} in ${ctx.region}`, { expected: `one gateway named ${GATEWAY_NAME}`, actual: 'none' });
        if (found.length > 1) return fail(`${found.length} gateways are named ${GATEWAY_NAME}; keep exactly one`, { expected: 1, actual: found.map((g) => g.gatewayId) });
        const gateway = await getGateway(ctx, found[0]!.gatewayId!);
        if (!gateway) return error(`gateway ${GATEWAY_NAME} disappeared while grading; grade again`);
        const detail = { expected: 'protocol MCP, status READY', actual: { status: gateway.status, protocol: gateway.protocolType, statusReasons: gateway.statusReasons }, resource: gateway.gatewayArn };
        if (gateway.protocolType !== 'MCP') return fail(`gateway ${GATEWAY_NAME} speaks ${gateway.protocolType ?? 'no protocol'}, not MCP`, detail);
        if (gateway.status !== 'READY') return fail(`gateway ${GATEWAY_NAME} is ${gateway.status}`, detail);
        return pass(`gateway ${gateway.gatewayId} is READY at ${gateway.gatewayUrl ?? 'its MCP URL'}`, detail);
      },
    },
    {
      // Passes when the gateway's authorizer is CUSTOM_JWT with a discovery URL and at least one allowed audience or client.
      id: 'gateway-jwt-authoriser',
      title: 'The gateway admits callers by JWT',
      points: 15,
      critical: true,
      dependsOn: ['gateway-exists'],
      hint: 'Configure the gateway\'s inbound authorisation with your identity provider\'s OpenID Connect discovery URL, and say which audience or app clients may call it.',
      async run(ctx) {
        const gateway = await getGateway(ctx, (await theGateway(ctx)).gatewayId);
        if (!gateway) return error(`gateway ${GATEWAY_NAME} disappeared while grading; grade again`);
        const judgement = judgeJwtAuthoriser(gateway);
        const detail = { expected: 'CUSTOM_JWT, discovery URL, allowed audience or clients', actual: { authorizerType: gateway.authorizerType, authorizerConfiguration: gateway.authorizerConfiguration ?? 'none' }, resource: gateway.gatewayArn };
        return judgement.ok ? pass(judgement.reason, detail) : fail(judgement.reason, detail);
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
          const turn = await converse(ctx, attempt + 1, fact.question);
          const passed = turn.ok && mentionsCode(turn.text, fact.code);
          tries.push(turn.ok ? { sessionId: turn.sessionId, answer: excerpt(turn.text), passed } : { sessionId: turn.sessionId, failed: turn.failed, passed });
          if (passed) return pass(`on try ${attempt} a new session recalled the locker code (${THRESHOLD})`, { expected: `an answer containing ${fact.code}`, actual: tries, resource: runtime.agentRuntimeArn });
        }
        return fail(`in ${MAX_TRIES} new sessions for ${fact.actorId} the agent never gave back the locker code (${THRESHOLD})`, { expected: `an answer containing ${fact.code}`, actual: tries, resource: runtime.agentRuntimeArn });
      },
    },
  ],
});
