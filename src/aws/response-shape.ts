import { NormalizedSchema } from '@smithy/core/schema';

/**
 * Checks a response against the operation's Smithy model, as the SDK ships it: members the API
 * reference marks required are present, and every member has the modelled type. A grader must
 * never judge a candidate on a response AWS could not have sent; such a response is ERROR.
 * Returns the problems found (empty when the response fits), at most `limit`.
 */
export function responseShapeProblems(operationSchema: unknown, output: unknown, limit = 5, call?: string): string[] {
  const problems: string[] = [];
  for (const member of (call && ALWAYS_RETURNED[call]) || []) {
    if ((output as Record<string, unknown> | null)?.[member] === undefined) problems.push(`${member} is missing (AWS always returns it)`);
  }
  const outputSchema = outputSchemaOf(operationSchema);
  if (!outputSchema) return problems;
  try {
    visit(NormalizedSchema.of(outputSchema as never), output, '', problems, limit, 0);
  } catch {
    // A schema this code cannot walk is no evidence against the response.
    return [];
  }
  return problems;
}

/**
 * Members the Smithy models leave optional but AWS always returns when the call succeeds (the
 * resource exists, or the call would have failed with a not-found error). Without this, an empty
 * answer would read as "the candidate's resource is absent". List operations are not here: for
 * them an empty answer does mean "none".
 */
const ALWAYS_RETURNED: Record<string, string[]> = {
  'APIGateway.GetIntegration': ['type'],
  'ApiGatewayV2.GetIntegration': ['IntegrationType'],
  'DynamoDB.DescribeTable': ['Table'],
  'EventBridge.TestEventPattern': ['Result'],
  'Lambda.GetAlias': ['AliasArn', 'FunctionVersion'],
  'Lambda.GetFunctionConfiguration': ['FunctionArn'],
  'Lambda.GetPolicy': ['Policy'],
  'SQS.GetQueueUrl': ['QueueUrl'],
  'STS.GetCallerIdentity': ['Account'],
};

/** An operation schema is `[9, namespace, name, traits, input, output]`; input and output may be thunks. */
function outputSchemaOf(op: unknown): unknown {
  if (!Array.isArray(op) || op[0] !== 9) return undefined;
  const out = op[5];
  return typeof out === 'function' ? (out as () => unknown)() : out;
}

function visit(ns: NormalizedSchema, value: unknown, path: string, problems: string[], limit: number, depth: number): void {
  if (problems.length >= limit || depth > 40 || value === undefined || value === null) return;
  const at = path || 'the response';
  if (ns.isStreaming() || ns.isDocumentSchema() || ns.isUnitSchema()) return;
  if (ns.isStructSchema() || ns.isUnionSchema()) {
    if (typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${at} should be an object`);
    const struct = ns.getSchema() as unknown as unknown[];
    const required = ns.isStructSchema() && typeof struct[6] === 'number' ? struct[6] : 0;
    let i = 0;
    for (const [name, member] of ns.structIterator()) {
      const v = (value as Record<string, unknown>)[name];
      if (i++ < required && v === undefined && !member.isStreaming()) problems.push(`${path ? `${path}.` : ''}${name} is required but missing`);
      visit(member, v, path ? `${path}.${name}` : name, problems, limit, depth + 1);
    }
    return;
  }
  if (ns.isListSchema()) {
    if (!Array.isArray(value)) return void problems.push(`${at} should be a list`);
    const item = ns.getValueSchema();
    value.forEach((v, i) => visit(item, v, `${path}[${i}]`, problems, limit, depth + 1));
    return;
  }
  if (ns.isMapSchema()) {
    if (typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${at} should be a map`);
    const item = ns.getValueSchema();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) visit(item, v, `${path}.${k}`, problems, limit, depth + 1);
    return;
  }
  const kind = ns.isStringSchema()
    ? typeof value === 'string'
    : ns.isBooleanSchema()
      ? typeof value === 'boolean'
      : ns.isNumericSchema()
        ? typeof value === 'number' || (typeof value === 'string' && /^(NaN|-?Infinity)$/.test(value))
        : ns.isTimestampSchema()
          ? value instanceof Date
          : ns.isBlobSchema()
            ? value instanceof Uint8Array || typeof value === 'string'
            : true;
  if (!kind) problems.push(`${at} has the wrong type (${Array.isArray(value) ? 'list' : typeof value})`);
}
