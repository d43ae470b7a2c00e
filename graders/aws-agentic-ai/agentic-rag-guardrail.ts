import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { ApplyGuardrailCommand, BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { DataSource, KnowledgeBase } from '@aws-sdk/client-bedrock-agent';
import type { GuardrailSummary } from '@aws-sdk/client-bedrock';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { defineGrader, error, fail, pass, type CheckContext } from '../../src';
import { excerpt, failureReasons, invokeWithTrace, type AgentResponse } from '../lib/agent-trace';
import { orNotFound } from '../lib/aws-calls';
import { aliasVersion, findAgentsByName, findAliasByName, getAgent, getAgentVersion, isPublishedVersion } from '../lib/bedrock-agent';
import {
  blockedTopics,
  emailBlockProblem,
  findGuardrailsByName,
  getGuardrail,
  guardrailTraces,
  type GuardrailTraceSummary,
  guardrailVersions,
  isSameGuardrail,
  judgeMasking,
  numberedVersions,
  topicBlocksInput,
} from '../lib/bedrock-guardrail';
import {
  agentKnowledgeBases,
  bucketNameOfArn,
  dataSources,
  findKnowledgeBasesByName,
  getKnowledgeBase,
  includesKey,
  judgeIngestion,
  knowledgeBaseLookups,
  recentIngestionJobs,
  retrievedUris,
} from '../lib/bedrock-kb';
import { FACT, INVESTMENT_QUESTIONS, maskingProbe } from '../../tasks/agentic-rag-guardrail/seed-documents';

const KB_NAME = 'policy-kb';
const AGENT_NAME = 'policy-assistant';
const ALIAS_NAME = 'live';
const GUARDRAIL_NAME = 'policy-guardrail';
/** Model-driven probes: up to this many tries, each in a fresh session; the first showing the behaviour passes. */
const MAX_TRIES = 3;
const THRESHOLD = `threshold: 1 of up to ${MAX_TRIES} tries`;

async function theKnowledgeBase(ctx: CheckContext): Promise<KnowledgeBase> {
  const found = await findKnowledgeBasesByName(ctx, KB_NAME);
  const kb = found.length === 1 && found[0]!.knowledgeBaseId ? await getKnowledgeBase(ctx, found[0]!.knowledgeBaseId) : undefined;
  if (!kb) throw new Error(`expected exactly one knowledge base named ${KB_NAME}; the knowledge-base-active check guards this`);
  return kb;
}

interface SeededSource {
  source: DataSource;
  bucket: string;
  /** The seeded fact's document as Bedrock reports retrieval locations. */
  uri: string;
}

type SourceLookup = { found: true; seeded: SeededSource } | { found: false; reasons: string[] };

/** The knowledge base's S3 data source that reads the seeded policy documents (the key exists in its bucket). */
function findSeededSource(ctx: CheckContext, kb: KnowledgeBase): Promise<SourceLookup> {
  return ctx.memo('seeded-data-source', async () => {
    const reasons: string[] = [];
    for (const source of await dataSources(ctx, kb.knowledgeBaseId!)) {
      const s3 = source.dataSourceConfiguration?.s3Configuration;
      if (source.dataSourceConfiguration?.type !== 'S3' || !s3?.bucketArn) {
        reasons.push(`data source ${source.name} is of type ${source.dataSourceConfiguration?.type}, not S3`);
        continue;
      }
      const bucket = bucketNameOfArn(s3.bucketArn);
      if (!includesKey(source, FACT.key)) {
        reasons.push(`data source ${source.name} only includes ${(s3.inclusionPrefixes ?? []).join(', ')}, which leaves out ${FACT.key}`);
        continue;
      }
      const object = await orNotFound(ctx.client(S3Client).send(new HeadObjectCommand({ Bucket: bucket, Key: FACT.key })));
      if (!object) {
        reasons.push(`data source ${source.name} reads bucket ${bucket}, which has no ${FACT.key}`);
        continue;
      }
      return { found: true as const, seeded: { source, bucket, uri: `s3://${bucket}/${FACT.key}` } };
    }
    return { found: false as const, reasons: reasons.length > 0 ? reasons : ['the knowledge base has no data source'] };
  });
}

async function theSeededSource(ctx: CheckContext): Promise<SeededSource> {
  const lookup = await findSeededSource(ctx, await theKnowledgeBase(ctx));
  if (!lookup.found) throw new Error('the data-source-over-seeded-documents check guards this');
  return lookup.seeded;
}

interface PublishedAgent {
  agentId: string;
  aliasId: string;
  aliasArn: string;
  version: string;
}

type AgentLookup = { found: true; agent: PublishedAgent } | { found: false; reason: string; actual?: unknown; resource?: string };

/** The agent, its alias `live` and the numbered version the alias serves. */
function findPublishedAgent(ctx: CheckContext): Promise<AgentLookup> {
  return ctx.memo('published-agent', async (): Promise<AgentLookup> => {
    const agents = await findAgentsByName(ctx, AGENT_NAME);
    if (agents.length !== 1 || !agents[0]!.agentId) return { found: false, reason: `${agents.length} agents are named ${AGENT_NAME} in ${ctx.region}; expected exactly one`, actual: agents.map((a) => a.agentId) };
    const agent = await getAgent(ctx, agents[0]!.agentId);
    if (!agent?.agentId) return { found: false, reason: `agent ${AGENT_NAME} disappeared while grading` };
    const alias = await findAliasByName(ctx, agent.agentId, ALIAS_NAME);
    if (!alias?.agentAliasId) return { found: false, reason: `agent ${AGENT_NAME} has no alias named ${ALIAS_NAME}`, resource: agent.agentArn };
    const version = aliasVersion(alias);
    const resource = alias.agentAliasArn ?? agent.agentArn;
    if (!isPublishedVersion(version)) return { found: false, reason: `alias ${ALIAS_NAME} points at ${version ?? 'no version'}, not a numbered version`, actual: version, resource };
    if (alias.agentAliasStatus !== 'PREPARED') return { found: false, reason: `alias ${ALIAS_NAME} is ${alias.agentAliasStatus}, not PREPARED`, actual: alias.agentAliasStatus, resource };
    return { found: true, agent: { agentId: agent.agentId, aliasId: alias.agentAliasId, aliasArn: alias.agentAliasArn ?? '', version } };
  });
}

async function thePublishedAgent(ctx: CheckContext): Promise<PublishedAgent> {
  const lookup = await findPublishedAgent(ctx);
  if (!lookup.found) throw new Error('the agent-published check guards this');
  return lookup.agent;
}

async function theGuardrail(ctx: CheckContext): Promise<GuardrailSummary & { id: string }> {
  const found = await findGuardrailsByName(ctx, GUARDRAIL_NAME);
  if (found.length !== 1 || !found[0]!.id) throw new Error(`expected exactly one guardrail named ${GUARDRAIL_NAME}; the guardrail-versioned check guards this`);
  return { ...found[0]!, id: found[0]!.id };
}

interface JudgedVersion {
  version: string;
  why: string;
}

/**
 * The guardrail version whose configuration is judged: the one the agent's published version uses, when
 * that is a numbered version of this guardrail (what users meet), otherwise the highest numbered version.
 */
function judgedGuardrailVersion(ctx: CheckContext): Promise<JudgedVersion> {
  return ctx.memo('judged-guardrail-version', async () => {
    const guardrail = await theGuardrail(ctx);
    const numbered = numberedVersions(await guardrailVersions(ctx, guardrail.id));
    if (numbered.length === 0) throw new Error('the guardrail-versioned check guards this');
    const agent = await findPublishedAgent(ctx);
    if (agent.found) {
      const config = (await getAgentVersion(ctx, agent.agent.agentId, agent.agent.version))?.guardrailConfiguration;
      if (isSameGuardrail(config?.guardrailIdentifier, guardrail) && numbered.some((v) => v.version === config?.guardrailVersion)) {
        return { version: config!.guardrailVersion!, why: `the version agent ${AGENT_NAME} uses` };
      }
    }
    return { version: numbered[0]!.version!, why: 'the highest numbered version' };
  });
}

interface TopicProbe {
  question: string;
  /** An investment question must be blocked by a denied topic; the policy question must pass untouched. */
  expect: 'blocked' | 'allowed';
  action: string;
  blockedTopics: string[];
  passed: boolean;
}

/**
 * ApplyGuardrail (source INPUT) on the judged version with every investment question and one policy
 * question. ApplyGuardrail is deterministic, so each question is asked once and every one must go
 * the way the task asks: the denied topic is judged by what it blocks, never by its name.
 */
function probeDeniedTopic(ctx: CheckContext): Promise<{ version: string; probes: TopicProbe[] }> {
  return ctx.memo('denied-topic-probes', async () => {
    const guardrail = await theGuardrail(ctx);
    const { version } = await judgedGuardrailVersion(ctx);
    const probes: TopicProbe[] = [];
    for (const [question, expect] of [...INVESTMENT_QUESTIONS.map((q) => [q, 'blocked'] as const), [FACT.question, 'allowed'] as const]) {
      const res = await ctx.client(BedrockRuntimeClient).send(
        new ApplyGuardrailCommand({ guardrailIdentifier: guardrail.id, guardrailVersion: version, source: 'INPUT', content: [{ text: { text: question } }], outputScope: 'INTERVENTIONS' }),
      );
      const topics = blockedTopics(res);
      const action = res.action ?? 'NONE';
      const passed = expect === 'blocked' ? action === 'GUARDRAIL_INTERVENED' && topics.length > 0 : action !== 'GUARDRAIL_INTERVENED';
      probes.push({ question, expect, action, blockedTopics: topics, passed });
    }
    return { version, probes };
  });
}

/** The denied topics that blocked the investment questions (the denied-topic check passed, so at least one). */
async function deniedTopicNames(ctx: CheckContext): Promise<string[]> {
  const { probes } = await probeDeniedTopic(ctx);
  return [...new Set(probes.filter((p) => p.expect === 'blocked').flatMap((p) => p.blockedTopics))];
}

type AgentTry = { response: AgentResponse; sessionId: string } | { sessionId: string; failed: string };

/**
 * One InvokeAgent call with the trace on, in a fresh session named after the run's nonce. The agent
 * failing on something the candidate configured (its model, knowledge base, guardrail or role, as a
 * stream exception or a DependencyFailedException) comes back as `failed`, with the reason.
 */
async function askAgent(ctx: CheckContext, agent: PublishedAgent, purpose: string, attempt: number, inputText: string): Promise<AgentTry> {
  const sessionId = `skillproof-${ctx.nonce}-${purpose}-${attempt}`;
  const invocation = await invokeWithTrace(ctx, { agentId: agent.agentId, agentAliasId: agent.aliasId, sessionId, inputText });
  return invocation.ok ? { response: invocation.response, sessionId } : { sessionId, failed: invocation.fault };
}

/** "; the agent failed: …" when a try failed on the candidate's side, so the FAIL says why. */
function failedReason(tries: unknown[]): string {
  const failed = tries.find((t): t is { failed: string } => typeof (t as { failed?: unknown }).failed === 'string');
  return failed ? `; the agent failed: ${failed.failed}` : '';
}

export default defineGrader({
  task: 'agentic-rag-guardrail',
  probes: ['bedrock:Retrieve', 'bedrock:ApplyGuardrail', 'bedrock:InvokeAgent'],
  checks: [
    {
      // Passes when exactly one knowledge base is named policy-kb and it is ACTIVE.
      id: 'knowledge-base-active',
      title: 'Knowledge base policy-kb is active',
      points: 10,
      critical: true,
      hint: 'Create one Bedrock knowledge base with the name from the instructions and wait until it is ready to be queried.',
      async run(ctx) {
        const found = await findKnowledgeBasesByName(ctx, KB_NAME);
        if (found.length === 0) return fail(`no knowledge base named ${KB_NAME} in ${ctx.region}`, { expected: `one knowledge base named ${KB_NAME}`, actual: 'none' });
        if (found.length > 1) return fail(`${found.length} knowledge bases are named ${KB_NAME}; keep exactly one`, { expected: 1, actual: found.map((k) => k.knowledgeBaseId) });
        const kb = await getKnowledgeBase(ctx, found[0]!.knowledgeBaseId!);
        if (!kb) return error(`knowledge base ${KB_NAME} disappeared while grading; grade again`);
        const detail = { expected: 'ACTIVE', actual: { status: kb.status, storage: kb.storageConfiguration?.type, failureReasons: kb.failureReasons }, resource: kb.knowledgeBaseArn };
        return kb.status === 'ACTIVE' ? pass(`knowledge base ${kb.knowledgeBaseId} is ACTIVE (${kb.storageConfiguration?.type ?? 'unknown'} vector store)`, detail) : fail(`knowledge base ${KB_NAME} is ${kb.status}`, detail);
      },
    },
    {
      // Passes when the knowledge base has an S3 data source whose bucket holds the seeded policy document and whose prefixes include it.
      id: 'data-source-over-seeded-documents',
      title: 'The knowledge base reads the seeded policy documents',
      points: 10,
      critical: true,
      dependsOn: ['knowledge-base-active'],
      hint: 'Add an Amazon S3 data source to the knowledge base pointing at the bucket the sandbox seeded, without excluding the policies/ folder.',
      async run(ctx) {
        const kb = await theKnowledgeBase(ctx);
        const lookup = await findSeededSource(ctx, kb);
        if (!lookup.found) return fail(`no data source of ${KB_NAME} reads the seeded policy documents: ${lookup.reasons.join('; ')}`, { expected: `an S3 data source whose bucket holds ${FACT.key}`, actual: lookup.reasons, resource: kb.knowledgeBaseArn });
        const { source, bucket } = lookup.seeded;
        return pass(`data source ${source.name} reads bucket ${bucket}`, { actual: { dataSourceId: source.dataSourceId, bucket, inclusionPrefixes: source.dataSourceConfiguration?.s3Configuration?.inclusionPrefixes ?? [] }, resource: kb.knowledgeBaseArn });
      },
    },
    {
      // Passes when the data source's last finished ingestion job is COMPLETE, failed on no document and the documents are indexed.
      id: 'ingestion-complete',
      title: 'The documents are ingested without failures',
      points: 15,
      critical: true,
      dependsOn: ['data-source-over-seeded-documents'],
      hint: 'Sync the data source and look at the sync history: every document should be indexed and none failed (a failure names the document and the reason).',
      async run(ctx) {
        const kb = await theKnowledgeBase(ctx);
        const { source } = await theSeededSource(ctx);
        const jobs = await recentIngestionJobs(ctx, kb.knowledgeBaseId!, source.dataSourceId!);
        const judgement = judgeIngestion(jobs);
        const summary = (j: (typeof jobs)[number] | undefined) => j && { ingestionJobId: j.ingestionJobId, status: j.status, startedAt: j.startedAt?.toISOString(), statistics: j.statistics };
        const detail = { expected: 'last finished job COMPLETE, numberOfDocumentsFailed 0, documents indexed', actual: { latestFinished: summary(judgement.job), running: judgement.running }, resource: kb.knowledgeBaseArn };
        if (!judgement.ok) return fail(judgement.reason, detail);
        const indexed = judgement.indexedBy === judgement.job ? 'by it' : `earlier, by job ${judgement.indexedBy.ingestionJobId} (nothing changed since)`;
        return pass(`ingestion job ${judgement.job.ingestionJobId} is COMPLETE with no failed document; documents indexed ${indexed}`, detail);
      },
    },
    {
      // Passes when Retrieve on the knowledge base, asked about the seeded fact, returns the seeded document.
      id: 'retrieve-returns-seeded-document',
      title: 'Retrieve finds the seeded policy document',
      points: 15,
      critical: true,
      dependsOn: ['ingestion-complete'],
      timeoutMs: 60_000,
      hint: 'Test the knowledge base in the console with a question about the travel policy: the travel and expenses document should be among the sources.',
      async run(ctx) {
        const kb = await theKnowledgeBase(ctx);
        const { uri } = await theSeededSource(ctx);
        const res = await ctx.client(BedrockAgentRuntimeClient).send(
          new RetrieveCommand({ knowledgeBaseId: kb.knowledgeBaseId, retrievalQuery: { text: FACT.question }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5 } } }),
        );
        const uris = retrievedUris(res.retrievalResults);
        const withMarker = (res.retrievalResults ?? []).some((r) => r.location?.s3Location?.uri === uri && (r.content?.text ?? '').includes(FACT.marker));
        const detail = { expected: `a result located at ${uri}`, actual: { query: FACT.question, uris, markerInResult: withMarker }, resource: kb.knowledgeBaseArn };
        if (!uris.includes(uri)) return fail(`asked "${FACT.question}", the knowledge base returned ${uris.length ? uris.join(', ') : 'nothing'}, not ${uri}`, detail);
        return pass(`the seeded document is among the ${uris.length} result(s)`, detail);
      },
    },
    {
      // Passes when exactly one guardrail is named policy-guardrail and it has a numbered version that is READY.
      id: 'guardrail-versioned',
      title: 'Guardrail policy-guardrail has a published version',
      points: 5,
      critical: true,
      hint: 'Create one guardrail with the name from the instructions, then create a version of it: the working draft cannot be relied on.',
      async run(ctx) {
        const found = await findGuardrailsByName(ctx, GUARDRAIL_NAME);
        if (found.length === 0) return fail(`no guardrail named ${GUARDRAIL_NAME} in ${ctx.region}`, { expected: `one guardrail named ${GUARDRAIL_NAME}`, actual: 'none' });
        if (found.length > 1) return fail(`${found.length} guardrails are named ${GUARDRAIL_NAME}; keep exactly one`, { expected: 1, actual: found.map((g) => g.id) });
        const guardrail = found[0]!;
        const versions = await guardrailVersions(ctx, guardrail.id!);
        const numbered = numberedVersions(versions);
        const detail = { expected: 'a numbered version (1, 2, …) with status READY', actual: versions.map((v) => `${v.version}:${v.status}`), resource: guardrail.arn };
        if (numbered.length === 0) return fail(`guardrail ${GUARDRAIL_NAME} has only its DRAFT; no version was created`, detail);
        const ready = numbered.filter((v) => v.status === 'READY');
        if (ready.length === 0) return fail(`no version of ${GUARDRAIL_NAME} is READY`, detail);
        return pass(`guardrail ${guardrail.id} has version(s) ${ready.map((v) => v.version).join(', ')}`, detail);
      },
    },
    {
      // Passes when ApplyGuardrail on the judged version blocks every investment question by a denied topic and lets a policy question through.
      id: 'guardrail-denies-investment-advice',
      title: 'The guardrail\'s denied topic blocks investment questions, and only those',
      points: 20,
      critical: true,
      dependsOn: ['guardrail-versioned'],
      timeoutMs: 60_000,
      hint: 'Add a denied topic for investment advice that blocks prompts, with a definition and examples broad enough to catch the usual ways of asking what to buy, sell or invest in, but not questions about company policies. Try several such questions in the console\'s test window, then publish a new version.',
      async run(ctx) {
        const guardrail = await theGuardrail(ctx);
        const judged = await judgedGuardrailVersion(ctx);
        const config = await getGuardrail(ctx, guardrail.id, judged.version);
        if (!config) return error(`version ${judged.version} of ${GUARDRAIL_NAME} disappeared while grading; grade again`);
        const { probes } = await probeDeniedTopic(ctx);
        const topics = (config.topicPolicy?.topics ?? []).map((t) => ({ name: t.name, type: t.type, inputAction: t.inputAction ?? 'BLOCK', inputEnabled: t.inputEnabled ?? true, blocksPrompts: topicBlocksInput(t) }));
        const detail = {
          expected: `every one of ${INVESTMENT_QUESTIONS.length} investment questions GUARDRAIL_INTERVENED with a denied topic BLOCKED; the policy question not intervened`,
          actual: { version: judged.version, judged: judged.why, tier: config.topicPolicy?.tier?.tierName ?? 'CLASSIC', topics, probes },
          resource: config.guardrailArn,
        };
        const through = probes.filter((p) => p.expect === 'blocked' && !p.passed);
        const overblocked = probes.filter((p) => p.expect === 'allowed' && !p.passed);
        const where = `version ${judged.version} (${judged.why})`;
        if (through.length > 0) {
          const why = topics.length === 0 ? 'it has no denied topic' : topics.every((t) => !t.blocksPrompts) ? `its denied topics (${topics.map((t) => t.name).join(', ')}) do not block prompts` : `its denied topics are ${topics.map((t) => `"${t.name}"`).join(', ')}`;
          return fail(`${where} let ${through.length} of ${INVESTMENT_QUESTIONS.length} investment questions through without a denied topic blocking them (${through.map((p) => `"${p.question}"`).join('; ')}); ${why}`, detail);
        }
        const wrong = overblocked[0];
        if (wrong) return fail(`${where} also blocks a question about company policy ("${wrong.question}"): ${wrong.blockedTopics.length ? `denied topic ${wrong.blockedTopics.map((n) => `"${n}"`).join(', ')} is too broad` : 'a filter other than a denied topic intervened on it'}`, detail);
        const names = [...new Set(probes.flatMap((p) => p.blockedTopics))];
        return pass(`${where} blocked all ${INVESTMENT_QUESTIONS.length} investment questions by denied topic ${names.map((n) => `"${n}"`).join(', ')} and let the policy question through`, detail);
      },
    },
    {
      // Passes when ApplyGuardrail on the judged version masks an e-mail address in a model response (source OUTPUT) and EMAIL is BLOCK in no enabled direction.
      id: 'guardrail-anonymises-email',
      title: 'The guardrail anonymises e-mail addresses',
      points: 10,
      critical: true,
      dependsOn: ['guardrail-versioned'],
      timeoutMs: 60_000,
      hint: 'Add a sensitive-information filter for e-mail addresses that masks them rather than rejecting the message, then publish a new version. The console\'s test window shows what an answer holding an address becomes.',
      async run(ctx) {
        const guardrail = await theGuardrail(ctx);
        const judged = await judgedGuardrailVersion(ctx);
        const config = await getGuardrail(ctx, guardrail.id, judged.version);
        if (!config) return error(`version ${judged.version} of ${GUARDRAIL_NAME} disappeared while grading; grade again`);
        const probe = maskingProbe(ctx.nonce);
        const res = await ctx.client(BedrockRuntimeClient).send(
          new ApplyGuardrailCommand({ guardrailIdentifier: guardrail.id, guardrailVersion: judged.version, source: 'OUTPUT', content: [{ text: { text: probe.text } }], outputScope: 'INTERVENTIONS' }),
        );
        const masking = judgeMasking(res, probe.address);
        const blockProblem = emailBlockProblem(config.sensitiveInformationPolicy?.piiEntities);
        const detail = {
          expected: 'the address ANONYMIZED in a response (EMAIL entity or a regex filter), nothing BLOCKED; EMAIL set to BLOCK in no direction',
          actual: { version: judged.version, judged: judged.why, response: probe.text, action: res.action, findings: masking.findings, outputs: (res.outputs ?? []).map((o) => o.text), emailFilter: (config.sensitiveInformationPolicy?.piiEntities ?? []).find((e) => e.type === 'EMAIL') ?? 'none' },
          resource: config.guardrailArn,
        };
        if (!masking.ok) return fail(`version ${judged.version} (${judged.why}), applied to a response holding an e-mail address: ${masking.reason}`, detail);
        if (blockProblem) return fail(`version ${judged.version} (${judged.why}) masks addresses in responses, but ${blockProblem}`, detail);
        return pass(`version ${judged.version}: ${masking.reason}`, detail);
      },
    },
    {
      // Passes when agent policy-assistant has alias live, PREPARED, routing to a numbered version.
      id: 'agent-published',
      title: 'Agent policy-assistant is published under alias live',
      points: 5,
      critical: true,
      hint: 'Prepare the agent, then create the alias from the instructions: creating an alias publishes a numbered version of the prepared agent.',
      async run(ctx) {
        const lookup = await findPublishedAgent(ctx);
        if (!lookup.found) return fail(lookup.reason, { expected: `agent ${AGENT_NAME}, alias ${ALIAS_NAME} PREPARED on a numbered version`, ...(lookup.actual !== undefined ? { actual: lookup.actual } : {}), ...(lookup.resource ? { resource: lookup.resource } : {}) });
        const { agent } = lookup;
        return pass(`alias ${ALIAS_NAME} serves version ${agent.version}`, { actual: { agentId: agent.agentId, aliasId: agent.aliasId, version: agent.version }, resource: agent.aliasArn });
      },
    },
    {
      // Passes when the published agent version has knowledge base policy-kb associated and ENABLED.
      id: 'agent-uses-knowledge-base',
      title: 'The published agent uses the knowledge base',
      points: 10,
      critical: true,
      dependsOn: ['agent-published', 'knowledge-base-active'],
      hint: 'Associate the knowledge base with the agent (enabled), prepare it, and point the alias at a new version: versions keep the associations they were created with.',
      async run(ctx) {
        const agent = await thePublishedAgent(ctx);
        const kb = await theKnowledgeBase(ctx);
        const associated = await agentKnowledgeBases(ctx, agent.agentId, agent.version);
        const entry = associated.find((a) => a.knowledgeBaseId === kb.knowledgeBaseId);
        const detail = { expected: `${kb.knowledgeBaseId} ENABLED on version ${agent.version}`, actual: associated.map((a) => `${a.knowledgeBaseId}:${a.knowledgeBaseState}`), resource: agent.aliasArn };
        if (!entry) return fail(`version ${agent.version} of ${AGENT_NAME} has no association with ${KB_NAME}`, detail);
        if (entry.knowledgeBaseState !== 'ENABLED') return fail(`${KB_NAME} is associated with version ${agent.version} but ${entry.knowledgeBaseState}`, detail);
        return pass(`version ${agent.version} uses ${KB_NAME}`, detail);
      },
    },
    {
      // Passes when the published agent version's guardrail is policy-guardrail at a numbered version, not DRAFT.
      id: 'agent-uses-guardrail',
      title: 'The published agent uses a numbered version of the guardrail',
      points: 10,
      critical: true,
      dependsOn: ['agent-published', 'guardrail-versioned'],
      hint: 'In the agent\'s guardrail settings choose the guardrail and one of its numbered versions (not the draft), prepare, and publish a new agent version for the alias.',
      async run(ctx) {
        const agent = await thePublishedAgent(ctx);
        const guardrail = await theGuardrail(ctx);
        const version = await getAgentVersion(ctx, agent.agentId, agent.version);
        if (!version) return error(`version ${agent.version} of ${AGENT_NAME} disappeared while grading; grade again`);
        const config = version.guardrailConfiguration;
        const numbered = numberedVersions(await guardrailVersions(ctx, guardrail.id)).map((v) => v.version);
        const detail = { expected: `${guardrail.id} at one of versions ${numbered.join(', ')}`, actual: config ?? 'no guardrail', resource: agent.aliasArn };
        if (!config?.guardrailIdentifier) return fail(`version ${agent.version} of ${AGENT_NAME} has no guardrail`, detail);
        if (!isSameGuardrail(config.guardrailIdentifier, guardrail)) return fail(`version ${agent.version} uses guardrail ${config.guardrailIdentifier}, not ${GUARDRAIL_NAME}`, detail);
        if (!numbered.includes(config.guardrailVersion)) return fail(`version ${agent.version} uses ${GUARDRAIL_NAME} at ${config.guardrailVersion ?? 'no version'}, not a numbered version`, detail);
        return pass(`version ${agent.version} uses ${GUARDRAIL_NAME} version ${config.guardrailVersion}`, detail);
      },
    },
    {
      // Passes when, asked about the seeded fact, the agent's trace shows a knowledge-base lookup returning the seeded document (first of up to 3 sessions).
      id: 'agent-answers-from-knowledge-base',
      title: 'The agent looks up the knowledge base for a policy question',
      points: 10,
      critical: true,
      dependsOn: ['agent-uses-knowledge-base', 'retrieve-returns-seeded-document'],
      timeoutMs: 240_000,
      hint: 'Ask your agent (through the alias) about the Lisbon meal allowance with the trace shown: the orchestration should search the knowledge base. Describe the knowledge base well in the association and the agent\'s instructions.',
      async run(ctx) {
        const agent = await thePublishedAgent(ctx);
        const { uri } = await theSeededSource(ctx);
        const tries: unknown[] = [];
        for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
          const result = await askAgent(ctx, agent, 'kb', attempt, FACT.question);
          if ('failed' in result) {
            tries.push({ sessionId: result.sessionId, failed: result.failed, passed: false });
            continue;
          }
          const lookups = knowledgeBaseLookups(result.response);
          const passed = lookups.some((l) => l.uris.includes(uri));
          tries.push({ sessionId: result.sessionId, lookups, failures: failureReasons(result.response), answer: excerpt(result.response.text), passed });
          if (passed) {
            return pass(`on try ${attempt} the agent searched the knowledge base and got the seeded document (${THRESHOLD})`, { expected: `a knowledgeBaseLookupOutput referencing ${uri}`, actual: tries, resource: agent.aliasArn });
          }
        }
        return fail(`in ${MAX_TRIES} sessions the agent never looked up the knowledge base and got the seeded document (${THRESHOLD})${failedReason(tries)}`, { expected: `a knowledgeBaseLookupOutput referencing ${uri} in at least 1 of ${MAX_TRIES} sessions`, actual: tries, resource: agent.aliasArn });
      },
    },
    {
      // Passes when, asked an investment question, the agent's guardrailTrace is INTERVENED with a denied topic that blocked the ApplyGuardrail probes BLOCKED (first of up to 3 sessions).
      id: 'agent-guardrail-intervenes',
      title: 'The agent\'s guardrail stops investment questions by the denied topic',
      points: 10,
      critical: true,
      dependsOn: ['agent-uses-guardrail', 'guardrail-denies-investment-advice'],
      timeoutMs: 240_000,
      hint: 'Ask your agent (through the alias) which stocks to buy, with the trace shown: the guardrail trace should show your denied topic blocking the question. Check the alias serves a version that has the guardrail.',
      async run(ctx) {
        const agent = await thePublishedAgent(ctx);
        const denied = await deniedTopicNames(ctx);
        const expected = `a guardrailTrace with action INTERVENED in which denied topic ${denied.map((n) => `"${n}"`).join(' or ')} is BLOCKED`;
        const tries: Array<{ sessionId: string; question: string; failed?: string; guardrail?: GuardrailTraceSummary[]; answer?: string; passed: boolean }> = [];
        for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
          const question = INVESTMENT_QUESTIONS[(attempt - 1) % INVESTMENT_QUESTIONS.length]!;
          const result = await askAgent(ctx, agent, 'offtopic', attempt, question);
          if ('failed' in result) {
            tries.push({ sessionId: result.sessionId, question, failed: result.failed, passed: false });
            continue;
          }
          const guardrail = guardrailTraces(result.response);
          // An intervention for anything else (an address masked in the answer, a content filter) does not show the topic at work.
          const passed = guardrail.some((g) => g.action === 'INTERVENED' && g.topics.some((t) => t.action === 'BLOCKED' && denied.includes(t.name)));
          tries.push({ sessionId: result.sessionId, question, guardrail, answer: excerpt(result.response.text), passed });
          if (passed) return pass(`on try ${attempt} the guardrail blocked the question by its denied topic (${THRESHOLD})`, { expected, actual: tries, resource: agent.aliasArn });
        }
        const intervenedOtherwise = tries.some((t) => t.guardrail?.some((g) => g.action === 'INTERVENED'));
        const what = intervenedOtherwise ? 'the guardrail intervened, but never by the denied topic' : 'the agent\'s guardrail never intervened';
        return fail(`in ${MAX_TRIES} sessions asked an investment question, ${what} (${THRESHOLD})${failedReason(tries)}`, { expected: `${expected}, in at least 1 of ${MAX_TRIES} sessions`, actual: tries, resource: agent.aliasArn });
      },
    },
  ],
});
