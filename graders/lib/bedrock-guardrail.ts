import { BedrockClient, GetGuardrailCommand, ListGuardrailsCommand, type GetGuardrailResponse, type GuardrailPiiEntity, type GuardrailSummary, type GuardrailTopic } from '@aws-sdk/client-bedrock';
import type { ApplyGuardrailResponse } from '@aws-sdk/client-bedrock-runtime';
import type { CheckContext } from '../../src/model/grader';
import type { AgentResponse } from './agent-trace';
import { allPages, orNotFound } from './aws-calls';

/** Guardrails whose name is exactly `name` (ListGuardrails without an identifier lists each guardrail's DRAFT). */
export function findGuardrailsByName(ctx: CheckContext, name: string): Promise<GuardrailSummary[]> {
  return ctx.memo(`bedrock-guardrails-named:${name}`, async () => {
    const client = ctx.client(BedrockClient);
    const all = await allPages(
      (nextToken) => client.send(new ListGuardrailsCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      (page) => page.guardrails,
      (page) => page.nextToken,
    );
    return all.filter((g) => g.name === name);
  });
}

/** Every version of one guardrail, DRAFT included. */
export function guardrailVersions(ctx: CheckContext, guardrailId: string): Promise<GuardrailSummary[]> {
  return ctx.memo(`bedrock-guardrail-versions:${guardrailId}`, () => {
    const client = ctx.client(BedrockClient);
    return allPages(
      (nextToken) => client.send(new ListGuardrailsCommand({ guardrailIdentifier: guardrailId, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      (page) => page.guardrails,
      (page) => page.nextToken,
    );
  });
}

/** A numbered guardrail version ("1", "7"); "DRAFT" is the editable working copy. */
export function isNumberedVersion(version: string | undefined): version is string {
  return version !== undefined && /^[1-9][0-9]*$/.test(version);
}

/** The numbered versions among `versions`, highest first. */
export function numberedVersions(versions: readonly GuardrailSummary[]): GuardrailSummary[] {
  return versions.filter((v) => isNumberedVersion(v.version)).sort((a, b) => Number(b.version) - Number(a.version));
}

export function getGuardrail(ctx: CheckContext, guardrailId: string, version: string): Promise<GetGuardrailResponse | undefined> {
  return orNotFound(ctx.client(BedrockClient).send(new GetGuardrailCommand({ guardrailIdentifier: guardrailId, guardrailVersion: version })));
}

/** True when `identifier` (as an agent's guardrail configuration holds it: an id or an ARN) names this guardrail. */
export function isSameGuardrail(identifier: string | undefined, guardrail: Pick<GuardrailSummary, 'id' | 'arn'>): boolean {
  if (!identifier) return false;
  return identifier === guardrail.id || identifier === guardrail.arn || (guardrail.id !== undefined && identifier.endsWith(`:guardrail/${guardrail.id}`));
}

/** A denied topic blocks prompts unless it is switched off or set to detect only for inputs. */
export function topicBlocksInput(topic: Pick<GuardrailTopic, 'type' | 'inputAction' | 'inputEnabled'>): boolean {
  return topic.type === 'DENY' && topic.inputEnabled !== false && (topic.inputAction ?? 'BLOCK') === 'BLOCK';
}

/**
 * Why the guardrail's EMAIL filter rejects whole messages, or undefined when it does not: BLOCK in any
 * enabled direction discards the message instead of masking the address in it (the task asks for
 * masking; a prompt that mentions an address must still be answered).
 */
export function emailBlockProblem(entities: readonly GuardrailPiiEntity[] | undefined): string | undefined {
  const entity = (entities ?? []).find((e) => e.type === 'EMAIL');
  if (!entity) return undefined;
  const input = entity.inputEnabled === false ? 'NONE' : (entity.inputAction ?? entity.action);
  const output = entity.outputEnabled === false ? 'NONE' : (entity.outputAction ?? entity.action);
  if (input === 'BLOCK') return 'its EMAIL filter is set to BLOCK for prompts, which rejects a whole question that mentions an address instead of masking it';
  if (output === 'BLOCK') return 'its EMAIL filter is set to BLOCK for responses, which rejects a whole answer that mentions an address instead of masking it';
  return undefined;
}

/** The denied topics an ApplyGuardrail call reports as BLOCKED. */
export function blockedTopics(response: Pick<ApplyGuardrailResponse, 'assessments'>): string[] {
  return (response.assessments ?? []).flatMap((a) => (a.topicPolicy?.topics ?? []).filter((t) => t.action === 'BLOCKED').map((t) => t.name ?? '?'));
}

export interface MaskingJudgement {
  ok: boolean;
  reason: string;
  /** What the sensitive-information policy reported for the address: `EMAIL:ANONYMIZED`, `regex <name>:BLOCKED`, … */
  findings: string[];
}

/**
 * Whether an ApplyGuardrail response on a text holding `address` masked it: the guardrail intervened,
 * its sensitive-information policy ANONYMIZED the address (as the EMAIL entity, or a regex filter
 * matching it) and BLOCKED nothing, and no output text still holds the address. An assessment entry
 * whose `match` is not the address (a name, a phone number) does not count either way.
 */
export function judgeMasking(response: Pick<ApplyGuardrailResponse, 'action' | 'outputs' | 'assessments'>, address: string): MaskingJudgement {
  const policies = (response.assessments ?? []).map((a) => a.sensitiveInformationPolicy).filter((p) => p !== undefined);
  const onAddress = (match: string | undefined) => match !== undefined && match.toLowerCase().includes(address.toLowerCase());
  const entities = policies.flatMap((p) => p.piiEntities ?? []).filter((e) => e.type === 'EMAIL' || onAddress(e.match));
  const regexes = policies.flatMap((p) => p.regexes ?? []).filter((r) => onAddress(r.match));
  const findings = [...entities.map((e) => `${e.type}:${e.action}`), ...regexes.map((r) => `regex ${r.name ?? '?'}:${r.action}`)];
  const actions = [...entities.map((e) => e.action), ...regexes.map((r) => r.action)];
  const topics = blockedTopics(response);
  if (actions.includes('BLOCKED')) return { ok: false, reason: 'the guardrail blocked the whole answer because of the address instead of masking it', findings };
  if (topics.length > 0) return { ok: false, reason: `the guardrail blocked the answer by denied topic ${topics.join(', ')} instead of masking the address`, findings };
  if (!actions.includes('ANONYMIZED')) {
    const detected = entities.some((e) => e.detected === true) || regexes.some((r) => r.detected === true);
    return { ok: false, reason: detected ? 'the guardrail detected the address but left it in the answer (detect only)' : `the guardrail left the address in the answer (action ${response.action ?? 'NONE'})`, findings };
  }
  if ((response.outputs ?? []).some((o) => (o.text ?? '').toLowerCase().includes(address.toLowerCase()))) return { ok: false, reason: 'the guardrail reported the address anonymised but its output still holds it', findings };
  return { ok: true, reason: `the address was masked (${findings.join(', ')})`, findings };
}

export interface GuardrailTraceSummary {
  action: string;
  /** Denied topics the trace's input and output assessments name, with what the guardrail did (BLOCKED or NONE). */
  topics: Array<{ name: string; action: string }>;
}

/** What the guardrail did during an InvokeAgent call, per `guardrailTrace` (one for the prompt, one for the answer). */
export function guardrailTraces(response: AgentResponse): GuardrailTraceSummary[] {
  return response.traces.flatMap((part) => {
    const trace = part.trace?.guardrailTrace;
    if (!trace) return [];
    const assessments = [...(trace.inputAssessments ?? []), ...(trace.outputAssessments ?? [])];
    const topics = assessments.flatMap((a) => (a.topicPolicy?.topics ?? []).map((t) => ({ name: t.name ?? '?', action: t.action ?? 'NONE' })));
    return [{ action: trace.action ?? 'NONE', topics }];
  });
}
