/** How a function is shipped: published versions, aliases and their weighted routing, reserved concurrency, invoking a qualifier. */
import { GetAccountSettingsCommand, GetAliasCommand, GetFunctionConcurrencyCommand, InvokeCommand, LambdaClient, ListVersionsByFunctionCommand, type AliasConfiguration, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { classifyFailure } from '../../src/aws/errors';
import type { CheckContext } from '../../src/model/grader';
import { allPages, orNotFound } from './aws-calls';

/** A published version number ("1", "42"), as opposed to `$LATEST` or an alias name. */
export function isPublishedVersion(qualifier: string | undefined): qualifier is string {
  return qualifier !== undefined && /^[1-9][0-9]*$/.test(qualifier);
}

/** The function's published versions (oldest first, `$LATEST` left out), or undefined when the function does not exist. */
export async function listPublishedVersions(ctx: CheckContext, functionName: string): Promise<FunctionConfiguration[] | undefined> {
  const lambda = ctx.client(LambdaClient);
  const all = await orNotFound(
    allPages(
      (Marker) => lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, MaxItems: 50, ...(Marker ? { Marker } : {}) })),
      (page) => page.Versions,
      (page) => page.NextMarker,
    ),
  );
  if (!all) return undefined;
  return all.filter((v) => isPublishedVersion(v.Version)).sort((a, b) => Number(a.Version) - Number(b.Version));
}

/** The alias, or undefined when it (or its function) does not exist. */
export function getAlias(ctx: CheckContext, functionName: string, aliasName: string): Promise<AliasConfiguration | undefined> {
  return orNotFound(ctx.client(LambdaClient).send(new GetAliasCommand({ FunctionName: functionName, Name: aliasName })));
}

export interface AliasRouting {
  /** The version the alias points at (receives the remaining traffic). */
  primary: string;
  /** Versions that receive a share of the traffic (weighted routing), with their weight (0..1). */
  additional: Array<{ version: string; weight: number }>;
}

export function aliasRouting(alias: AliasConfiguration): AliasRouting {
  const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
  return {
    primary: alias.FunctionVersion ?? '',
    additional: Object.entries(weights)
      .map(([version, weight]) => ({ version, weight }))
      .sort((a, b) => a.version.localeCompare(b.version, 'en', { numeric: true })),
  };
}

/** Every version an alias sends traffic to: its primary version first, then those with a weight above 0. */
export function routedVersions(routing: AliasRouting): string[] {
  return [routing.primary, ...routing.additional.filter((a) => a.weight > 0 && a.version !== routing.primary).map((a) => a.version)];
}

/** A function's ARN with a qualifier (version or alias), built from another ARN of the same function. */
export function qualifiedArn(anyArnOfFunction: string, qualifier: string): string {
  return `${anyArnOfFunction.split(':').slice(0, 7).join(':')}:${qualifier}`;
}

/**
 * The function's reserved concurrency: `{ reserved: n }` when set (0 means every invocation is
 * throttled), `{}` when it is not, undefined when the function does not exist.
 */
export async function reservedConcurrency(ctx: CheckContext, functionName: string): Promise<{ reserved?: number } | undefined> {
  const res = await orNotFound(ctx.client(LambdaClient).send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })));
  if (!res) return undefined;
  return res.ReservedConcurrentExecutions === undefined ? {} : { reserved: res.ReservedConcurrentExecutions };
}

/**
 * Lambda keeps this much of the account's concurrency unreserved: a function can reserve at most the
 * unreserved concurrency minus 100 (Lambda developer guide, "Configuring reserved concurrency";
 * PutFunctionConcurrency). Accounts whose quota is lower (new accounts often get 10) cannot reserve any.
 */
export const LAMBDA_UNRESERVED_FLOOR = 100;

export interface AccountConcurrency {
  /** AccountLimit.ConcurrentExecutions: the account's concurrency quota in this region. */
  limit?: number;
  /** AccountLimit.UnreservedConcurrentExecutions: what no function has reserved. */
  unreserved?: number;
  /** The largest reservation Lambda would accept for a function that has none now (0: none at all). */
  reservable?: number;
}

/** The account's Lambda concurrency quota and how much of it a function could still reserve (GetAccountSettings). */
export async function accountConcurrency(ctx: CheckContext): Promise<AccountConcurrency> {
  const res = await ctx.client(LambdaClient).send(new GetAccountSettingsCommand({}));
  const limit = res.AccountLimit?.ConcurrentExecutions;
  const unreserved = res.AccountLimit?.UnreservedConcurrentExecutions;
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(unreserved !== undefined ? { unreserved, reservable: Math.max(0, unreserved - LAMBDA_UNRESERVED_FLOOR) } : {}),
  };
}

/** Where a function version logs and in which format, with Lambda's defaults when its configuration does not say. */
export function loggingOf(config: FunctionConfiguration): { format: string; logGroup: string } {
  return {
    format: config.LoggingConfig?.LogFormat ?? 'Text',
    logGroup: config.LoggingConfig?.LogGroup ?? `/aws/lambda/${config.FunctionName ?? ''}`,
  };
}

/**
 * Invoke failures caused by how the function is set up (its VPC, KMS key, file system, runtime or
 * package), not by AWS or by SkillProof: the candidate's function cannot run, which is theirs to fix.
 */
export const FUNCTION_SETUP_FAULTS = new Set([
  'EC2AccessDeniedException',
  'ENILimitReachedException',
  'InvalidSubnetIDException',
  'InvalidSecurityGroupIDException',
  'SubnetIPAddressLimitReachedException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'EFSMountConnectivityException',
  'EFSMountFailureException',
  'EFSMountTimeoutException',
  'InvalidRuntimeException',
  'InvalidZipFileException',
]);

/** Invoke failures that pass once the function has finished updating (state Pending, update InProgress). */
const NOT_READY = new Set(['ResourceConflictException', 'ResourceNotReadyException']);

export type Invocation =
  | { kind: 'answered'; executedVersion?: string; statusCode?: number; functionError?: string; payload: string }
  | { kind: 'setup-fault'; code: string; message: string }
  | { kind: 'not-ready'; code: string; message: string };

/**
 * Invokes `functionName:qualifier` synchronously with a JSON event (a probe: lambda:InvokeFunction).
 * An answer carries the version that ran (ExecutedVersion) and, if the code failed, FunctionError with
 * the error in the payload. Set-up faults and "not ready yet" come back as values; anything else
 * (throttling, AccessDenied, 5xx) propagates.
 */
export async function invokeQualifier(ctx: CheckContext, functionName: string, qualifier: string, event: unknown): Promise<Invocation> {
  try {
    const res = await ctx.client(LambdaClient).send(new InvokeCommand({ FunctionName: functionName, Qualifier: qualifier, InvocationType: 'RequestResponse', Payload: JSON.stringify(event) }));
    return {
      kind: 'answered',
      payload: res.Payload ? Buffer.from(res.Payload).toString('utf8') : '',
      ...(res.ExecutedVersion !== undefined ? { executedVersion: res.ExecutedVersion } : {}),
      ...(res.StatusCode !== undefined ? { statusCode: res.StatusCode } : {}),
      ...(res.FunctionError !== undefined ? { functionError: res.FunctionError } : {}),
    };
  } catch (err) {
    const f = classifyFailure(err);
    if (FUNCTION_SETUP_FAULTS.has(f.code)) return { kind: 'setup-fault', code: f.code, message: f.message };
    if (NOT_READY.has(f.code)) return { kind: 'not-ready', code: f.code, message: f.message };
    throw err;
  }
}

/** A function error's type and message from an invocation payload (`{"errorType", "errorMessage"}`), shortened. */
export function describeFunctionError(payload: string): string {
  try {
    const e = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    const text = [e.errorType, e.errorMessage].filter((x) => typeof x === 'string' && x).join(': ');
    if (text) return text.slice(0, 200);
  } catch {
    // Not JSON: show the raw text.
  }
  return payload.slice(0, 200) || '(empty payload)';
}
