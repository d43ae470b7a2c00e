import { BedrockAgentRuntimeClient, InvokeAgentCommand, type ResponseStream, type TracePart } from '@aws-sdk/client-bedrock-agent-runtime';
import { classifyFailure, tagCall } from '../../src/aws/errors';
import type { CheckContext } from '../../src/model/grader';

/**
 * Judging InvokeAgent responses. The grading session drains the `completion` event stream into an
 * array before a check sees it (live, replayed and simulated alike); these helpers read that array.
 * They look at what the trace shows the agent did, never at how the model worded its answer.
 */

export interface AgentResponse {
  /** The answer: every `chunk` event's bytes, decoded as UTF-8 and joined. */
  text: string;
  /** Every `trace` event, in order (the supervisor's and, with collaboration, each collaborator's). */
  traces: TracePart[];
  /** True when the agent handed control back to the caller instead of running an action itself. */
  returnedControl: boolean;
  /**
   * Exception events the stream ended with (`accessDeniedException`, `dependencyFailedException`, …):
   * raised while the agent ran, after InvokeAgent itself was accepted. Absent when there were none.
   */
  exceptions?: StreamException[];
}

export interface StreamException {
  /** The ResponseStream member, e.g. "accessDeniedException". */
  member: string;
  message: string;
  /** The dependency that failed (dependencyFailedException, badGatewayException), when AWS names it. */
  resourceName?: string;
}

/** The ResponseStream members that are exceptions (the union in the SDK's model, models_0.d.ts). */
const EXCEPTION_MEMBERS = [
  'accessDeniedException',
  'badGatewayException',
  'conflictException',
  'dependencyFailedException',
  'internalServerException',
  'modelNotReadyException',
  'resourceNotFoundException',
  'serviceQuotaExceededException',
  'throttlingException',
  'validationException',
] as const;

/** Reads an InvokeAgent `completion` (an array once drained; any iterable is accepted). */
export async function readAgentResponse(completion: AsyncIterable<ResponseStream> | Iterable<ResponseStream> | undefined): Promise<AgentResponse> {
  const parts: string[] = [];
  const traces: TracePart[] = [];
  const exceptions: StreamException[] = [];
  let returnedControl = false;
  for await (const event of completion ?? []) {
    if (event.chunk?.bytes) parts.push(Buffer.from(event.chunk.bytes).toString('utf8'));
    if (event.trace) traces.push(event.trace);
    if (event.returnControl) returnedControl = true;
    for (const member of EXCEPTION_MEMBERS) {
      const raised = event[member] as { message?: string; resourceName?: string } | undefined;
      if (raised) exceptions.push({ member, message: raised.message ?? '', ...(raised.resourceName !== undefined ? { resourceName: raised.resourceName } : {}) });
    }
  }
  return { text: parts.join(''), traces, returnedControl, ...(exceptions.length > 0 ? { exceptions } : {}) };
}

/**
 * Stream exceptions that show the candidate's agent is broken, whatever the grader did: its role may
 * not use the model or inference profile, the knowledge base (bedrock:Retrieve), the guardrail
 * (bedrock:ApplyGuardrail) or its collaborators (bedrock:InvokeAgent) → accessDeniedException; its
 * Lambda or a collaborator failed or refused → dependencyFailedException; something it is configured
 * to use does not exist → resourceNotFoundException; its configuration is rejected at run time (a
 * model that needs an inference profile, a malformed prompt override) → validationException. The
 * grader's own request is authorised and validated before the stream starts (HTTP 403/400 on the
 * call), so none of these can be SkillProof's.
 * Every other member (throttling, internal and bad-gateway errors, quotas, conflicts, a model not yet
 * ready) is AWS's or the sandbox account's: ERROR.
 */
const CANDIDATE_STREAM_FAULTS: ReadonlySet<string> = new Set(['accessDeniedException', 'dependencyFailedException', 'resourceNotFoundException', 'validationException']);

/** InvokeAgent errors on the call itself that show the candidate's agent is broken (a Lambda or collaborator it depends on failed), not that AWS could not answer. */
const AGENT_FAULTS = new Set(['DependencyFailedException']);

export type Invocation =
  | { ok: true; response: AgentResponse }
  /** The candidate's agent failed; `response` holds what it streamed before the exception, when it streamed. */
  | { ok: false; fault: string; response?: AgentResponse };

export interface InvokeRequest {
  agentId: string;
  agentAliasId: string;
  /** Name it from the run's nonce and the try, so each try is a fresh session and a replay sends the same request. */
  sessionId: string;
  inputText: string;
}

const INVOKE_AGENT = 'BedrockAgentRuntime.InvokeAgent';

/** Why a custom-orchestration agent cannot be graded (the task READMEs require default orchestration). */
export const CUSTOM_ORCHESTRATION_FAULT =
  'the agent uses custom orchestration: its trace is free-text customOrchestrationTrace events, which do not show the steps this task grades; the task requires default orchestration';

/** The candidate's fault, in words: "the agent's role was denied access (accessDeniedException: …)". */
export function describeStreamFault(e: StreamException): string {
  const what: Record<string, string> = {
    accessDeniedException: "the agent's own role was denied access while answering",
    dependencyFailedException: `a resource the agent depends on${e.resourceName ? ` (${e.resourceName})` : ''} failed`,
    resourceNotFoundException: 'a resource the agent is configured to use does not exist',
    validationException: "the agent's configuration was rejected while answering",
  };
  return `${what[e.member] ?? 'the agent failed'} (${e.member}: ${e.message})`;
}

/**
 * Invokes an agent with the trace on and reads the whole response. A failure of the candidate's own
 * agent comes back as a fault to judge: an exception its run streamed (see CANDIDATE_STREAM_FAULTS),
 * or a DependencyFailedException on the call. The grader's own AccessDenied (HTTP 403 on InvokeAgent),
 * throttling and server errors propagate (ERROR), and so does an exception the stream carried that is
 * AWS's, not the candidate's.
 */
export async function invokeWithTrace(ctx: CheckContext, request: InvokeRequest): Promise<Invocation> {
  let response: AgentResponse;
  try {
    const { completion } = await ctx.client(BedrockAgentRuntimeClient).send(new InvokeAgentCommand({ ...request, enableTrace: true }));
    response = await readAgentResponse(completion);
  } catch (err) {
    const f = classifyFailure(err);
    if (!AGENT_FAULTS.has(f.code)) throw err;
    return { ok: false, fault: `${f.code}: ${f.message}` };
  }
  const raised = response.exceptions?.[0];
  if (!raised) {
    if (usesCustomOrchestration(response)) return { ok: false, fault: CUSTOM_ORCHESTRATION_FAULT, response };
    return { ok: true, response };
  }
  if (CANDIDATE_STREAM_FAULTS.has(raised.member)) return { ok: false, fault: describeStreamFault(raised), response };
  const err = Object.assign(new Error(`the agent's response stream ended with ${raised.member}: ${raised.message} (AWS's or the sandbox account's trouble, not the candidate's configuration); grade again later`), {
    name: raised.member[0]!.toUpperCase() + raised.member.slice(1),
  });
  tagCall(err, INVOKE_AGENT);
  throw err;
}

/** "tries 1-3: no hand-off; try 4: …": consecutive tries that went the same way are told once. */
export function summariseTries(tries: ReadonlyArray<{ try: number; outcome: string }>): string {
  const groups: Array<{ from: number; to: number; outcome: string }> = [];
  for (const t of tries) {
    const last = groups[groups.length - 1];
    if (last?.outcome === t.outcome) last.to = t.try;
    else groups.push({ from: t.try, to: t.try, outcome: t.outcome });
  }
  return groups.map((g) => `${g.from === g.to ? `try ${g.from}` : `tries ${g.from}-${g.to}`}: ${g.outcome}`).join('; ');
}

export interface ActionGroupCall {
  actionGroupName: string;
  /** OpenAPI action groups: the operation's path and verb. */
  apiPath?: string;
  verb?: string;
  /** Function-schema action groups: the function's name. */
  function?: string;
  /** Parameters the agent passed, by name (path/query parameters, function parameters, JSON body properties). */
  parameters: Record<string, string>;
  executionType?: string;
  /** The agent whose trace shows the call (its id), when the trace part names it. */
  agentId?: string;
}

/** The action-group invocations the trace shows, in order. */
export function actionGroupCalls(response: AgentResponse): ActionGroupCall[] {
  return response.traces.flatMap((part) => {
    const input = part.trace?.orchestrationTrace?.invocationInput?.actionGroupInvocationInput;
    if (!input) return [];
    const parameters: Record<string, string> = {};
    for (const p of [...(input.parameters ?? []), ...Object.values(input.requestBody?.content ?? {}).flat()]) {
      if (p.name !== undefined) parameters[p.name] = p.value ?? '';
    }
    const call: ActionGroupCall = {
      actionGroupName: input.actionGroupName ?? '',
      parameters,
      ...(input.apiPath !== undefined ? { apiPath: input.apiPath } : {}),
      ...(input.verb !== undefined ? { verb: input.verb } : {}),
      ...(input.function !== undefined ? { function: input.function } : {}),
      ...(input.executionType !== undefined ? { executionType: input.executionType } : {}),
      ...(part.agentId !== undefined ? { agentId: part.agentId } : {}),
    };
    return [call];
  });
}

export interface ActionGroupExchange extends ActionGroupCall {
  /** What the action group returned for this call (the observation with the same trace id), if the trace shows it. */
  output?: string;
}

/**
 * Each action-group call with what it returned: an orchestration step's `invocationInput` and the
 * `observation.actionGroupInvocationOutput` of the same step (same traceId, same agent), in order.
 */
export function actionGroupExchanges(response: AgentResponse): ActionGroupExchange[] {
  const calls = actionGroupCalls(response);
  const out: ActionGroupExchange[] = [];
  const pending: Array<{ key: string; exchange: ActionGroupExchange }> = [];
  let next = 0;
  for (const part of response.traces) {
    const step = part.trace?.orchestrationTrace;
    const key = `${part.agentId ?? ''}/${step?.invocationInput?.traceId ?? step?.observation?.traceId ?? ''}`;
    if (step?.invocationInput?.actionGroupInvocationInput) {
      const exchange: ActionGroupExchange = { ...calls[next++]! };
      out.push(exchange);
      pending.push({ key, exchange });
    }
    const text = step?.observation?.actionGroupInvocationOutput?.text;
    if (text !== undefined) {
      const at = pending.findIndex((p) => p.key === key);
      if (at >= 0) pending.splice(at, 1)[0]!.exchange.output = text;
    }
  }
  return out;
}

/**
 * True when the agent runs custom orchestration: its trace is `customOrchestrationTrace` events, free
 * text its orchestrator Lambda chose to emit (CustomOrchestrationTraceEvent has only `text`), with none
 * of the structured steps (action-group calls, knowledge-base lookups, collaborator hand-offs) a
 * behavioural check judges. GetAgentVersion does not say which orchestration a version uses; the trace does.
 */
export function usesCustomOrchestration(response: AgentResponse): boolean {
  return response.traces.some((part) => part.trace?.customOrchestrationTrace !== undefined);
}

/** What the action groups returned to the agent (each observation's text), in order. */
export function actionGroupOutputs(response: AgentResponse): string[] {
  return response.traces.flatMap((part) => {
    const text = part.trace?.orchestrationTrace?.observation?.actionGroupInvocationOutput?.text;
    return text !== undefined ? [text] : [];
  });
}

export interface HandOff {
  collaboratorName?: string;
  /** The collaborator's alias ARN (the agent-alias the supervisor invoked). */
  aliasArn?: string;
  /** Where the trace shows it: the supervisor's orchestration step, its routing classifier, or the collaborator's own trace. */
  via: 'orchestration' | 'routing-classifier' | 'collaborator-trace';
}

/**
 * Hand-offs from a supervisor to its collaborators: the supervisor's `agentCollaboratorInvocationInput`
 * (orchestration or, in SUPERVISOR_ROUTER mode, the routing classifier), and trace parts emitted by a
 * collaborator, whose `callerChain` runs from the supervisor's alias to the collaborator's.
 */
export function collaboratorHandOffs(response: AgentResponse): HandOff[] {
  const out: HandOff[] = [];
  for (const part of response.traces) {
    const orchestration = part.trace?.orchestrationTrace?.invocationInput?.agentCollaboratorInvocationInput;
    const routing = part.trace?.routingClassifierTrace?.invocationInput?.agentCollaboratorInvocationInput;
    for (const [input, via] of [[orchestration, 'orchestration'], [routing, 'routing-classifier']] as const) {
      if (!input) continue;
      out.push({
        via,
        ...(input.agentCollaboratorName !== undefined ? { collaboratorName: input.agentCollaboratorName } : {}),
        ...(input.agentCollaboratorAliasArn !== undefined ? { aliasArn: input.agentCollaboratorAliasArn } : {}),
      });
    }
    const chain = (part.callerChain ?? []).map((c) => c.agentAliasArn).filter((a): a is string => a !== undefined);
    if (chain.length >= 2) {
      out.push({ via: 'collaborator-trace', aliasArn: chain[chain.length - 1]!, ...(part.collaboratorName !== undefined ? { collaboratorName: part.collaboratorName } : {}) });
    }
  }
  return out;
}

/** Reasons the agent gave up (failure traces), e.g. an action group's Lambda could not be invoked. */
export function failureReasons(response: AgentResponse): string[] {
  return response.traces.flatMap((part) => {
    const reason = part.trace?.failureTrace?.failureReason;
    return reason !== undefined ? [reason] : [];
  });
}

/** True when `text` contains `word` as a whole word, ignoring case ("Shipped", "SHIPPED", "shipped."). */
export function mentionsWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'iu').test(text);
}

/** The first `max` characters of an answer, for evidence and messages. */
export function excerpt(text: string, max = 240): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
