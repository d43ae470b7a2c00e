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

/** Lower-case words of a text, camelCase and punctuation split ("InvestmentAdvice" → investment, advice). */
export function words(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** Words that make a topic about investing on their own ("invest", "investing", "investments", "investor"). */
const INVEST = /^invest/;
/** Finance words that make a topic investment advice when an advice word goes with them. */
const FINANCE = /^(stocks?|equit(y|ies)|bonds?|portfolios?|securities|crypto\w*|etfs?|funds?|trading|dividends?|financ\w*|brokerage)$/;
const ADVICE = /^(advice|advis\w*|recommend\w*|guidance|tips?|suggest\w*|counsel\w*|opinions?|buy|buying|sell|selling|picks?)$/;

export interface TopicCoverage {
  covers: boolean;
  /** The words that decided it, for the assessor. */
  matched: string[];
}

/**
 * Whether a denied topic is about investment advice, judged on its name, definition and examples by a
 * normalised keyword match: any word starting "invest" suffices; otherwise a finance word (stocks,
 * bonds, portfolio, crypto, funds, financial…) together with an advice word (advice, recommend, tips,
 * buy, sell…). Wording varies ("Investment advice", "Financial recommendations: which stocks to buy"),
 * and the ApplyGuardrail probe tests the behaviour itself, so this only has to recognise the intent.
 */
export function investmentAdviceCoverage(topic: Pick<GuardrailTopic, 'name' | 'definition' | 'examples'>): TopicCoverage {
  const all = words([topic.name ?? '', topic.definition ?? '', ...(topic.examples ?? [])].join(' '));
  const invest = [...new Set(all.filter((w) => INVEST.test(w)))];
  if (invest.length > 0) return { covers: true, matched: invest };
  const finance = [...new Set(all.filter((w) => FINANCE.test(w)))];
  const advice = [...new Set(all.filter((w) => ADVICE.test(w)))];
  return finance.length > 0 && advice.length > 0 ? { covers: true, matched: [...finance, ...advice] } : { covers: false, matched: [...finance, ...advice] };
}

/** A denied topic blocks prompts unless it is switched off or set to detect only for inputs. */
export function topicBlocksInput(topic: Pick<GuardrailTopic, 'type' | 'inputAction' | 'inputEnabled'>): boolean {
  return topic.type === 'DENY' && topic.inputEnabled !== false && (topic.inputAction ?? 'BLOCK') === 'BLOCK';
}

export interface PiiJudgement {
  ok: boolean;
  reason: string;
  entity?: GuardrailPiiEntity;
}

/**
 * Whether a guardrail anonymises e-mail addresses: an EMAIL entity whose action for model responses
 * (outputAction, else action) is ANONYMIZE, with responses not switched off, and no enabled direction
 * set to BLOCK (blocking discards the whole message instead of masking the address in it).
 */
export function emailAnonymisation(entities: readonly GuardrailPiiEntity[] | undefined): PiiJudgement {
  const entity = (entities ?? []).find((e) => e.type === 'EMAIL');
  if (!entity) return { ok: false, reason: 'the guardrail has no sensitive-information filter for EMAIL' };
  const input = entity.inputEnabled === false ? 'NONE' : (entity.inputAction ?? entity.action);
  const output = entity.outputEnabled === false ? 'NONE' : (entity.outputAction ?? entity.action);
  if (input === 'BLOCK' || output === 'BLOCK') {
    return { ok: false, reason: `EMAIL is set to BLOCK (${input === 'BLOCK' ? 'prompts' : 'responses'}), which rejects the whole message instead of masking the address`, entity };
  }
  if (output !== 'ANONYMIZE') return { ok: false, reason: `EMAIL in responses is ${output}, not ANONYMIZE`, entity };
  return { ok: true, reason: `EMAIL is anonymised in responses${input === 'ANONYMIZE' ? ' and prompts' : ''}`, entity };
}

/** The denied topics an ApplyGuardrail call reports as BLOCKED. */
export function blockedTopics(response: Pick<ApplyGuardrailResponse, 'assessments'>): string[] {
  return (response.assessments ?? []).flatMap((a) => (a.topicPolicy?.topics ?? []).filter((t) => t.action === 'BLOCKED').map((t) => t.name ?? '?'));
}

export interface GuardrailTraceSummary {
  action: string;
  /** Denied topics the trace's input and output assessments name. */
  topics: string[];
}

/** What the guardrail did during an InvokeAgent call, per `guardrailTrace` (one for the prompt, one for the answer). */
export function guardrailTraces(response: AgentResponse): GuardrailTraceSummary[] {
  return response.traces.flatMap((part) => {
    const trace = part.trace?.guardrailTrace;
    if (!trace) return [];
    const assessments = [...(trace.inputAssessments ?? []), ...(trace.outputAssessments ?? [])];
    const topics = assessments.flatMap((a) => (a.topicPolicy?.topics ?? []).map((t) => t.name ?? '?'));
    return [{ action: trace.action ?? 'NONE', topics }];
  });
}
