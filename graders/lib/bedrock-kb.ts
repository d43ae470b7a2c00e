import {
  BedrockAgentClient,
  GetDataSourceCommand,
  GetKnowledgeBaseCommand,
  ListAgentKnowledgeBasesCommand,
  ListDataSourcesCommand,
  ListIngestionJobsCommand,
  ListKnowledgeBasesCommand,
  type AgentKnowledgeBaseSummary,
  type DataSource,
  type IngestionJobSummary,
  type KnowledgeBase,
  type KnowledgeBaseSummary,
} from '@aws-sdk/client-bedrock-agent';
import type { KnowledgeBaseRetrievalResult } from '@aws-sdk/client-bedrock-agent-runtime';
import type { CheckContext } from '../../src/model/grader';
import type { AgentResponse } from './agent-trace';
import { allPages, orNotFound } from './aws-calls';

/** Knowledge bases whose name is exactly `name`. */
export function findKnowledgeBasesByName(ctx: CheckContext, name: string): Promise<KnowledgeBaseSummary[]> {
  return ctx.memo(`bedrock-knowledge-bases-named:${name}`, async () => {
    const client = ctx.client(BedrockAgentClient);
    const all = await allPages(
      (nextToken) => client.send(new ListKnowledgeBasesCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      (page) => page.knowledgeBaseSummaries,
      (page) => page.nextToken,
    );
    return all.filter((kb) => kb.name === name);
  });
}

export async function getKnowledgeBase(ctx: CheckContext, knowledgeBaseId: string): Promise<KnowledgeBase | undefined> {
  return (await orNotFound(ctx.client(BedrockAgentClient).send(new GetKnowledgeBaseCommand({ knowledgeBaseId }))))?.knowledgeBase;
}

/** Every data source of a knowledge base, with its full configuration. */
export function dataSources(ctx: CheckContext, knowledgeBaseId: string): Promise<DataSource[]> {
  return ctx.memo(`bedrock-data-sources:${knowledgeBaseId}`, async () => {
    const client = ctx.client(BedrockAgentClient);
    const summaries = await allPages(
      (nextToken) => client.send(new ListDataSourcesCommand({ knowledgeBaseId, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      (page) => page.dataSourceSummaries,
      (page) => page.nextToken,
    );
    const sources = await Promise.all(
      summaries
        .filter((s) => s.dataSourceId)
        .map(async (s) => (await orNotFound(client.send(new GetDataSourceCommand({ knowledgeBaseId, dataSourceId: s.dataSourceId }))))?.dataSource),
    );
    return sources.filter((s): s is DataSource => s !== undefined);
  });
}

/** `arn:aws:s3:::bucket` (or a bare bucket name) → `bucket`. */
export function bucketNameOfArn(bucketArn: string): string {
  return bucketArn.startsWith('arn:') ? bucketArn.slice(bucketArn.lastIndexOf(':') + 1) : bucketArn;
}

/** True when an S3 data source reads `key`: no inclusion prefixes (the whole bucket), or one of them starts the key. */
export function includesKey(source: DataSource, key: string): boolean {
  const prefixes = source.dataSourceConfiguration?.s3Configuration?.inclusionPrefixes ?? [];
  return prefixes.length === 0 || prefixes.some((p) => key.startsWith(p.replace(/^\//, '')));
}

/**
 * The most recent ingestion jobs of a data source, newest first (at most 50: enough to see the
 * last finished job and whether any earlier one indexed documents).
 */
export function recentIngestionJobs(ctx: CheckContext, knowledgeBaseId: string, dataSourceId: string): Promise<IngestionJobSummary[]> {
  return ctx.memo(`bedrock-ingestion-jobs:${knowledgeBaseId}/${dataSourceId}`, async () => {
    const res = await ctx.client(BedrockAgentClient).send(
      new ListIngestionJobsCommand({ knowledgeBaseId, dataSourceId, sortBy: { attribute: 'STARTED_AT', order: 'DESCENDING' }, maxResults: 50 }),
    );
    return [...(res.ingestionJobSummaries ?? [])].sort((a, b) => (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0));
  });
}

const RUNNING = new Set(['STARTING', 'IN_PROGRESS', 'STOPPING']);

/** Documents a job indexed: new plus modified ones (unchanged documents are scanned, not indexed again). */
export function documentsIndexed(job: IngestionJobSummary): number {
  return (job.statistics?.numberOfNewDocumentsIndexed ?? 0) + (job.statistics?.numberOfModifiedDocumentsIndexed ?? 0);
}

export type IngestionJudgement =
  | { ok: true; job: IngestionJobSummary; indexedBy: IngestionJobSummary; running: number }
  | { ok: false; reason: string; job?: IngestionJobSummary; running: number };

/**
 * Judges a data source's ingestion from its jobs (newest first). The last *finished* job counts (one
 * still running while we grade does not hide an earlier result): it must be COMPLETE with no failed
 * document and have scanned at least one. The documents must be in the index: indexed by that job,
 * or, when a re-sync found nothing changed (scanned but indexed 0), by an earlier COMPLETE job.
 */
export function judgeIngestion(jobs: readonly IngestionJobSummary[]): IngestionJudgement {
  const running = jobs.filter((j) => RUNNING.has(String(j.status))).length;
  const finished = jobs.filter((j) => !RUNNING.has(String(j.status)));
  const job = finished[0];
  if (!job) return { ok: false, reason: running > 0 ? 'the only ingestion job has not finished yet' : 'the data source has never been synced (no ingestion job)', running };
  const stats = job.statistics ?? {};
  if (job.status !== 'COMPLETE') return { ok: false, reason: `the latest finished ingestion job ${job.ingestionJobId} is ${job.status}`, job, running };
  if ((stats.numberOfDocumentsFailed ?? 0) > 0) return { ok: false, reason: `the latest ingestion job ${job.ingestionJobId} failed on ${stats.numberOfDocumentsFailed} document(s)`, job, running };
  if ((stats.numberOfDocumentsScanned ?? 0) < 1) return { ok: false, reason: `the latest ingestion job ${job.ingestionJobId} found no documents to scan`, job, running };
  const indexedBy = [job, ...finished.slice(1).filter((j) => j.status === 'COMPLETE')].find((j) => documentsIndexed(j) > 0);
  if (!indexedBy) return { ok: false, reason: `no completed ingestion job indexed any document (the latest scanned ${stats.numberOfDocumentsScanned})`, job, running };
  return { ok: true, job, indexedBy, running };
}

/** The S3 URIs of retrieval results (Retrieve) or retrieved references (an agent's knowledge-base lookup). */
export function retrievedUris(results: ReadonlyArray<Pick<KnowledgeBaseRetrievalResult, 'location'>> | undefined): string[] {
  return (results ?? []).map((r) => r.location?.s3Location?.uri).filter((u): u is string => u !== undefined);
}

/** The knowledge bases of one agent version (DRAFT or a number), with their state. */
export function agentKnowledgeBases(ctx: CheckContext, agentId: string, agentVersion: string): Promise<AgentKnowledgeBaseSummary[]> {
  const client = ctx.client(BedrockAgentClient);
  return allPages(
    (nextToken) => client.send(new ListAgentKnowledgeBasesCommand({ agentId, agentVersion, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
    (page) => page.agentKnowledgeBaseSummaries,
    (page) => page.nextToken,
  );
}

export interface KnowledgeBaseLookup {
  /** The knowledge base the agent searched, when the trace names it. */
  knowledgeBaseId?: string;
  /** What the agent searched for. */
  query?: string;
  /** The S3 URIs of what came back. */
  uris: string[];
}

/**
 * The knowledge-base lookups an InvokeAgent trace shows: each orchestration observation carrying a
 * `knowledgeBaseLookupOutput`, paired with the lookup input (knowledge base and query) that preceded it.
 */
export function knowledgeBaseLookups(response: AgentResponse): KnowledgeBaseLookup[] {
  const out: KnowledgeBaseLookup[] = [];
  let pending: { knowledgeBaseId?: string; query?: string } = {};
  for (const part of response.traces) {
    const orchestration = part.trace?.orchestrationTrace;
    const input = orchestration?.invocationInput?.knowledgeBaseLookupInput;
    if (input) pending = { ...(input.knowledgeBaseId !== undefined ? { knowledgeBaseId: input.knowledgeBaseId } : {}), ...(input.text !== undefined ? { query: input.text } : {}) };
    const output = orchestration?.observation?.knowledgeBaseLookupOutput;
    if (output) {
      out.push({ ...pending, uris: retrievedUris(output.retrievedReferences) });
      pending = {};
    }
  }
  return out;
}
