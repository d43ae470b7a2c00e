import { BedrockAgentRuntimeClient, InvokeAgentCommand, type ResponseStream, type TracePart } from '@aws-sdk/client-bedrock-agent-runtime';
import { classifyFailure } from '../../src/aws/errors';
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
}

/** Reads an InvokeAgent `completion` (an array once drained; any iterable is accepted). */
export async function readAgentResponse(completion: AsyncIterable<ResponseStream> | Iterable<ResponseStream> | undefined): Promise<AgentResponse> {
  const parts: string[] = [];
  const traces: TracePart[] = [];
  let returnedControl = false;
  for await (const event of completion ?? []) {
    if (event.chunk?.bytes) parts.push(Buffer.from(event.chunk.bytes).toString('utf8'));
    if (event.trace) traces.push(event.trace);
    if (event.returnControl) returnedControl = true;
  }
  return { text: parts.join(''), traces, returnedControl };
}

/** InvokeAgent errors that show the candidate's agent is broken (a Lambda or collaborator it depends on failed), not that AWS could not answer. */
const AGENT_FAULTS = new Set(['DependencyFailedException']);

export type Invocation = { ok: true; response: AgentResponse } | { ok: false; fault: string };

export interface InvokeRequest {
  agentId: string;
  agentAliasId: string;
  /** Name it from the run's nonce and the try, so each try is a fresh session and a replay sends the same request. */
  sessionId: string;
  inputText: string;
}

/**
 * Invokes an agent with the trace on and reads the whole response. A failure of the candidate's own
 * agent comes back as a fault to judge; throttling, access denied and server errors propagate (ERROR).
 */
export async function invokeWithTrace(ctx: CheckContext, request: InvokeRequest): Promise<Invocation> {
  try {
    const { completion } = await ctx.client(BedrockAgentRuntimeClient).send(new InvokeAgentCommand({ ...request, enableTrace: true }));
    return { ok: true, response: await readAgentResponse(completion) };
  } catch (err) {
    const f = classifyFailure(err);
    if (!AGENT_FAULTS.has(f.code)) throw err;
    return { ok: false, fault: `${f.code}: ${f.message}` };
  }
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
