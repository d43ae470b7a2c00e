import { EventBridgeClient, PutEventsCommand, type Target } from '@aws-sdk/client-eventbridge';
import type { DescribeStateMachineCommandOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { defineGrader, error, fail, isNotFound, pass, type CheckContext } from '../../src';
import { arnResourceName } from '../lib/aws-calls';
import { acceptsDeadLettersFrom, deadLetterQueueUnusable, describeEventBus, eventJson, listRules, patternMatches, rulesTargeting, type RuleRoute, type SampleEvent } from '../lib/eventbridge';
import { findExcessGrants, findMissingGrants, type Allowance } from '../lib/iam-policy';
import { roleStatements } from '../lib/iam-role';
import { summariseExcess } from '../lib/least-privilege';
import { describeQueue } from '../lib/sqs';
import { catchHandlers, caughtFailures, executionHistory, failureOf, findStateMachine, mainPathTasks, parseDefinition, taskFailures, watchExecutions, type AslScope, type CaughtFailure, type SeenExecution } from '../lib/step-functions';

const BUS = 'orders-bus';
const STATE_MACHINE = 'order-workflow';
const SOURCE = 'shop.orders';
const DETAIL_TYPE = 'OrderPlaced';
/** How long a valid order's execution may take to succeed, from PutEvents (the README says so: a Wait state or a callback fits). */
const VALID_DEADLINE_MS = 5 * 60_000;
/** How long an invalid order may take, from its execution's start, to reach its Catch handler, retries included (the README says so). */
const REJECT_WITHIN_MS = 60_000;

type LabelledSample = SampleEvent & { label: string };

/** Events the rule must match: any OrderPlaced event from shop.orders, valid or not. */
const MATCHING: LabelledSample[] = [
  { label: 'a valid OrderPlaced event from shop.orders', source: SOURCE, detailType: DETAIL_TYPE, detail: { orderId: 'A-1001', product: 'coffee beans', quantity: 2 } },
  { label: 'an OrderPlaced event from shop.orders with quantity -1', source: SOURCE, detailType: DETAIL_TYPE, detail: { orderId: 'A-1002', product: 'coffee beans', quantity: -1 } },
  { label: 'an OrderPlaced event from shop.orders without a quantity', source: SOURCE, detailType: DETAIL_TYPE, detail: { orderId: 'A-1003', product: 'coffee beans' } },
  { label: 'an OrderPlaced event from shop.orders with an empty detail', source: SOURCE, detailType: DETAIL_TYPE, detail: {} },
];
/**
 * Events the rule must not match: another source or detail-type, including near misses that a
 * `prefix`, `anything-but` or missing field in the pattern would let through.
 */
const NOT_MATCHING: LabelledSample[] = [
  { label: 'an OrderPlaced event from source shop.returns', source: 'shop.returns', detailType: DETAIL_TYPE, detail: { orderId: 'A-1001', product: 'coffee beans', quantity: 2 } },
  { label: 'an OrderPlaced event from source shop.orders.test', source: `${SOURCE}.test`, detailType: DETAIL_TYPE, detail: { orderId: 'A-1001', product: 'coffee beans', quantity: 2 } },
  { label: 'an OrderPlaced event from source shop', source: 'shop', detailType: DETAIL_TYPE, detail: { orderId: 'A-1001', product: 'coffee beans', quantity: 2 } },
  { label: 'an OrderCancelled event from shop.orders', source: SOURCE, detailType: 'OrderCancelled', detail: { orderId: 'A-1001' } },
  { label: 'an OrderShipped event from shop.orders', source: SOURCE, detailType: 'OrderShipped', detail: { orderId: 'A-1001' } },
  { label: 'an OrderPlacedV2 event from shop.orders', source: SOURCE, detailType: `${DETAIL_TYPE}V2`, detail: { orderId: 'A-1001', product: 'coffee beans', quantity: 2 } },
  { label: 'an orderplaced (lower case) event from shop.orders', source: SOURCE, detailType: DETAIL_TYPE.toLowerCase(), detail: { orderId: 'A-1001', product: 'coffee beans', quantity: 2 } },
];

/** The orders the probe puts on the bus: one valid, and invalid ones of every kind the README names. */
const INVALID_ORDERS: ReadonlyArray<{ kind: string; what: string; detail: (marker: string) => Record<string, unknown> }> = [
  { kind: 'negative', what: 'quantity -1', detail: (m) => ({ orderId: m, product: 'skillproof-probe', quantity: -1 }) },
  { kind: 'zero', what: 'quantity 0', detail: (m) => ({ orderId: m, product: 'skillproof-probe', quantity: 0 }) },
  { kind: 'fraction', what: 'quantity 1.5', detail: (m) => ({ orderId: m, product: 'skillproof-probe', quantity: 1.5 }) },
  { kind: 'text-quantity', what: 'quantity "2" (a string)', detail: (m) => ({ orderId: m, product: 'skillproof-probe', quantity: '2' }) },
  { kind: 'no-quantity', what: 'no quantity', detail: (m) => ({ orderId: m, product: 'skillproof-probe' }) },
  { kind: 'empty-order-id', what: 'an empty orderId', detail: (m) => ({ orderId: '', product: m, quantity: 1 }) },
  { kind: 'no-order-id', what: 'no orderId', detail: (m) => ({ product: m, quantity: 1 }) },
];

type StateMachine = DescribeStateMachineCommandOutput & { stateMachineArn: string };

async function theStateMachine(ctx: CheckContext): Promise<StateMachine> {
  const sm = await findStateMachine(ctx, STATE_MACHINE);
  if (!sm?.stateMachineArn) throw new Error(`no state machine named ${STATE_MACHINE}; the state-machine-exists check guards this`);
  return sm as StateMachine;
}

/** The parsed definition; undefined only for a definition DescribeStateMachine should never return. */
async function theDefinition(ctx: CheckContext): Promise<AslScope | undefined> {
  const parsed = parseDefinition((await theStateMachine(ctx)).definition);
  return parsed.ok ? parsed.definition : undefined;
}

/** Enabled rules on orders-bus with their targets pointing at the state machine. */
async function theRoutes(ctx: CheckContext): Promise<RuleRoute[]> {
  const routes = (await rulesTargeting(ctx, BUS, (await theStateMachine(ctx)).stateMachineArn)).filter((r) => r.enabled);
  if (routes.length === 0) throw new Error('no enabled rule targets the state machine; the rule-routes-order-placed check guards this');
  return routes;
}

const eachTarget = (routes: RuleRoute[]) => routes.flatMap((route) => route.targets.map((target) => ({ route, target })));
const targetLabel = (route: RuleRoute, target: Target) => `target ${target.Id ?? '?'} of rule ${route.rule.Name}`;
const routesResource = (routes: RuleRoute[]) => routes.map((r) => r.rule.Arn).join(', ');

/** Which of the rules match each sample, asking EventBridge's TestEventPattern (a read). */
async function matchesBySample(ctx: CheckContext, routes: RuleRoute[], samples: LabelledSample[], firstIndex: number): Promise<Array<{ label: string; matchedBy: string[] }>> {
  const out: Array<{ label: string; matchedBy: string[] }> = [];
  for (const [i, sample] of samples.entries()) {
    const event = eventJson(ctx, sample, firstIndex + i);
    const matchedBy: string[] = [];
    for (const { rule } of routes) if (rule.EventPattern && (await patternMatches(ctx, rule.EventPattern, event))) matchedBy.push(rule.Name);
    out.push({ label: sample.label, matchedBy });
  }
  return out;
}

/** What the behavioural probe saw for one order. */
interface Observed {
  orderId: string;
  what: string;
  execution?: SeenExecution;
  history: HistoryEvent[];
}
type ProbeRun = { accepted: false; reason: string } | { accepted: true; valid: Observed; invalid: Observed[]; handlers: Set<string>; stateMachineArn: string };

/**
 * Puts one valid and several invalid orders on the bus (one PutEvents call, the grader's only probe),
 * then follows the executions they start until all end or the deadline passes. Shared by the two
 * behavioural checks, so the probe runs once per grading run.
 */
function probeRun(ctx: CheckContext): Promise<ProbeRun> {
  return ctx.memo('order-probe', async (): Promise<ProbeRun> => {
    const sm = await theStateMachine(ctx);
    const valid = { orderId: `skillproof-${ctx.nonce}`, what: 'the valid order', detail: { orderId: `skillproof-${ctx.nonce}`, product: 'skillproof-probe', quantity: 1 } };
    const invalid = INVALID_ORDERS.map((o) => {
      const token = `skillproof-${ctx.nonce}-invalid-${o.kind}`;
      return { orderId: token, what: `the invalid order with ${o.what}`, detail: o.detail(token) };
    });
    const orders = [valid, ...invalid];
    const entry = (detail: Record<string, unknown>) => ({ EventBusName: BUS, Source: SOURCE, DetailType: DETAIL_TYPE, Detail: JSON.stringify(detail) });
    const put = await ctx.client(EventBridgeClient).send(new PutEventsCommand({ Entries: orders.map((o) => entry(o.detail)) }));
    if ((put.FailedEntryCount ?? 0) > 0) {
      const reasons = (put.Entries ?? []).filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage ?? ''}`);
      return { accepted: false, reason: `EventBridge did not accept the probe events (${reasons.join('; ')}); grade again` };
    }
    const seen = await watchExecutions(ctx, sm.stateMachineArn, orders.map((o) => o.orderId), { since: new Date(ctx.now().getTime() - 120_000), timeoutMs: VALID_DEADLINE_MS, intervalMs: 1_000 });
    const observe = async (o: { orderId: string; what: string }): Promise<Observed> => {
      const execution = seen.get(o.orderId);
      return { orderId: o.orderId, what: o.what, ...(execution ? { execution } : {}), history: execution ? await executionHistory(ctx, execution.executionArn) : [] };
    };
    const definition = await theDefinition(ctx);
    const observed: Observed[] = [];
    for (const o of orders) observed.push(await observe(o));
    const [validSeen, ...invalidSeen] = observed;
    return { accepted: true, valid: validSeen!, invalid: invalidSeen, handlers: definition ? catchHandlers(definition) : new Set(), stateMachineArn: sm.stateMachineArn };
  });
}

/** How an execution ended, in words, with the error of a failed one. */
function ending(execution: SeenExecution, history: HistoryEvent[]): string {
  if (execution.status === 'RUNNING') return `was still RUNNING ${VALID_DEADLINE_MS / 1000} s after the event was put`;
  const last = [...history].sort((a, b) => (b.id ?? 0) - (a.id ?? 0)).find((e) => e.type?.startsWith('Execution') && e.type !== 'ExecutionStarted');
  const { error: err, cause } = last ? failureOf(last) : {};
  return `ended ${execution.status}${err ? ` with ${err}` : ''}${cause ? ` (${cause.slice(0, 160)})` : ''}`;
}

/** Milliseconds from the execution's start to the first time one of the handlers was entered, or undefined. */
function handlerReachedAfter(history: HistoryEvent[], handler: string): number | undefined {
  const started = history.find((e) => e.type === 'ExecutionStarted')?.timestamp;
  const entered = [...history].sort((a, b) => (a.id ?? 0) - (b.id ?? 0)).find((e) => e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name === handler)?.timestamp;
  return started && entered ? entered.getTime() - started.getTime() : undefined;
}

/** The verdict on one invalid order's execution: caught within the time, or why not. */
function judgeInvalid(o: Observed, handlers: Set<string>): { ok: boolean; why: string; caught: CaughtFailure[] } {
  if (!o.execution) return { ok: false, why: `${o.what} (${o.orderId}) started no execution within ${VALID_DEADLINE_MS / 1000} s of being put on ${BUS}`, caught: [] };
  const caught = caughtFailures(o.history, handlers);
  const first = caught[0];
  if (!first) {
    const failures = taskFailures(o.history);
    if (failures.length === 0) return { ok: false, why: `no task failed on ${o.what}: its execution ${ending(o.execution, o.history)}`, caught };
    const errors = [...new Set(failures.map((f) => f.error ?? f.type))].join(', ');
    return { ok: false, why: `on ${o.what} a task failed with ${errors}, but no Catch handled it: the execution ${ending(o.execution, o.history)}`, caught };
  }
  const after = handlerReachedAfter(o.history, first.handler);
  if (after !== undefined && after > REJECT_WITHIN_MS) {
    return { ok: false, why: `${o.what} reached its handler ${first.handler} ${Math.round(after / 1000)} s after its execution started, more than the ${REJECT_WITHIN_MS / 1000} s allowed: retries take too long`, caught };
  }
  return { ok: true, why: `${o.what}: ${first.error ?? 'the error'} was caught and handed to ${first.handler}`, caught };
}

export default defineGrader({
  task: 'serverless-order-workflow',
  probes: ['events:PutEvents'],
  checks: [
    {
      // Passes when a custom event bus named orders-bus exists.
      id: 'event-bus-exists',
      title: 'A custom event bus named orders-bus exists',
      points: 5,
      critical: true,
      hint: 'Order events must not travel on the default bus: create a custom event bus with exactly the name from the instructions.',
      async run(ctx) {
        const bus = await describeEventBus(ctx, BUS);
        if (!bus) return fail(`no event bus named ${BUS} in ${ctx.region}`, { expected: `custom event bus ${BUS}`, actual: 'none' });
        return pass(`found event bus ${BUS}`, { ...(bus.Arn ? { resource: bus.Arn } : {}) });
      },
    },
    {
      // Passes when a state machine named order-workflow exists.
      id: 'state-machine-exists',
      title: 'A state machine named order-workflow exists',
      points: 5,
      critical: true,
      hint: 'Create a Step Functions state machine with exactly the name from the instructions.',
      async run(ctx) {
        const sm = await findStateMachine(ctx, STATE_MACHINE);
        if (!sm?.stateMachineArn) return fail(`no state machine named ${STATE_MACHINE} in ${ctx.region}`, { expected: `state machine ${STATE_MACHINE}`, actual: 'none' });
        return pass(`found state machine ${STATE_MACHINE}`, { resource: sm.stateMachineArn });
      },
    },
    {
      // Passes when the state machine's type is STANDARD.
      id: 'state-machine-standard',
      title: 'The workflow is a Standard state machine',
      points: 5,
      critical: true,
      dependsOn: ['state-machine-exists'],
      hint: 'Order processing needs exactly-once execution and an inspectable execution history; check which state machine type gives you both. The type cannot be changed after creation.',
      async run(ctx) {
        const sm = await theStateMachine(ctx);
        const detail = { expected: 'STANDARD', actual: sm.type, resource: sm.stateMachineArn };
        return sm.type === 'STANDARD' ? pass('the state machine is STANDARD', detail) : fail(`the state machine is ${sm.type ?? 'of unknown type'}`, detail);
      },
    },
    {
      // Passes when every Task state on the workflow's normal path is covered by a Retry that retries and by a Catch.
      id: 'workflow-retry-catch',
      title: 'Every task of the workflow has a Retry and a Catch',
      points: 10,
      critical: true,
      dependsOn: ['state-machine-exists'],
      hint: 'Do the order\'s work in Task states, and give each of them error handling: retry transient errors, and route errors that remain to a handler state.',
      async run(ctx) {
        const sm = await theStateMachine(ctx);
        const parsed = parseDefinition(sm.definition);
        if (!parsed.ok) return error(`could not read the state machine's definition: ${parsed.reason}`, { resource: sm.stateMachineArn });
        const tasks = mainPathTasks(parsed.definition);
        const detail = { expected: 'every Task state on the normal path has a Retry (MaxAttempts > 0) and a Catch', actual: tasks, resource: sm.stateMachineArn };
        if (tasks.length === 0) return fail('the workflow has no Task state on its normal path, so nothing can be retried or caught', detail);
        const missing = tasks.flatMap((t) => [...(t.retried ? [] : [`${t.path} has no Retry`]), ...(t.caught ? [] : [`${t.path} has no Catch`])]);
        if (missing.length > 0) return fail(missing.join('; '), detail);
        return pass(`${tasks.length} task state(s), each with Retry and Catch: ${tasks.map((t) => t.path).join(', ')}`, detail);
      },
    },
    {
      // Passes when the state machine logs at level ALL to a CloudWatch Logs log group.
      id: 'workflow-logging-all',
      title: 'The workflow logs every event to CloudWatch Logs',
      points: 6,
      critical: true,
      dependsOn: ['state-machine-exists'],
      hint: 'Turn on logging for the state machine with the level that records every execution event, and send it to a log group.',
      async run(ctx) {
        const sm = await theStateMachine(ctx);
        const level = sm.loggingConfiguration?.level ?? 'OFF';
        const groups = (sm.loggingConfiguration?.destinations ?? []).map((d) => d.cloudWatchLogsLogGroup?.logGroupArn).filter((a): a is string => Boolean(a));
        const detail = { expected: { level: 'ALL', destinations: 'a CloudWatch Logs log group' }, actual: { level, destinations: groups }, resource: sm.stateMachineArn };
        if (level !== 'ALL') return fail(`the logging level is ${level}`, detail);
        if (groups.length === 0) return fail('logging is ALL but has no log group destination', detail);
        return pass(`logging level ALL to ${groups.join(', ')}`, detail);
      },
    },
    {
      // Passes when X-Ray tracing is enabled on the state machine.
      id: 'workflow-tracing',
      title: 'The workflow has X-Ray tracing enabled',
      points: 6,
      critical: true,
      dependsOn: ['state-machine-exists'],
      hint: 'Enable X-Ray tracing in the state machine\'s configuration.',
      async run(ctx) {
        const sm = await theStateMachine(ctx);
        const enabled = sm.tracingConfiguration?.enabled === true;
        const detail = { expected: true, actual: enabled, resource: sm.stateMachineArn };
        return enabled ? pass('tracing is enabled', detail) : fail('tracing is not enabled', detail);
      },
    },
    {
      // Passes when an enabled rule on orders-bus targets the state machine and EventBridge matches OrderPlaced events from shop.orders (valid or not) against it.
      id: 'rule-routes-order-placed',
      title: 'A rule on orders-bus sends OrderPlaced events to the workflow',
      points: 10,
      critical: true,
      dependsOn: ['event-bus-exists', 'state-machine-exists'],
      hint: 'Create an enabled rule on the custom bus whose target is the state machine, with an event pattern that selects the events the instructions describe, whatever their detail.',
      async run(ctx) {
        const sm = await theStateMachine(ctx);
        const routes = await rulesTargeting(ctx, BUS, sm.stateMachineArn);
        const enabled = routes.filter((r) => r.enabled);
        if (enabled.length === 0) {
          const disabled = routes.map((r) => r.rule.Name);
          const onBus = (await listRules(ctx, BUS)).map((r) => r.Name);
          const message = disabled.length > 0 ? `rule(s) ${disabled.join(', ')} target ${STATE_MACHINE} but are disabled` : `no rule on ${BUS} targets the state machine ${STATE_MACHINE}`;
          return fail(message, { expected: `an enabled rule on ${BUS} with ${STATE_MACHINE} as a target`, actual: { rulesOnBus: onBus, disabledRulesTargetingWorkflow: disabled }, resource: sm.stateMachineArn });
        }
        const results = await matchesBySample(ctx, enabled, MATCHING, 1);
        const detail = { expected: 'every sample matched by a rule', actual: { patterns: Object.fromEntries(enabled.map((r) => [r.rule.Name, r.rule.EventPattern ?? null])), results }, resource: routesResource(enabled) };
        const missed = results.filter((r) => r.matchedBy.length === 0);
        if (missed.length > 0) return fail(`the event pattern is too narrow: it does not match ${missed.map((m) => m.label).join(', or ')}`, detail);
        return pass(`rule ${enabled.map((r) => r.rule.Name).join(', ')} matches OrderPlaced events from ${SOURCE}`, detail);
      },
    },
    {
      // Passes when no enabled rule targeting the workflow matches an OrderPlaced event from another source or another detail-type from shop.orders.
      id: 'rule-pattern-exact',
      title: 'Only OrderPlaced events from shop.orders start the workflow',
      points: 10,
      critical: true,
      dependsOn: ['rule-routes-order-placed'],
      hint: 'An event pattern that leaves out a field matches any value of it: make sure every rule that starts the workflow pins down both fields that identify an order event.',
      async run(ctx) {
        const routes = await theRoutes(ctx);
        const results = await matchesBySample(ctx, routes, NOT_MATCHING, 1 + MATCHING.length);
        const detail = { expected: 'no sample matched', actual: { patterns: Object.fromEntries(routes.map((r) => [r.rule.Name, r.rule.EventPattern ?? null])), results }, resource: routesResource(routes) };
        const leaks = results.filter((r) => r.matchedBy.length > 0);
        if (leaks.length > 0) return fail(`the event pattern is too broad: ${leaks.map((l) => `${l.label} is matched by ${l.matchedBy.join(', ')}`).join('; ')}`, detail);
        return pass('other sources and other detail-types do not start the workflow', detail);
      },
    },
    {
      // Passes when every target pointing at the workflow has a dead-letter queue that exists in the sandbox, is a standard queue not encrypted with alias/aws/sqs, and whose policy lets EventBridge deliver this rule's failed events (Allow, no applicable Deny).
      id: 'target-dead-letter-queue',
      title: 'Undeliverable events go to a dead-letter queue',
      points: 8,
      critical: true,
      dependsOn: ['rule-routes-order-placed'],
      hint: 'Give the rule\'s target a dead-letter queue (a standard SQS queue in your sandbox), and make sure EventBridge is allowed to send this rule\'s events to that queue — by its policy and by its encryption.',
      async run(ctx) {
        const routes = await theRoutes(ctx);
        const problems: string[] = [];
        const seen: Array<{ target: string; deadLetterQueue: string | null }> = [];
        for (const { route, target } of eachTarget(routes)) {
          const where = targetLabel(route, target);
          const dlq = target.DeadLetterConfig?.Arn;
          seen.push({ target: where, deadLetterQueue: dlq ?? null });
          if (!dlq) {
            problems.push(`${where} has no dead-letter queue`);
            continue;
          }
          const [, , service, region, account] = dlq.split(':');
          if (service !== 'sqs' || region !== ctx.region || account !== ctx.accountId) {
            problems.push(`${where} names ${dlq}, which is not an SQS queue of this sandbox (${ctx.accountId}, ${ctx.region})`);
            continue;
          }
          const queue = await describeQueue(ctx, arnResourceName(dlq));
          if (!queue) {
            problems.push(`${where} names the queue ${dlq}, which does not exist`);
            continue;
          }
          const unusable = deadLetterQueueUnusable(queue.attributes, queue.arn);
          if (unusable) {
            problems.push(`${where} names the queue ${queue.name}, which EventBridge cannot deliver to: ${unusable}`);
            continue;
          }
          if (!acceptsDeadLettersFrom(queue.attributes.Policy, queue.arn, route.rule.Arn)) {
            problems.push(`the policy of ${queue.name} does not let EventBridge (events.amazonaws.com) send rule ${route.rule.Name}'s events to it (no Allow of sqs:SendMessage for this rule, or a Deny that applies), so they would be lost`);
          }
        }
        const detail = { expected: 'each target has an SQS dead-letter queue that allows events.amazonaws.com to send from the rule', actual: seen, resource: routesResource(routes) };
        return problems.length > 0 ? fail(problems.join('; '), detail) : pass(`dead-letter queue(s): ${seen.map((s) => s.deadLetterQueue).join(', ')}`, detail);
      },
    },
    {
      // Passes when every target pointing at the workflow has an explicit retry policy that retries at least once.
      id: 'target-retry-policy',
      title: 'The rule\'s target has a retry policy',
      points: 5,
      critical: true,
      dependsOn: ['rule-routes-order-placed'],
      hint: 'Set the target\'s retry policy yourself: how many times and for how long EventBridge should try to deliver an event before giving up.',
      async run(ctx) {
        const routes = await theRoutes(ctx);
        const problems: string[] = [];
        const seen = eachTarget(routes).map(({ route, target }) => {
          const where = targetLabel(route, target);
          const policy = target.RetryPolicy;
          if (!policy || (policy.MaximumRetryAttempts === undefined && policy.MaximumEventAgeInSeconds === undefined)) problems.push(`${where} has no retry policy`);
          else if (policy.MaximumRetryAttempts === 0) problems.push(`${where} has a retry policy with 0 retries`);
          return { target: where, retryPolicy: policy ?? null };
        });
        const detail = { expected: 'a RetryPolicy with MaximumRetryAttempts >= 1 and/or MaximumEventAgeInSeconds', actual: seen, resource: routesResource(routes) };
        return problems.length > 0 ? fail(problems.join('; '), detail) : pass('every target retries failed deliveries', detail);
      },
    },
    {
      // Passes when each target's role can start executions of this state machine and grants nothing else.
      id: 'target-role-least-privilege',
      title: 'EventBridge\'s role may start this workflow and nothing else',
      points: 10,
      critical: true,
      // Visible: a critical check must give feedback before it costs the credential.
      visibility: 'visible',
      dependsOn: ['rule-routes-order-placed'],
      hint: 'The role EventBridge uses for the target needs one permission, on one resource. Avoid wildcards and managed "FullAccess" policies.',
      async run(ctx) {
        const sm = await theStateMachine(ctx);
        const routes = await theRoutes(ctx);
        const allowance: Allowance = [{ actions: ['states:StartExecution'], resources: [sm.stateMachineArn, `${sm.stateMachineArn}:*`] }];
        const problems: string[] = [];
        const roles: Array<{ target: string; role: string | null; excess?: string[] }> = [];
        for (const { route, target } of eachTarget(routes)) {
          const where = targetLabel(route, target);
          if (!target.RoleArn) {
            problems.push(`${where} has no role, so EventBridge cannot start the workflow`);
            roles.push({ target: where, role: null });
            continue;
          }
          let statements;
          try {
            statements = await roleStatements(ctx, target.RoleArn);
          } catch (err) {
            if (!isNotFound(err)) throw err;
            problems.push(`${where} uses the role ${target.RoleArn}, which does not exist`);
            roles.push({ target: where, role: target.RoleArn });
            continue;
          }
          const excess = summariseExcess(findExcessGrants(statements, allowance));
          roles.push({ target: where, role: target.RoleArn, excess });
          if (findMissingGrants(statements, [{ action: 'states:StartExecution', resource: target.Arn ?? sm.stateMachineArn }]).length > 0) {
            problems.push(`the role ${arnResourceName(target.RoleArn)} of ${where} cannot start executions of ${STATE_MACHINE}`);
          }
          if (excess.length > 0) problems.push(`the role ${arnResourceName(target.RoleArn)} grants more than starting ${STATE_MACHINE}: ${excess.slice(0, 5).join('; ')}`);
        }
        const detail = { expected: { allowed: allowance }, actual: roles, resource: roles.map((r) => r.role).filter(Boolean).join(', ') || routesResource(routes) };
        return problems.length > 0 ? fail(problems.join('; '), detail) : pass(`the target role may start ${STATE_MACHINE} and nothing more`, detail);
      },
    },
    {
      // Passes when a valid OrderPlaced event put on orders-bus starts an execution that SUCCEEDS within 5 minutes without any Catch handler running.
      id: 'order-execution-succeeds',
      title: 'A valid order put on the bus completes the workflow',
      points: 10,
      critical: true,
      dependsOn: ['rule-routes-order-placed', 'state-machine-standard'],
      timeoutMs: VALID_DEADLINE_MS + 2 * 60_000,
      hint: 'Put the example event from the instructions on your bus yourself, then look at the executions of your state machine and their history: it must succeed, within the time the instructions allow, without an error being caught.',
      async run(ctx) {
        const run = await probeRun(ctx);
        if (!run.accepted) return error(run.reason);
        const { execution, history, orderId } = run.valid;
        if (!execution) {
          return fail(`no execution of ${STATE_MACHINE} received order ${orderId} within ${VALID_DEADLINE_MS / 1000} s of putting it on ${BUS}`, { expected: `an execution whose input carries orderId ${orderId}`, actual: 'none', resource: run.stateMachineArn });
        }
        const detail = { expected: `SUCCEEDED within ${VALID_DEADLINE_MS / 1000} s, with no Catch handler entered`, actual: { status: execution.status, taskFailures: taskFailures(history) }, resource: execution.executionArn };
        if (execution.status !== 'SUCCEEDED') return fail(`the execution for order ${orderId} ${ending(execution, history)}`, detail);
        const caught = caughtFailures(history, run.handlers);
        if (caught.length > 0) {
          return fail(`the execution succeeded only because a Catch handled ${caught.map((c) => `${c.error ?? 'an error'} (in ${c.handler})`).join(', ')}; a valid order must pass without errors`, detail);
        }
        return pass(`order ${orderId} started an execution that SUCCEEDED`, detail);
      },
    },
    {
      // Passes when every invalid OrderPlaced event of the probe (bad quantity or orderId, of 7 kinds) starts an execution in which a task fails and a Catch hands the error to its handler within 60 s of the start.
      id: 'invalid-order-caught',
      title: 'Invalid orders are rejected by a task and handled by a Catch',
      points: 10,
      critical: true,
      dependsOn: ['rule-routes-order-placed', 'state-machine-standard', 'workflow-retry-catch'],
      timeoutMs: VALID_DEADLINE_MS + 2 * 60_000,
      hint: 'Put orders that break each rule of the instructions (a bad quantity of every kind, a missing or empty orderId) on your bus and read each execution\'s history: a task should fail on it, and the error should be routed to a handler state within the time the instructions allow.',
      async run(ctx) {
        const run = await probeRun(ctx);
        if (!run.accepted) return error(run.reason);
        const verdicts = run.invalid.map((o) => ({ o, ...judgeInvalid(o, run.handlers) }));
        const detail = {
          expected: `for each invalid order, a task failure followed by a Catch handler state within ${REJECT_WITHIN_MS / 1000} s of the execution's start`,
          actual: {
            orders: verdicts.map(({ o, ok, why, caught }) => ({ orderId: o.orderId, execution: o.execution?.executionArn ?? null, status: o.execution?.status ?? null, ok, why, caught })),
            catchHandlers: [...run.handlers],
          },
          resource: verdicts.map((v) => v.o.execution?.executionArn).filter(Boolean).join(', ') || run.stateMachineArn,
        };
        const wrong = verdicts.filter((v) => !v.ok);
        if (wrong.length > 0) return fail(`${wrong.length} of ${verdicts.length} invalid orders were not handled as the instructions ask: ${wrong.map((v) => v.why).join('; ')}`, detail);
        return pass(`all ${verdicts.length} invalid orders were rejected by a task and caught: ${verdicts.map((v) => v.why).join('; ')}`, detail);
      },
    },
  ],
});
