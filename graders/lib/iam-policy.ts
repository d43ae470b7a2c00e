/**
 * Offline evaluation of IAM identity policies, for graders that judge whether a candidate's role
 * is least-privilege. Pure functions over parsed statements: the grader fetches the documents
 * (GetRolePolicy, GetPolicyVersion) through its recorded session and hands the text in here.
 *
 * Deliberately conservative: anything this module cannot prove harmless (a Condition, NotAction,
 * NotResource, an uncatalogued service) is treated as granting, never as narrowing. Two things are
 * proven harmless from the Service Authorization Reference: an action name a catalogued service does
 * not define grants nothing (IAM ignores it; `sqs:DeleteMessageBatch` is authorised as
 * `sqs:DeleteMessage`), and a grant on ARNs none of the action's resource types can take reaches
 * nothing (`dynamodb:PutItem` on `table/orders/*`).
 * Resource-based policies are read by `resourcePolicyStatements`, which keeps the statements that
 * apply to one principal so they can be judged beside its identity policies.
 * Not modelled: policy variables such as `${aws:username}` (compared literally), permissions
 * boundaries and SCPs.
 */
import { ACTION_CATALOG } from './iam-action-catalog';
import { ACTION_RESOURCE_TYPES, RESOURCE_ARN_FORMATS } from './iam-resource-types';

export { ACTION_CATALOG };

export type PolicyEffect = 'Allow' | 'Deny';

export interface PolicyStatement {
  sid?: string;
  effect: PolicyEffect;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  hasCondition: boolean;
  /** Where the statement came from, e.g. `inline:orders-writer` or a managed policy ARN. */
  source: string;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface EvaluationResult {
  decision: Decision;
  /** True when the allow depends on a Condition (on an Allow, or on a Deny that may apply). */
  conditional: boolean;
  /** Labels (`source`, or `source#sid`) of the Allow statements that grant the request. */
  allowedBy: string[];
}

export interface ActionExpansion {
  /** Lower-case service prefix, or the service pattern itself (`*`) when it is a wildcard. */
  service: string;
  actions: string[];
  /** True when the pattern reaches services outside ACTION_CATALOG, so `actions` is incomplete. */
  unknownService: boolean;
}

export interface AllowanceRule {
  /** Exact action names or IAM wildcard patterns the role may be granted. */
  actions: string[];
  /** ARN patterns a grant of those actions may cover. */
  resources: string[];
}

export type Allowance = readonly AllowanceRule[];

export interface ExcessGrant {
  action: string;
  resource: string;
  source: string;
  sid?: string;
  reason: string;
}

export interface RequiredGrant {
  action: string;
  resource: string;
}

export interface MissingGrant extends RequiredGrant {
  decision: Exclude<Decision, 'allow'>;
}

export interface MatchOptions {
  caseInsensitive: boolean;
}

/** Thrown when a policy document cannot be read; the message names its source and the problem. */
export class PolicyParseError extends Error {
  override readonly name = 'PolicyParseError';

  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`Policy ${source}: ${problem}`);
  }
}

const ACTION_CASE: MatchOptions = { caseInsensitive: true };
const RESOURCE_CASE: MatchOptions = { caseInsensitive: false };

type JsonObject = Record<string, unknown>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : `a ${typeof value}`;
}

function decodeDocument(doc: string, source: string): string {
  const trimmed = doc.trim();
  if (trimmed.startsWith('{')) return trimmed;
  try {
    return decodeURIComponent(trimmed).trim();
  } catch {
    throw new PolicyParseError(source, 'document is neither JSON nor valid URL-encoded JSON');
  }
}

function readStringList(stmt: JsonObject, key: string, where: string, source: string): string[] | undefined {
  const raw = stmt[key];
  if (raw === undefined) return undefined;
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw new PolicyParseError(source, `${where}.${key} is an empty list`);
  return list.map((item, i) => {
    if (typeof item !== 'string' || item.length === 0) {
      throw new PolicyParseError(source, `${where}.${key}[${i}] must be a non-empty string, got ${describeJson(item)}`);
    }
    return item;
  });
}

function exactlyOne<T>(
  a: T | undefined,
  b: T | undefined,
  names: [string, string],
  where: string,
  source: string,
): void {
  if (a !== undefined && b !== undefined) {
    throw new PolicyParseError(source, `${where} has both ${names[0]} and ${names[1]}; use one`);
  }
  if (a === undefined && b === undefined) {
    throw new PolicyParseError(source, `${where} needs ${names[0]} or ${names[1]}`);
  }
}

const ACTION_SYNTAX = /^(\*|[^:\s]+:[^:\s]+)$/;

function parseStatement(raw: unknown, where: string, source: string): PolicyStatement {
  if (!isJsonObject(raw)) {
    throw new PolicyParseError(source, `${where} must be an object, got ${describeJson(raw)}`);
  }
  const effect = raw.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new PolicyParseError(source, `${where}.Effect must be "Allow" or "Deny", got ${describeJson(effect)}`);
  }
  const sid = raw.Sid;
  if (sid !== undefined && typeof sid !== 'string') {
    throw new PolicyParseError(source, `${where}.Sid must be a string, got ${describeJson(sid)}`);
  }
  const condition = raw.Condition;
  if (condition !== undefined && !isJsonObject(condition)) {
    throw new PolicyParseError(source, `${where}.Condition must be an object, got ${describeJson(condition)}`);
  }
  const actions = readStringList(raw, 'Action', where, source);
  const notActions = readStringList(raw, 'NotAction', where, source);
  exactlyOne(actions, notActions, ['Action', 'NotAction'], where, source);
  for (const action of actions ?? notActions ?? []) {
    if (!ACTION_SYNTAX.test(action)) {
      throw new PolicyParseError(source, `${where} has action ${JSON.stringify(action)}; expected "service:Action" or "*"`);
    }
  }
  const resources = readStringList(raw, 'Resource', where, source);
  const notResources = readStringList(raw, 'NotResource', where, source);
  exactlyOne(resources, notResources, ['Resource', 'NotResource'], where, source);

  const statement: PolicyStatement = {
    effect,
    hasCondition: condition !== undefined && Object.keys(condition).length > 0,
    source,
  };
  if (sid !== undefined) statement.sid = sid;
  if (actions) statement.actions = actions;
  if (notActions) statement.notActions = notActions;
  if (resources) statement.resources = resources;
  if (notResources) statement.notResources = notResources;
  return statement;
}

/** Reads an identity policy as IAM returns it (plain or URL-encoded JSON); throws PolicyParseError naming `source`. */
export function parsePolicyDocument(doc: string, source: string): PolicyStatement[] {
  const text = decodeDocument(doc, source);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new PolicyParseError(source, `document is not valid JSON (${detail})`);
  }
  if (!isJsonObject(parsed)) {
    throw new PolicyParseError(source, `document must be a JSON object, got ${describeJson(parsed)}`);
  }
  const raw = parsed.Statement;
  if (raw === undefined) throw new PolicyParseError(source, 'document has no Statement');
  if (Array.isArray(raw)) return raw.map((stmt, i) => parseStatement(stmt, `Statement[${i}]`, source));
  return [parseStatement(raw, 'Statement', source)];
}

export interface ResourcePolicyScope {
  /** The ARN of the resource the policy is attached to: the Resource of statements that name none. */
  resourceArn: string;
  /** The principal being judged, e.g. a function's execution role ARN. */
  principalArn: string;
}

/** Condition keys present only on requests a service principal makes for a resource, never on a role's own calls. */
const SERVICE_SOURCE_KEYS = new Set(['aws:sourcearn', 'aws:sourceaccount', 'aws:sourceowner', 'aws:sourceorgid', 'aws:sourceorgpaths']);
const PRINCIPAL_ARN_OPERATORS: Record<string, 'exact' | 'glob'> = { stringequals: 'exact', arnequals: 'glob', stringlike: 'glob', arnlike: 'glob' };

function awsPrincipals(value: unknown): string[] | 'any' | undefined {
  if (value === '*') return 'any';
  if (!isJsonObject(value)) return undefined;
  const aws = [value.AWS ?? []].flat().filter((p): p is string => typeof p === 'string');
  return aws.includes('*') ? 'any' : aws;
}

/**
 * Whether a resource-policy statement's principal is the judged one. Same-account grants to the
 * account (`arn:aws:iam::<account>:root`, or the bare account id) only delegate to IAM policies and
 * grant a role nothing by themselves; service principals are not the role. NotPrincipal in a Deny is
 * not trusted to narrow.
 */
function principalApplies(raw: JsonObject, effect: PolicyEffect, principalArn: string): boolean {
  if (raw.NotPrincipal !== undefined) {
    const excluded = awsPrincipals(raw.NotPrincipal);
    return effect === 'Allow' && excluded !== 'any' && !(excluded ?? []).includes(principalArn);
  }
  if (raw.Principal === undefined) return effect === 'Allow';
  const named = awsPrincipals(raw.Principal);
  return named === 'any' || (named ?? []).includes(principalArn);
}

/**
 * The Condition left once what is known about the judged principal's own requests is applied:
 * `undefined` when the statement cannot apply to them (it needs a service source key, or names
 * other principals by aws:PrincipalArn), else the conditions still unknown.
 */
function remainingCondition(condition: unknown, principalArn: string): JsonObject | undefined {
  if (!isJsonObject(condition)) return {};
  const left: JsonObject = {};
  for (const [operator, byKey] of Object.entries(condition)) {
    const op = operator.toLowerCase().replace(/^for(any|all)value:/, '');
    if (!isJsonObject(byKey)) return {};
    const unknown: JsonObject = {};
    for (const [key, values] of Object.entries(byKey)) {
      const k = key.toLowerCase();
      if (SERVICE_SOURCE_KEYS.has(k) && op !== 'null' && !op.endsWith('ifexists')) return undefined;
      const how = PRINCIPAL_ARN_OPERATORS[op];
      if (k === 'aws:principalarn' && how) {
        const list = [values].flat().filter((v): v is string => typeof v === 'string');
        const matches = list.some((v) => (how === 'exact' ? v === principalArn : matchesPattern(v, principalArn, RESOURCE_CASE)));
        if (!matches) return undefined;
        continue;
      }
      unknown[key] = values;
    }
    if (Object.keys(unknown).length > 0) left[operator] = unknown;
  }
  return left;
}

/**
 * The statements of a resource-based policy (a table's or a queue's) that apply to one principal,
 * as statements to judge beside its identity policies: in one account, a resource policy naming a
 * role grants it access without any identity policy. Statements naming other principals, service
 * principals or the account are left out; conditions that cannot be ruled out stay conditions.
 */
export function resourcePolicyStatements(doc: string, source: string, scope: ResourcePolicyScope): PolicyStatement[] {
  const text = decodeDocument(doc, source);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PolicyParseError(source, `document is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isJsonObject(parsed)) throw new PolicyParseError(source, `document must be a JSON object, got ${describeJson(parsed)}`);
  const raw = parsed.Statement;
  if (raw === undefined) throw new PolicyParseError(source, 'document has no Statement');
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  const applying: PolicyStatement[] = [];
  list.forEach((stmt, i) => {
    const where = Array.isArray(raw) ? `Statement[${i}]` : 'Statement';
    if (!isJsonObject(stmt)) throw new PolicyParseError(source, `${where} must be an object, got ${describeJson(stmt)}`);
    const effect = stmt.Effect === 'Deny' ? 'Deny' : 'Allow';
    if (!principalApplies(stmt, effect, scope.principalArn)) return;
    const condition = remainingCondition(stmt.Condition, scope.principalArn);
    if (condition === undefined) return;
    const { Principal: _p, NotPrincipal: _n, Condition: _c, ...rest } = stmt;
    const normalised: JsonObject = { ...rest, ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}) };
    if (normalised.Resource === undefined && normalised.NotResource === undefined) normalised.Resource = scope.resourceArn;
    applying.push(parseStatement(normalised, where, source));
  });
  return applying;
}

/** IAM wildcard match (`*` any run, `?` one character); callers choose case rules: actions ignore case, ARNs do not. */
export function matchesPattern(pattern: string, value: string, options: MatchOptions): boolean {
  return globMatch(pattern, value, options.caseInsensitive, false);
}

/**
 * Conservative "every string matching `narrow` also matches `broad`": `narrow`'s wildcards are
 * treated as literal characters, except that `broad`'s `?` may not stand in for `narrow`'s `*`.
 */
export function isPatternCoveredBy(narrow: string, broad: string, options: MatchOptions): boolean {
  return globMatch(broad, narrow, options.caseInsensitive, true);
}

/** Iterative glob match with single-star backtracking: linear in practice, no regex, no ReDoS. */
function globMatch(pattern: string, value: string, caseInsensitive: boolean, valueIsPattern: boolean): boolean {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const v = caseInsensitive ? value.toLowerCase() : value;
  let pi = 0;
  let vi = 0;
  let starPi = -1;
  let starVi = 0;
  while (vi < v.length) {
    const pc = p[pi];
    const vc = v[vi];
    if (pc === '*') {
      starPi = pi;
      starVi = vi;
      pi += 1;
    } else if (pc !== undefined && (pc === vc || (pc === '?' && !(valueIsPattern && vc === '*')))) {
      pi += 1;
      vi += 1;
    } else if (starPi >= 0) {
      pi = starPi + 1;
      starVi += 1;
      vi = starVi;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi += 1;
  return pi === p.length;
}

function statementLabel(stmt: PolicyStatement): string {
  return stmt.sid ? `${stmt.source}#${stmt.sid}` : stmt.source;
}

function statementMatchesAction(stmt: PolicyStatement, action: string): boolean {
  if (stmt.actions) return stmt.actions.some((p) => matchesPattern(p, action, ACTION_CASE));
  return !(stmt.notActions ?? []).some((p) => matchesPattern(p, action, ACTION_CASE));
}

function statementMatchesResource(stmt: PolicyStatement, resource: string): boolean {
  if (stmt.resources) return stmt.resources.some((p) => matchesPattern(p, resource, RESOURCE_CASE));
  return !(stmt.notResources ?? []).some((p) => matchesPattern(p, resource, RESOURCE_CASE));
}

/**
 * Identity-policy decision for one concrete request: an unconditional matching Deny wins; a
 * conditional Deny cannot be ruled out, so it leaves any allow standing but marks it conditional.
 */
export function evaluate(statements: readonly PolicyStatement[], action: string, resource: string): EvaluationResult {
  const allowedBy = new Set<string>();
  let conditional = false;
  let allowedUnconditionally = false;
  for (const stmt of statements) {
    if (!statementMatchesAction(stmt, action) || !statementMatchesResource(stmt, resource)) continue;
    if (stmt.effect === 'Deny') {
      if (!stmt.hasCondition) return { decision: 'explicit-deny', conditional: false, allowedBy: [] };
      conditional = true;
    } else {
      allowedBy.add(statementLabel(stmt));
      if (!stmt.hasCondition) allowedUnconditionally = true;
    }
  }
  if (allowedBy.size === 0) return { decision: 'implicit-deny', conditional: false, allowedBy: [] };
  return { decision: 'allow', conditional: conditional || !allowedUnconditionally, allowedBy: [...allowedBy].sort() };
}

function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Lists the catalogued actions an Action pattern grants; `unknownService` flags grants the catalog cannot enumerate. */
export function expandActionPattern(pattern: string): ActionExpansion {
  const colon = pattern.indexOf(':');
  const servicePart = (colon < 0 ? pattern : pattern.slice(0, colon)).toLowerCase();
  if (hasWildcard(servicePart)) {
    const actions = Object.keys(ACTION_CATALOG)
      .filter((service) => matchesPattern(servicePart, service, ACTION_CASE))
      .flatMap((service) => (ACTION_CATALOG[service] ?? []).filter((a) => matchesPattern(pattern, a, ACTION_CASE)));
    return { service: servicePart, actions, unknownService: true };
  }
  const catalogued = ACTION_CATALOG[servicePart];
  if (!catalogued) {
    return { service: servicePart, actions: hasWildcard(pattern) ? [] : [pattern], unknownService: true };
  }
  // An exact name the service does not define grants nothing: IAM ignores it (Access Analyzer only
  // warns). SAM's SQSPollerPolicy lists sqs:DeleteMessageBatch, which SQS authorises as
  // sqs:DeleteMessage (SQS Developer Guide, "Amazon SQS batch actions": batch actions cannot be
  // granted explicitly). The catalog is the service's complete list, so such a name is not an action.
  return { service: servicePart, actions: catalogued.filter((a) => matchesPattern(pattern, a, ACTION_CASE)), unknownService: false };
}

/** Exact action names of catalogued services that the service does not define: they grant nothing, and no message should ask for them. */
export function unrecognisedActions(statements: readonly PolicyStatement[]): string[] {
  const names = new Set<string>();
  for (const stmt of statements) {
    for (const pattern of [...(stmt.actions ?? []), ...(stmt.notActions ?? [])]) {
      if (hasWildcard(pattern)) continue;
      const expansion = expandActionPattern(pattern);
      if (!expansion.unknownService && expansion.actions.length === 0) names.add(pattern);
    }
  }
  return [...names].sort(compareText);
}

/** A granted action: a concrete name, or a pattern that reaches beyond the catalog and is judged as a pattern. */
interface GrantedAction {
  name: string;
  isPattern: boolean;
}

function grantedActions(patterns: readonly string[]): GrantedAction[] {
  const granted = new Map<string, GrantedAction>();
  for (const pattern of patterns) {
    const expansion = expandActionPattern(pattern);
    for (const name of expansion.actions) granted.set(name.toLowerCase(), { name, isPattern: false });
    if (expansion.unknownService && hasWildcard(pattern)) {
      granted.set(`pattern:${pattern.toLowerCase()}`, { name: pattern, isPattern: true });
    }
  }
  return [...granted.values()];
}

function actionCoveredBy(action: GrantedAction, pattern: string): boolean {
  return action.isPattern
    ? isPatternCoveredBy(action.name, pattern, ACTION_CASE)
    : matchesPattern(pattern, action.name, ACTION_CASE);
}

function resourceCoveredBy(resource: string, pattern: string): boolean {
  return isPatternCoveredBy(resource, pattern, RESOURCE_CASE);
}

/** Only an unconditional Deny whose patterns provably cover the whole grant may cancel it. */
function cancelledByDeny(denies: readonly PolicyStatement[], action: GrantedAction, resource: string): boolean {
  return denies.some((deny) => {
    const coversAction = deny.actions
      ? deny.actions.some((p) => actionCoveredBy(action, p))
      : !action.isPattern && !(deny.notActions ?? []).some((p) => matchesPattern(p, action.name, ACTION_CASE));
    if (!coversAction) return false;
    if (deny.resources) return deny.resources.some((p) => resourceCoveredBy(resource, p));
    return !hasWildcard(resource) && !(deny.notResources ?? []).some((p) => matchesPattern(p, resource, RESOURCE_CASE));
  });
}

/**
 * Variables of the reference's ARN formats whose values never contain `/` (the services' naming
 * rules: DynamoDB table and index names are `[a-zA-Z0-9_.-]`, SQS queue names `[a-zA-Z0-9_-]`,
 * Lambda function and Step Functions state machine names have no `/`). Any other variable may span
 * several path segments (log group names, S3 keys), so it is read as `*`.
 */
const SEGMENT_VARIABLES = new Set(['Partition', 'Region', 'Account', 'TableName', 'IndexName', 'StreamLabel', 'BackupName', 'ExportName', 'ImportName', 'GlobalTableName', 'QueueName', 'FunctionName', 'StateMachineName']);

type GlobToken = { kind: 'char'; c: string } | { kind: 'one' } | { kind: 'any' } | { kind: 'segment' };

function policyGlob(pattern: string): GlobToken[] {
  return [...pattern].map((c): GlobToken => (c === '*' ? { kind: 'any' } : c === '?' ? { kind: 'one' } : { kind: 'char', c }));
}

function arnFormatGlob(format: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (const part of format.split(/(\$\{[A-Za-z]+\})/)) {
    const variable = part.match(/^\$\{([A-Za-z]+)\}$/)?.[1];
    if (variable) tokens.push({ kind: SEGMENT_VARIABLES.has(variable) ? 'segment' : 'any' });
    else tokens.push(...[...part].map((c): GlobToken => ({ kind: 'char', c })));
  }
  return tokens;
}

/** Whether one character can be read by both tokens (`segment` takes any character but `/`). */
function tokensShareACharacter(a: GlobToken, b: GlobToken): boolean {
  if (a.kind === 'char' && b.kind === 'char') return a.c === b.c;
  if (a.kind === 'char') return b.kind !== 'segment' || a.c !== '/';
  if (b.kind === 'char') return a.kind !== 'segment' || b.c !== '/';
  return true;
}

/** Whether some string matches both globs: a search over pairs of positions, linear in their product. */
function globsIntersect(a: readonly GlobToken[], b: readonly GlobToken[]): boolean {
  const repeats = (t: GlobToken | undefined) => t?.kind === 'any' || t?.kind === 'segment';
  const seen = new Set<number>();
  const queue: Array<[number, number]> = [[0, 0]];
  while (queue.length > 0) {
    const [i, j] = queue.pop()!;
    const key = i * (b.length + 1) + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const ta = a[i];
    const tb = b[j];
    if (repeats(ta)) queue.push([i + 1, j]);
    if (repeats(tb)) queue.push([i, j + 1]);
    if (ta && tb && tokensShareACharacter(ta, tb)) {
      // Read one character: a repeating token may stay for more, or is left behind.
      queue.push([i + 1, j + 1]);
      if (repeats(ta)) queue.push([i, j + 1]);
      if (repeats(tb)) queue.push([i + 1, j]);
    }
  }
  return false;
}

/**
 * False only when the catalog proves the grant reaches nothing: the action acts on listed resource
 * types and the granted ARN pattern matches none of their formats. Actions that take only `*`, and
 * actions or services outside the catalog, are judged as reaching the pattern.
 */
export function actionCanReach(action: string, resourcePattern: string): boolean {
  const colon = action.indexOf(':');
  const service = action.slice(0, colon).toLowerCase();
  const name = action.slice(colon + 1).toLowerCase();
  const byAction = ACTION_RESOURCE_TYPES[service];
  const formats = RESOURCE_ARN_FORMATS[service];
  if (!byAction || !formats || hasWildcard(action)) return true;
  const entry = Object.entries(byAction).find(([n]) => n.toLowerCase() === name);
  if (!entry || entry[1] === '') return true;
  const granted = policyGlob(resourcePattern);
  return entry[1].split(' ').some((type) => {
    const format = formats[type];
    return format === undefined || globsIntersect(granted, arnFormatGlob(format));
  });
}

function judgeGrant(allowance: Allowance, action: GrantedAction, resource: string): string | undefined {
  if (!action.isPattern && !actionCanReach(action.name, resource)) return undefined;
  const rules = allowance.filter((rule) => rule.actions.some((p) => actionCoveredBy(action, p)));
  if (rules.length === 0) {
    return action.isPattern
      ? `${action.name} grants actions outside the catalogued services, none of them in the allowance`
      : `${action.name} is not in the allowance`;
  }
  if (rules.some((rule) => rule.resources.some((p) => resourceCoveredBy(resource, p)))) return undefined;
  const allowed = [...new Set(rules.flatMap((rule) => rule.resources))].join(', ');
  return `${action.name} on ${resource} is broader than the allowed resources (${allowed})`;
}

/** Code-unit order, not locale order, so reports are byte-identical on every machine (replay). */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function compareExcess(a: ExcessGrant, b: ExcessGrant): number {
  return (
    compareText(a.action, b.action) ||
    compareText(a.resource, b.resource) ||
    compareText(a.source, b.source) ||
    compareText(a.sid ?? '', b.sid ?? '')
  );
}

/**
 * Least-privilege judgement: every (action, resource) an Allow grants that no allowance rule
 * covers, after removing grants an unconditional Deny provably cancels. Conditions do not narrow
 * a grant; NotAction in an Allow is always excess; NotResource is judged as `*`.
 */
export function findExcessGrants(statements: readonly PolicyStatement[], allowance: Allowance): ExcessGrant[] {
  const denies = statements.filter((s) => s.effect === 'Deny' && !s.hasCondition);
  const found = new Map<string, ExcessGrant>();
  const report = (stmt: PolicyStatement, action: string, resource: string, reason: string): void => {
    const key = JSON.stringify([action, resource, stmt.source, stmt.sid ?? '']);
    if (found.has(key)) return;
    const grant: ExcessGrant = { action, resource, source: stmt.source, reason };
    if (stmt.sid !== undefined) grant.sid = stmt.sid;
    found.set(key, grant);
  };

  for (const stmt of statements) {
    if (stmt.effect !== 'Allow') continue;
    const resources = stmt.resources ?? ['*'];
    const resourceNote = stmt.notResources
      ? ` (NotResource ${stmt.notResources.join(', ')} grants every other resource)`
      : '';
    if (stmt.notActions) {
      for (const resource of resources) {
        report(stmt, '*', resource, `NotAction ${stmt.notActions.join(', ')} in an Allow grants every other action${resourceNote}`);
      }
      continue;
    }
    for (const action of grantedActions(stmt.actions ?? [])) {
      for (const resource of resources) {
        const reason = judgeGrant(allowance, action, resource);
        if (reason !== undefined && !cancelledByDeny(denies, action, resource)) {
          report(stmt, action.name, resource, reason + resourceNote);
        }
      }
    }
  }
  return [...found.values()].sort(compareExcess);
}

/** Required concrete permissions the statements do not allow (conditional allows count as allowed; see `evaluate`). */
export function findMissingGrants(
  statements: readonly PolicyStatement[],
  required: readonly RequiredGrant[],
): MissingGrant[] {
  const missing: MissingGrant[] = [];
  for (const { action, resource } of required) {
    const { decision } = evaluate(statements, action, resource);
    if (decision !== 'allow') missing.push({ action, resource, decision });
  }
  return missing;
}
