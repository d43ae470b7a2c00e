import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Agent, AgentActionGroup, AgentAlias } from '@aws-sdk/client-bedrock-agent';
import { defineGrader, error, fail, pass, type CheckContext } from '../../src';
import { actionGroupExchanges, excerpt, failureReasons, invokeWithTrace, mentionsWord, summariseTries, type ActionGroupExchange } from '../lib/agent-trace';
import { orNotFound } from '../lib/aws-calls';
import {
  actionGroupSummaries,
  agentAliases,
  aliasProblem,
  aliasSummary,
  aliasVersion,
  apiSchemaText,
  findActionGroup,
  findAgentsByName,
  findAliasByName,
  functionsTaking,
  getAgent,
  isPublishedVersion,
  openApiOperations,
  settled,
} from '../lib/bedrock-agent';
import { getFunctionConfiguration, invokeGrants, parseFunctionArn } from '../lib/lambda';

const AGENT_NAME = 'order-support';
const ACTION_GROUP = 'OrderTools';
const ALIAS_NAME = 'live';
const ORDER_PATH = '/orders/{orderId}';
const MAX_TRIES = 3;
const REQUIRED_PASSES = 1;
/** Statuses the probe order may have; the run's nonce picks one, so an answer cannot be guessed in advance. */
const PROBE_STATUSES = ['SHIPPED', 'DELIVERED', 'DISPATCHED', 'REFUNDED', 'RETURNED', 'PACKED'];

/**
 * The sandbox names a seeded table `skillproof-<attempt>-<logical id>` (the convention of the sandbox
 * stack's seed construct); the task seeds its orders under the logical id "orders".
 */
export function seededOrdersTable(attemptId: string): string {
  return `skillproof-${attemptId}-orders`;
}

/**
 * The order this run asks about: its id embeds the run's nonce, its status is picked by the nonce's
 * last 8 hex digits (the run's random part; the first 8 are the attempt's, shared by its runs).
 */
export function probeOrder(nonce: string): { orderId: string; status: string } {
  const pick = parseInt(nonce.slice(-8), 16) % PROBE_STATUSES.length;
  return { orderId: `SP-${nonce}`, status: PROBE_STATUSES[Number.isNaN(pick) ? 0 : pick]! };
}

/**
 * Deletes the run's probe order from SkillProof's seeded table, so progress checks leave no data behind.
 * Its failure propagates: SkillProof's own call failing makes the check ERROR (an operator should know).
 */
async function removeProbeOrder(ctx: CheckContext, table: string, orderId: string): Promise<string> {
  await ctx.client(DynamoDBClient).send(new DeleteItemCommand({ TableName: table, Key: { orderId: { S: orderId } } }));
  return `deleted ${orderId} from ${table}`;
}

async function theAgent(ctx: CheckContext): Promise<Agent> {
  return ctx.memo('order-agent', async () => {
    const found = await findAgentsByName(ctx, AGENT_NAME);
    const agent = found.length === 1 && found[0]!.agentId ? await getAgent(ctx, found[0]!.agentId) : undefined;
    if (!agent?.agentId || !agent.agentArn) throw new Error(`expected exactly one agent named ${AGENT_NAME}; the agent-exists check guards this`);
    return agent;
  });
}

async function theAlias(ctx: CheckContext): Promise<AgentAlias | undefined> {
  const agent = await theAgent(ctx);
  return findAliasByName(ctx, agent.agentId!, ALIAS_NAME);
}

/** The version whose action groups are graded: what `live` serves when it serves a published version, else the draft. */
async function gradedVersion(ctx: CheckContext): Promise<string> {
  const alias = await theAlias(ctx);
  const version = alias ? aliasVersion(alias) : undefined;
  return isPublishedVersion(version) ? version : 'DRAFT';
}

async function theActionGroup(ctx: CheckContext): Promise<AgentActionGroup & { lambdaArn: string }> {
  const agent = await theAgent(ctx);
  const group = await findActionGroup(ctx, agent.agentId!, await gradedVersion(ctx), ACTION_GROUP);
  const lambdaArn = group?.actionGroupExecutor?.lambda;
  if (!group || !lambdaArn) throw new Error(`the ${ACTION_GROUP} action group has no Lambda executor; the order-tools-action-group check guards this`);
  return { ...group, lambdaArn };
}

interface TryRecord {
  try: number;
  sessionId: string;
  calledOrderTools: boolean;
  /** Each OrderTools call: its operation and parameters, and what the function returned (excerpt). */
  toolCalls: Array<{ call: Record<string, string>; output?: string }>;
  /** An OrderTools call carried the probe's order id. */
  askedForProbeOrder: boolean;
  /** What the function returned for that call held the status the grader seeded. */
  toolReturnedStatus: boolean;
  answer: string;
  failures?: string[];
  error?: string;
  /** How the try went, in words ("looked SP-… up with OrderTools, which returned its status"). */
  outcome: string;
  passed: boolean;
}

/** True when one of the call's parameters (path, query, function or body) is the order id. */
const carriesOrderId = (call: ActionGroupExchange, orderId: string) => Object.values(call.parameters).some((v) => v.trim() === orderId);

async function askOnce(ctx: CheckContext, agentId: string, agentAliasId: string, order: { orderId: string; status: string }, n: number): Promise<TryRecord> {
  const sessionId = `skillproof-${ctx.nonce}-${n}`;
  const invocation = await invokeWithTrace(ctx, { agentId, agentAliasId, sessionId, inputText: `What is the current status of order ${order.orderId}?` });
  const none = { calledOrderTools: false, toolCalls: [], askedForProbeOrder: false, toolReturnedStatus: false, answer: '' };
  if (!invocation.ok) {
    const failures = invocation.response ? failureReasons(invocation.response) : [];
    return { try: n, sessionId, ...none, ...(failures.length ? { failures } : {}), error: invocation.fault, outcome: `the agent failed: ${invocation.fault}`, passed: false };
  }
  const { response } = invocation;
  const calls = actionGroupExchanges(response).filter((c) => c.actionGroupName === ACTION_GROUP);
  const forProbe = calls.filter((c) => carriesOrderId(c, order.orderId));
  // The status is judged in what the candidate's function returned (its data), never in the model's wording.
  const returned = forProbe.some((c) => c.output !== undefined && mentionsWord(c.output, order.status));
  const answered = response.text.trim().length > 0;
  const failures = failureReasons(response);
  const outcome =
    calls.length === 0
      ? `did not call ${ACTION_GROUP}`
      : forProbe.length === 0
        ? `called ${ACTION_GROUP} without the order id ${order.orderId}`
        : !returned
          ? `${ACTION_GROUP} did not return the order's status`
          : answered
            ? `${ACTION_GROUP} returned the order's status`
            : `${ACTION_GROUP} returned the status, but the agent gave no answer`;
  return {
    try: n,
    sessionId,
    calledOrderTools: calls.length > 0,
    toolCalls: calls.map((c) => ({
      call: { ...(c.apiPath ? { apiPath: c.apiPath, verb: c.verb ?? '' } : {}), ...(c.function ? { function: c.function } : {}), ...c.parameters },
      ...(c.output !== undefined ? { output: excerpt(c.output, 200) } : {}),
    })),
    askedForProbeOrder: forProbe.length > 0,
    toolReturnedStatus: returned,
    answer: excerpt(response.text),
    ...(failures.length ? { failures } : {}),
    outcome,
    passed: returned && answered,
  };
}

export default defineGrader({
  task: 'agentic-order-agent',
  probes: ['bedrock:InvokeAgent', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  checks: [
    {
      // Passes when exactly one Bedrock agent is named order-support.
      id: 'agent-exists',
      title: 'A Bedrock agent named order-support exists',
      points: 10,
      critical: true,
      hint: 'Create one Bedrock agent and give it exactly the name from the instructions.',
      async run(ctx) {
        const found = await findAgentsByName(ctx, AGENT_NAME);
        if (found.length === 0) return fail(`no Bedrock agent named ${AGENT_NAME} in ${ctx.region}`, { expected: `one agent named ${AGENT_NAME}`, actual: 'none' });
        if (found.length > 1) return fail(`${found.length} agents are named ${AGENT_NAME}; keep exactly one`, { expected: 1, actual: found.map((a) => a.agentId) });
        const agent = await getAgent(ctx, found[0]!.agentId ?? '');
        if (!agent?.agentArn) return error(`agent ${found[0]!.agentId} disappeared while grading; grade again`);
        return pass(`found agent ${agent.agentId}`, { resource: agent.agentArn });
      },
    },
    {
      // Passes when the agent's status is PREPARED (transitional states are waited out, up to 30 s).
      id: 'agent-prepared',
      title: 'The agent is prepared',
      points: 10,
      critical: true,
      dependsOn: ['agent-exists'],
      timeoutMs: 60_000,
      hint: 'An agent only takes effect once prepared: prepare it after every change (the console\'s Prepare button, PrepareAgent, or autoPrepare in CloudFormation).',
      async run(ctx) {
        const { agentId, agentArn } = await theAgent(ctx);
        const first = await getAgent(ctx, agentId!);
        if (!first) return error(`agent ${agentId} disappeared while grading; grade again`, { resource: agentArn });
        const agent = await settled(ctx, 'the agent', first, (a) => a.agentStatus, () => getAgent(ctx, agentId!));
        if (!agent) return error(`agent ${agentId} stayed in a transitional state (creating, preparing, updating or versioning) for 30 s; grade again`, { resource: agentArn });
        const detail = { expected: 'PREPARED', actual: { status: agent.agentStatus, failureReasons: agent.failureReasons ?? [] }, resource: agentArn! };
        if (agent.agentStatus !== 'PREPARED') return fail(`the agent's status is ${agent.agentStatus}`, detail);
        return pass('the agent is prepared', detail);
      },
    },
    {
      // Passes when alias "live" exists, routes to a numbered version (not DRAFT), is PREPARED and accepts invocations.
      id: 'alias-live-published',
      title: 'Alias live serves a published version',
      points: 15,
      critical: true,
      dependsOn: ['agent-exists'],
      timeoutMs: 60_000,
      hint: 'Create an alias with the name from the instructions; creating an alias without naming a version publishes a new numbered version from the draft.',
      async run(ctx) {
        const agent = await theAgent(ctx);
        const first = await theAlias(ctx);
        if (!first) {
          const names = (await agentAliases(ctx, agent.agentId!)).map((a) => a.agentAliasName);
          return fail(`the agent has no alias named ${ALIAS_NAME}`, { expected: `alias ${ALIAS_NAME}`, actual: names, resource: agent.agentArn! });
        }
        const alias = await settled(ctx, 'the alias', first, (a) => a.agentAliasStatus, () => findAliasByName(ctx, agent.agentId!, ALIAS_NAME));
        if (!alias) return error(`alias ${ALIAS_NAME} stayed in a transitional state for 30 s; grade again`, { resource: first.agentAliasArn });
        const detail = { expected: { version: 'a numbered version', status: 'PREPARED', invocations: 'ACCEPT_INVOCATIONS' }, actual: aliasSummary(alias), resource: alias.agentAliasArn! };
        const problem = aliasProblem(alias);
        if (problem) return fail(`alias ${ALIAS_NAME} ${problem}`, detail);
        return pass(`alias ${ALIAS_NAME} serves version ${aliasVersion(alias)}`, detail);
      },
    },
    {
      // Passes when the graded version (live's, else DRAFT) has an ENABLED action group OrderTools executed by an existing Lambda function.
      id: 'order-tools-action-group',
      title: 'Action group OrderTools is enabled and runs a Lambda function',
      points: 15,
      critical: true,
      dependsOn: ['agent-exists'],
      hint: 'Add an action group with the name from the instructions, enable it, and choose a Lambda function to run its actions; then prepare the agent and publish a new version.',
      async run(ctx) {
        const agent = await theAgent(ctx);
        const version = await gradedVersion(ctx);
        const group = await findActionGroup(ctx, agent.agentId!, version, ACTION_GROUP);
        if (!group) {
          const names = (await actionGroupSummaries(ctx, agent.agentId!, version)).map((g) => g.actionGroupName);
          return fail(`version ${version} of the agent has no action group named ${ACTION_GROUP}`, { expected: ACTION_GROUP, actual: names, resource: agent.agentArn! });
        }
        const executor = group.actionGroupExecutor;
        const detail = {
          expected: { state: 'ENABLED', executor: 'a Lambda function' },
          actual: { version, state: group.actionGroupState, executor: executor?.lambda ?? (executor?.customControl ? `customControl ${executor.customControl}` : 'none') },
          resource: agent.agentArn!,
        };
        if (group.actionGroupState !== 'ENABLED') return fail(`${ACTION_GROUP} is ${group.actionGroupState} in version ${version}`, detail);
        if (!executor?.lambda) return fail(`${ACTION_GROUP} does not run a Lambda function (${detail.actual.executor})`, detail);
        const fn = await getFunctionConfiguration(ctx, executor.lambda);
        if (!fn) return fail(`${ACTION_GROUP} runs ${executor.lambda}, which does not exist`, { ...detail, resource: executor.lambda });
        return pass(`${ACTION_GROUP} is enabled in version ${version} and runs ${fn.FunctionName}`, { ...detail, resource: executor.lambda });
      },
    },
    {
      // Passes when OrderTools declares GET /orders/{orderId} (OpenAPI, inline or in S3) or a function taking a string orderId.
      id: 'order-lookup-operation',
      title: 'OrderTools can look an order up by orderId',
      points: 10,
      critical: true,
      dependsOn: ['order-tools-action-group'],
      hint: 'Describe the lookup so the agent knows how to call it: an OpenAPI operation on the path the instructions give, or a function with a string parameter of the given name.',
      async run(ctx) {
        const group = await theActionGroup(ctx);
        if (group.functionSchema) {
          const matches = functionsTaking(group.functionSchema, 'orderId');
          const functions = (group.functionSchema.functions ?? []).map((f) => `${f.name}(${Object.keys(f.parameters ?? {}).join(', ')})`);
          const detail = { expected: 'a function with a string parameter orderId', actual: functions, resource: group.lambdaArn };
          const usable = matches.find((m) => m.type === 'string');
          if (usable) return pass(`function ${usable.functionName} takes orderId (string)`, detail);
          if (matches.length > 0) return fail(`orderId is declared as ${matches.map((m) => m.type).join(', ')}, not string: order ids such as SP-1001 are text`, detail);
          return fail(`no function of ${ACTION_GROUP} takes a parameter named orderId`, detail);
        }
        const schema = await apiSchemaText(ctx, group);
        if (!schema) {
          const where = group.apiSchema?.s3 ? `s3://${group.apiSchema.s3.s3BucketName}/${group.apiSchema.s3.s3ObjectKey}` : 'none';
          return fail(`${ACTION_GROUP} has no readable schema (${where})`, { expected: `GET ${ORDER_PATH}`, actual: where, resource: group.lambdaArn });
        }
        const operations = openApiOperations(schema.text);
        if (!operations) return error(`could not read the OpenAPI schema (${schema.source}) as JSON or block-style YAML; an assessor should look at it`, { actual: excerpt(schema.text, 300) });
        const listed = [...operations].flatMap(([path, methods]) => methods.map((m) => `${m.toUpperCase()} ${path}`));
        const detail = { expected: `GET ${ORDER_PATH}`, actual: { source: schema.source, operations: listed }, resource: group.lambdaArn };
        if (!operations.get(ORDER_PATH)?.includes('get')) return fail(`the OpenAPI schema has no GET ${ORDER_PATH} (it declares ${listed.join(', ') || 'no operations'})`, detail);
        return pass(`the OpenAPI schema declares GET ${ORDER_PATH}`, detail);
      },
    },
    {
      // Passes when the function's resource policy lets only bedrock.amazonaws.com invoke it, and only with aws:SourceArn = this agent's ARN.
      id: 'lambda-invoke-scoped',
      title: 'Only this agent may invoke the function',
      points: 15,
      critical: true,
      visibility: 'on-submit',
      dependsOn: ['order-tools-action-group'],
      hint: 'A function\'s resource-based policy should let bedrock.amazonaws.com invoke it only when the call comes from your agent (a source ARN condition naming the agent).',
      async run(ctx) {
        const agent = await theAgent(ctx);
        const group = await theActionGroup(ctx);
        const grants = await invokeGrants(ctx, group.lambdaArn);
        const resource = parseFunctionArn(group.lambdaArn).unqualifiedArn;
        const detail = { expected: `bedrock.amazonaws.com with aws:SourceArn ${agent.agentArn}`, actual: grants ?? [], resource };
        if (!grants || grants.length === 0) return fail('the function has no resource-based policy letting Bedrock invoke it', detail);
        const scoped = (g: (typeof grants)[number]) => g.principal === 'bedrock.amazonaws.com' && g.sourceArns.length > 0 && g.sourceArns.every((a) => a === agent.agentArn);
        const tooBroad = grants.filter((g) => !scoped(g));
        if (tooBroad.length > 0) {
          const what = tooBroad.map((g) => `${g.sid} lets ${g.principal} invoke ${g.sourceArns.length ? `from ${g.sourceArns.join(', ')}` : 'from any source'}`);
          return fail(`the function's policy is broader than this agent: ${what.join('; ')}`, detail);
        }
        return pass('only this agent can invoke the function', detail);
      },
    },
    {
      // Passes when, in at least 1 of 3 InvokeAgent tries on alias live, the trace shows an OrderTools call carrying the probe order's id whose output holds the status the grader seeded, and the agent answers.
      id: 'agent-answers-from-tool',
      title: 'The agent looks the order up with OrderTools and answers from it',
      points: 25,
      critical: true,
      dependsOn: ['agent-prepared', 'alias-live-published', 'order-tools-action-group'],
      timeoutMs: 300_000,
      hint: 'Ask your agent, through the live alias with the trace on, for the status of one of the sandbox\'s orders: the trace should show OrderTools called with that order\'s id, and the function\'s output should hold the order\'s status from the seeded table.',
      async run(ctx) {
        const agent = await theAgent(ctx);
        const alias = await theAlias(ctx);
        if (!alias?.agentAliasId) return error(`alias ${ALIAS_NAME} disappeared while grading; grade again`);
        const order = probeOrder(ctx.nonce);
        const table = seededOrdersTable(ctx.attemptId);
        const dynamodb = ctx.client(DynamoDBClient);
        const written = await orNotFound(
          dynamodb.send(
            new PutItemCommand({
              TableName: table,
              Item: { orderId: { S: order.orderId }, status: { S: order.status }, product: { S: 'SkillProof probe parcel' }, quantity: { N: '1' } },
            }),
          ),
        );
        if (!written) return error(`the sandbox's seeded orders table ${table} does not exist, so no probe order could be placed; the sandbox is incomplete (not the candidate's doing)`);

        const tries: TryRecord[] = [];
        let decided: TryRecord | undefined;
        let cleanup: string;
        try {
          decided = await ctx.waitFor(
            `an OrderTools answer about ${order.orderId}`,
            async () => {
              const t = await askOnce(ctx, agent.agentId!, alias.agentAliasId!, order, tries.length + 1);
              tries.push(t);
              return t.passed || tries.length >= MAX_TRIES ? t : undefined;
            },
            { timeoutMs: 240_000, intervalMs: 1_000 },
          );
        } finally {
          cleanup = await removeProbeOrder(ctx, table, order.orderId);
        }
        const passes = tries.filter((t) => t.passed).length;
        const threshold = `threshold: ${REQUIRED_PASSES} of up to ${MAX_TRIES} tries`;
        const detail = {
          expected: { order: order.orderId, calls: ACTION_GROUP, returns: `status ${order.status}`, threshold: `${REQUIRED_PASSES} of ${MAX_TRIES}` },
          actual: { tries, cleanup },
          resource: alias.agentAliasArn!,
        };
        if (passes >= REQUIRED_PASSES) return pass(`on try ${tries.findIndex((t) => t.passed) + 1} the agent looked ${order.orderId} up with ${ACTION_GROUP}, which returned its status, and answered (${threshold})`, detail);
        if (!decided) return error(`ran out of time after ${tries.length} of ${MAX_TRIES} tries without a passing answer (${threshold}); grade again`, detail);
        return fail(`no passing answer in ${tries.length} tries (${threshold}): ${summariseTries(tries)}`, detail);
      },
    },
  ],
});
