import {
  BedrockAgentClient,
  GetAgentActionGroupCommand,
  GetAgentAliasCommand,
  GetAgentCommand,
  GetAgentVersionCommand,
  ListAgentActionGroupsCommand,
  ListAgentAliasesCommand,
  ListAgentCollaboratorsCommand,
  ListAgentsCommand,
  type ActionGroupSummary,
  type Agent,
  type AgentActionGroup,
  type AgentAlias,
  type AgentAliasSummary,
  type AgentCollaboratorSummary,
  type AgentSummary,
  type AgentVersion,
  type FunctionSchema,
} from '@aws-sdk/client-bedrock-agent';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CheckContext } from '../../src/model/grader';
import { allPages, orNotFound } from './aws-calls';

/** Agents (DRAFT summaries) whose name is exactly `name`. */
export function findAgentsByName(ctx: CheckContext, name: string): Promise<AgentSummary[]> {
  return ctx.memo(`bedrock-agents-named:${name}`, async () => {
    const client = ctx.client(BedrockAgentClient);
    const all = await allPages(
      (nextToken) => client.send(new ListAgentsCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      (page) => page.agentSummaries,
      (page) => page.nextToken,
    );
    return all.filter((a) => a.agentName === name);
  });
}

/** The agent's working draft (status, ARN, collaboration mode), or undefined when it does not exist. */
export async function getAgent(ctx: CheckContext, agentId: string): Promise<Agent | undefined> {
  return (await orNotFound(ctx.client(BedrockAgentClient).send(new GetAgentCommand({ agentId }))))?.agent;
}

/** One published version of an agent (its status and collaboration mode as published), or undefined. */
export async function getAgentVersion(ctx: CheckContext, agentId: string, agentVersion: string): Promise<AgentVersion | undefined> {
  return (await orNotFound(ctx.client(BedrockAgentClient).send(new GetAgentVersionCommand({ agentId, agentVersion }))))?.agentVersion;
}

/** Every alias of an agent, including the console's test alias (TSTALIASID, on DRAFT). */
export function agentAliases(ctx: CheckContext, agentId: string): Promise<AgentAliasSummary[]> {
  const client = ctx.client(BedrockAgentClient);
  return allPages(
    (nextToken) => client.send(new ListAgentAliasesCommand({ agentId, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
    (page) => page.agentAliasSummaries,
    (page) => page.nextToken,
  );
}

export async function getAgentAlias(ctx: CheckContext, agentId: string, agentAliasId: string): Promise<AgentAlias | undefined> {
  return (await orNotFound(ctx.client(BedrockAgentClient).send(new GetAgentAliasCommand({ agentId, agentAliasId }))))?.agentAlias;
}

/** The agent's alias named `name` (alias names are unique per agent), or undefined. */
export async function findAliasByName(ctx: CheckContext, agentId: string, name: string): Promise<AgentAlias | undefined> {
  const summary = (await agentAliases(ctx, agentId)).find((a) => a.agentAliasName === name);
  return summary?.agentAliasId ? getAgentAlias(ctx, agentId, summary.agentAliasId) : undefined;
}

/** The version an alias sends requests to (its first routing entry), or undefined. */
export function aliasVersion(alias: Pick<AgentAlias, 'routingConfiguration'>): string | undefined {
  return alias.routingConfiguration?.[0]?.agentVersion;
}

/** A published agent version is a number ("1", "12"); "DRAFT" is the editable working copy. */
export function isPublishedVersion(version: string | undefined): version is string {
  return version !== undefined && /^[1-9][0-9]*$/.test(version);
}

/** States an agent or alias passes through on its way to PREPARED: worth waiting out, not judging. */
export const TRANSITIONAL_STATES: ReadonlySet<string> = new Set(['CREATING', 'PREPARING', 'UPDATING', 'VERSIONING']);

/**
 * `first` if its status is settled; otherwise re-reads with `reread` (every 2 s, up to 30 s) until it is.
 * Undefined when it is still transitional at the deadline or disappeared meanwhile: the caller cannot tell.
 */
export async function settled<T>(ctx: CheckContext, what: string, first: T, status: (value: T) => string | undefined, reread: () => Promise<T | undefined>): Promise<T | undefined> {
  if (!TRANSITIONAL_STATES.has(status(first) ?? '')) return first;
  return ctx.waitFor(
    `${what} to leave its transitional state`,
    async () => {
      const current = await reread();
      return current !== undefined && !TRANSITIONAL_STATES.has(status(current) ?? '') ? current : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 2_000 },
  );
}

/** Why an alias is not a published, prepared, invocable alias, or undefined when it is. */
export function aliasProblem(alias: AgentAlias): string | undefined {
  const version = aliasVersion(alias);
  if (!isPublishedVersion(version)) return `routes to ${version ?? 'no version'}, not a published version`;
  if (alias.agentAliasStatus !== 'PREPARED') return `is ${alias.agentAliasStatus}`;
  if (alias.aliasInvocationState === 'REJECT_INVOCATIONS') return 'rejects invocations';
  return undefined;
}

/** An alias as an assessor wants to see it: version, status, invocation state, failure reasons. */
export function aliasSummary(alias: AgentAlias): Record<string, unknown> {
  return {
    alias: alias.agentAliasName,
    version: aliasVersion(alias) ?? 'none',
    status: alias.agentAliasStatus,
    invocations: alias.aliasInvocationState ?? 'ACCEPT_INVOCATIONS',
    ...(alias.failureReasons?.length ? { failureReasons: alias.failureReasons } : {}),
  };
}

export interface AgentAliasRef {
  region: string;
  accountId: string;
  agentId: string;
  agentAliasId: string;
}

/** Parses `arn:aws:bedrock:<region>:<account>:agent-alias/<agentId>/<aliasId>`. */
export function parseAgentAliasArn(arn: string): AgentAliasRef | undefined {
  const m = /^arn:aws[a-z-]*:bedrock:([a-z0-9-]+):(\d{12}):agent-alias\/([0-9A-Za-z]+)\/([0-9A-Za-z]+)$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, agentId: m[3]!, agentAliasId: m[4]! } : undefined;
}

/** The action groups of one agent version (DRAFT or a number). */
export function actionGroupSummaries(ctx: CheckContext, agentId: string, agentVersion: string): Promise<ActionGroupSummary[]> {
  const client = ctx.client(BedrockAgentClient);
  return allPages(
    (nextToken) => client.send(new ListAgentActionGroupsCommand({ agentId, agentVersion, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
    (page) => page.actionGroupSummaries,
    (page) => page.nextToken,
  );
}

/** The agent's action group named `name` in one version, with its full definition, or undefined. */
export async function findActionGroup(ctx: CheckContext, agentId: string, agentVersion: string, name: string): Promise<AgentActionGroup | undefined> {
  const summary = (await actionGroupSummaries(ctx, agentId, agentVersion)).find((g) => g.actionGroupName === name);
  if (!summary?.actionGroupId) return undefined;
  const res = await orNotFound(ctx.client(BedrockAgentClient).send(new GetAgentActionGroupCommand({ agentId, agentVersion, actionGroupId: summary.actionGroupId })));
  return res?.agentActionGroup;
}

export interface ApiSchemaText {
  /** Where the schema lives: "inline" or the s3:// URL. */
  source: string;
  text: string;
}

/**
 * The text of an action group's OpenAPI schema: the inline payload, or the S3 object it names.
 * Undefined when the group has no API schema or the S3 object does not exist.
 */
export async function apiSchemaText(ctx: CheckContext, group: AgentActionGroup): Promise<ApiSchemaText | undefined> {
  const schema = group.apiSchema;
  if (schema?.payload !== undefined) return { source: 'inline', text: schema.payload };
  const bucket = schema?.s3?.s3BucketName;
  const key = schema?.s3?.s3ObjectKey;
  if (!bucket || !key) return undefined;
  const object = await orNotFound(ctx.client(S3Client).send(new GetObjectCommand({ Bucket: bucket, Key: key })));
  if (!object?.Body) return undefined;
  // The grading session drains streamed bodies to bytes before a check sees them.
  const body: unknown = object.Body;
  const text = body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : await object.Body.transformToString('utf8');
  return { source: `s3://${bucket}/${key}`, text };
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * The operations an OpenAPI document declares, as `path → lower-case methods`. Reads JSON and
 * block-style YAML (what the console, the CLI and CDK produce). Undefined when neither shape is
 * recognisable, so a caller can tell "no such path" from "could not read the schema".
 */
export function openApiOperations(text: string): Map<string, string[]> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return yamlOperations(text);
  }
  const paths = (doc as { paths?: unknown } | null)?.paths;
  if (paths === null || typeof paths !== 'object') return undefined;
  const out = new Map<string, string[]>();
  for (const [path, item] of Object.entries(paths as Record<string, unknown>)) {
    const methods = item !== null && typeof item === 'object' ? Object.keys(item).map((k) => k.toLowerCase()).filter((k) => HTTP_METHODS.has(k)) : [];
    out.set(path, methods);
  }
  return out;
}

interface YamlLine {
  indent: number;
  key?: string;
}

/** Reads `key:` lines with their indentation, skipping blanks, comments and list items. */
function yamlLines(text: string): YamlLine[] {
  const out: YamlLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed === '---') continue;
    const indent = raw.length - raw.trimStart().length;
    const m = /^(?:'([^']*)'|"([^"]*)"|([^\s'"#:-][^:#]*?|-[^\s:#][^:#]*?))\s*:(?:\s|$)/.exec(trimmed);
    out.push({ indent, ...(m ? { key: m[1] ?? m[2] ?? m[3] } : {}) });
  }
  return out;
}

function yamlOperations(text: string): Map<string, string[]> | undefined {
  const lines = yamlLines(text);
  const start = lines.findIndex((l) => l.indent === 0 && l.key === 'paths');
  if (start < 0) return undefined;
  const out = new Map<string, string[]>();
  let pathIndent: number | undefined;
  let methodIndent: number | undefined;
  let current: string | undefined;
  for (const line of lines.slice(start + 1)) {
    if (line.indent === 0) break;
    pathIndent ??= line.indent;
    if (line.indent === pathIndent) {
      current = line.key;
      methodIndent = undefined;
      if (current !== undefined) out.set(current, []);
    } else if (current !== undefined && line.indent > pathIndent) {
      methodIndent ??= line.indent;
      const key = line.key?.toLowerCase();
      if (line.indent === methodIndent && key && HTTP_METHODS.has(key)) out.get(current)!.push(key);
    }
  }
  return out;
}

export interface FunctionParameterMatch {
  functionName: string;
  type: string;
  required: boolean;
}

/** The functions of a function schema that take a parameter named `parameter`, with its type. */
export function functionsTaking(schema: FunctionSchema | undefined, parameter: string): FunctionParameterMatch[] {
  return (schema?.functions ?? []).flatMap((fn) => {
    const detail = fn.parameters?.[parameter];
    return detail ? [{ functionName: fn.name ?? '?', type: String(detail.type ?? 'unknown'), required: detail.required === true }] : [];
  });
}

/** The collaborators of one version of a supervisor agent. */
export function agentCollaborators(ctx: CheckContext, agentId: string, agentVersion: string): Promise<AgentCollaboratorSummary[]> {
  const client = ctx.client(BedrockAgentClient);
  return allPages(
    (nextToken) => client.send(new ListAgentCollaboratorsCommand({ agentId, agentVersion, maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
    (page) => page.agentCollaboratorSummaries,
    (page) => page.nextToken,
  );
}
