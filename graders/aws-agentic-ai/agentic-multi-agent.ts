import type { Agent, AgentAlias, AgentCollaboratorSummary } from '@aws-sdk/client-bedrock-agent';
import { defineGrader, error, fail, pass, type CheckContext } from '../../src';
import { collaboratorHandOffs, excerpt, invokeWithTrace, summariseTries, type HandOff } from '../lib/agent-trace';
import {
  agentAliases,
  agentCollaborators,
  aliasProblem,
  aliasSummary,
  aliasVersion,
  findAgentsByName,
  findAliasByName,
  getAgent,
  getAgentAlias,
  getAgentVersion,
  isPublishedVersion,
  parseAgentAliasArn,
  settled,
} from '../lib/bedrock-agent';

const SUPERVISOR_NAME = 'support-supervisor';
const ALIAS_NAME = 'live';
const SUPERVISOR_MODES = ['SUPERVISOR', 'SUPERVISOR_ROUTER'];
const MAX_TRIES = 3;
const REQUIRED_PASSES = 1;

/** The collaborators the instructions name, a request only that collaborator should get, and the collaborator it must not reach. */
const ROUTES = [
  { collaborator: 'orders', other: 'returns', request: (nonce: string) => `Where is my order SP-${nonce}? It has not arrived yet and I would like to know when it will be delivered.` },
  { collaborator: 'returns', other: 'orders', request: () => 'The kettle I bought arrived with a cracked lid. How do I send it back, and how long will my refund take?' },
] as const;
type RouteName = (typeof ROUTES)[number]['collaborator'];

/** "a", "a and b", "a, b and c". */
const listing = (names: readonly string[]) => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);

async function theSupervisor(ctx: CheckContext): Promise<Agent> {
  return ctx.memo('supervisor-agent', async () => {
    const found = await findAgentsByName(ctx, SUPERVISOR_NAME);
    const agent = found.length === 1 && found[0]!.agentId ? await getAgent(ctx, found[0]!.agentId) : undefined;
    if (!agent?.agentId || !agent.agentArn) throw new Error(`expected exactly one agent named ${SUPERVISOR_NAME}; the supervisor-exists check guards this`);
    return agent;
  });
}

async function theAlias(ctx: CheckContext): Promise<AgentAlias | undefined> {
  return findAliasByName(ctx, (await theSupervisor(ctx)).agentId!, ALIAS_NAME);
}

/** The supervisor version whose configuration is graded: what `live` serves when it serves a published version, else the draft. */
async function gradedVersion(ctx: CheckContext): Promise<string> {
  const alias = await theAlias(ctx);
  const version = alias ? aliasVersion(alias) : undefined;
  return isPublishedVersion(version) ? version : 'DRAFT';
}

async function theCollaborators(ctx: CheckContext): Promise<AgentCollaboratorSummary[]> {
  const supervisor = await theSupervisor(ctx);
  return agentCollaborators(ctx, supervisor.agentId!, await gradedVersion(ctx));
}

/** Which configured collaborator a hand-off reached, by alias ARN or collaborator name. */
function reached(handOff: HandOff, collaborators: AgentCollaboratorSummary[]): string {
  const byArn = handOff.aliasArn ? collaborators.find((c) => c.agentDescriptor?.aliasArn === handOff.aliasArn) : undefined;
  const byName = handOff.collaboratorName ? collaborators.find((c) => c.collaboratorName === handOff.collaboratorName) : undefined;
  return (byArn ?? byName)?.collaboratorName ?? handOff.aliasArn ?? handOff.collaboratorName ?? 'an unknown agent';
}

interface RouteTry {
  try: number;
  sessionId: string;
  handedOffTo: string[];
  answer: string;
  error?: string;
  outcome: string;
  passed: boolean;
}

async function routeOnce(ctx: CheckContext, supervisor: { agentId: string; agentAliasId: string }, route: (typeof ROUTES)[number], collaborators: AgentCollaboratorSummary[], n: number): Promise<RouteTry> {
  const sessionId = `skillproof-${ctx.nonce}-${route.collaborator}-${n}`;
  const invocation = await invokeWithTrace(ctx, { ...supervisor, sessionId, inputText: route.request(ctx.nonce) });
  if (!invocation.ok) return { try: n, sessionId, handedOffTo: [], answer: '', error: invocation.fault, outcome: `InvokeAgent failed (${invocation.fault})`, passed: false };
  const handedOffTo = [...new Set(collaboratorHandOffs(invocation.response).map((h) => reached(h, collaborators)))];
  // Routing is exclusive: a supervisor that asks both specialists every time has not routed the request.
  const passed = handedOffTo.includes(route.collaborator) && !handedOffTo.includes(route.other);
  const outcome = handedOffTo.length === 0 ? 'no hand-off in the trace' : `handed off to ${handedOffTo.join(' and ')}`;
  return { try: n, sessionId, handedOffTo, answer: excerpt(invocation.response.text), outcome, passed };
}

export default defineGrader({
  task: 'agentic-multi-agent',
  probes: ['bedrock:InvokeAgent'],
  checks: [
    {
      // Passes when exactly one Bedrock agent is named support-supervisor.
      id: 'supervisor-exists',
      title: 'A Bedrock agent named support-supervisor exists',
      points: 10,
      critical: true,
      hint: 'Create one Bedrock agent for the supervisor and give it exactly the name from the instructions.',
      async run(ctx) {
        const found = await findAgentsByName(ctx, SUPERVISOR_NAME);
        if (found.length === 0) return fail(`no Bedrock agent named ${SUPERVISOR_NAME} in ${ctx.region}`, { expected: `one agent named ${SUPERVISOR_NAME}`, actual: 'none' });
        if (found.length > 1) return fail(`${found.length} agents are named ${SUPERVISOR_NAME}; keep exactly one`, { expected: 1, actual: found.map((a) => a.agentId) });
        const agent = await getAgent(ctx, found[0]!.agentId ?? '');
        if (!agent?.agentArn) return error(`agent ${found[0]!.agentId} disappeared while grading; grade again`);
        return pass(`found agent ${agent.agentId}`, { resource: agent.agentArn });
      },
    },
    {
      // Passes when the supervisor's alias "live" routes to a numbered version, is PREPARED and accepts invocations.
      id: 'supervisor-live-alias',
      title: 'The supervisor\'s alias live serves a published version',
      points: 15,
      critical: true,
      dependsOn: ['supervisor-exists'],
      timeoutMs: 60_000,
      hint: 'Create an alias with the name from the instructions on the supervisor; creating an alias without naming a version publishes a new numbered version from the draft.',
      async run(ctx) {
        const supervisor = await theSupervisor(ctx);
        const first = await theAlias(ctx);
        if (!first) {
          const names = (await agentAliases(ctx, supervisor.agentId!)).map((a) => a.agentAliasName);
          return fail(`the supervisor has no alias named ${ALIAS_NAME}`, { expected: `alias ${ALIAS_NAME}`, actual: names, resource: supervisor.agentArn! });
        }
        const alias = await settled(ctx, 'the alias', first, (a) => a.agentAliasStatus, () => findAliasByName(ctx, supervisor.agentId!, ALIAS_NAME));
        if (!alias) return error(`alias ${ALIAS_NAME} stayed in a transitional state for 30 s; grade again`, { resource: first.agentAliasArn });
        const detail = { expected: { version: 'a numbered version', status: 'PREPARED', invocations: 'ACCEPT_INVOCATIONS' }, actual: aliasSummary(alias), resource: alias.agentAliasArn! };
        const problem = aliasProblem(alias);
        if (problem) return fail(`alias ${ALIAS_NAME} ${problem}`, detail);
        return pass(`alias ${ALIAS_NAME} serves version ${aliasVersion(alias)}`, detail);
      },
    },
    {
      // Passes when the graded supervisor version (live's, else DRAFT) has agentCollaboration SUPERVISOR or SUPERVISOR_ROUTER and is PREPARED.
      id: 'collaboration-enabled',
      title: 'Multi-agent collaboration is on for the supervisor',
      points: 10,
      critical: true,
      dependsOn: ['supervisor-exists'],
      hint: 'Turn on multi-agent collaboration for the supervisor (as supervisor, or supervisor with routing), prepare it, and publish a new version.',
      async run(ctx) {
        const supervisor = await theSupervisor(ctx);
        const version = await gradedVersion(ctx);
        const graded = version === 'DRAFT' ? supervisor : await getAgentVersion(ctx, supervisor.agentId!, version);
        if (!graded) return error(`version ${version} of the supervisor disappeared while grading; grade again`, { resource: supervisor.agentArn });
        const mode = graded.agentCollaboration ?? 'DISABLED';
        const detail = { expected: { collaboration: SUPERVISOR_MODES, status: 'PREPARED' }, actual: { version, collaboration: mode, status: graded.agentStatus }, resource: supervisor.agentArn! };
        if (!SUPERVISOR_MODES.includes(mode)) return fail(`collaboration is ${mode} in version ${version} of the supervisor`, detail);
        if (graded.agentStatus !== 'PREPARED') return fail(`version ${version} of the supervisor is ${graded.agentStatus}, not PREPARED`, detail);
        return pass(`version ${version} of the supervisor collaborates as ${mode}`, detail);
      },
    },
    {
      // Passes when the graded supervisor version has collaborators named orders and returns, on two different agents other than the supervisor, each with a collaboration instruction.
      id: 'collaborators-configured',
      title: 'Collaborators orders and returns are two agents with instructions',
      points: 15,
      critical: true,
      // Collaborators can only be listed on an agent that collaborates.
      dependsOn: ['collaboration-enabled'],
      hint: 'Associate each specialist with the supervisor under the collaborator name the instructions give, and tell the supervisor, in each collaboration instruction, which requests to hand over.',
      async run(ctx) {
        const supervisor = await theSupervisor(ctx);
        const version = await gradedVersion(ctx);
        const collaborators = await theCollaborators(ctx);
        const detail = {
          expected: ROUTES.map((r) => `${r.collaborator}: its own agent, with a collaboration instruction`),
          actual: collaborators.map((c) => ({ name: c.collaboratorName, aliasArn: c.agentDescriptor?.aliasArn, instruction: excerpt(c.collaborationInstruction ?? '', 120) })),
          resource: supervisor.agentArn!,
        };
        const named = (name: RouteName) => collaborators.find((c) => c.collaboratorName === name);
        const missing = ROUTES.filter((r) => !named(r.collaborator)).map((r) => r.collaborator);
        if (missing.length > 0) {
          const has = collaborators.map((c) => c.collaboratorName).join(', ') || 'none';
          return fail(`version ${version} of the supervisor has no collaborator named ${missing.join(' or ')} (it has ${has})`, detail);
        }
        const uninstructed = ROUTES.filter((r) => !named(r.collaborator)!.collaborationInstruction?.trim()).map((r) => r.collaborator);
        if (uninstructed.length > 0) return fail(`collaborator ${uninstructed.join(' and ')} has no collaboration instruction, so the supervisor cannot route by it`, detail);
        const agentOf = (name: RouteName) => parseAgentAliasArn(named(name)!.agentDescriptor?.aliasArn ?? '')?.agentId;
        const [ordersAgent, returnsAgent] = [agentOf('orders'), agentOf('returns')];
        if (!ordersAgent || !returnsAgent) return fail('a collaborator does not name an agent alias ARN', detail);
        if (ordersAgent === returnsAgent) return fail(`orders and returns are both agent ${ordersAgent}: two collaborators need two agents`, detail);
        if ([ordersAgent, returnsAgent].includes(supervisor.agentId!)) return fail('the supervisor is its own collaborator', detail);
        return pass(`orders is agent ${ordersAgent} and returns is agent ${returnsAgent}, each with an instruction`, detail);
      },
    },
    {
      // Passes when every collaborator's alias exists, routes to a numbered version (not DRAFT), is PREPARED and accepts invocations.
      id: 'collaborators-published',
      title: 'Every collaborator is published under an alias',
      points: 15,
      critical: true,
      dependsOn: ['collaborators-configured'],
      timeoutMs: 90_000,
      hint: 'Prepare each specialist agent and create an alias for it that serves a numbered version, then associate that alias (not the test alias) with the supervisor.',
      async run(ctx) {
        const collaborators = await theCollaborators(ctx);
        const judged = await Promise.all(
          collaborators.map(async (c) => {
            const arn = c.agentDescriptor?.aliasArn ?? '';
            const ref = parseAgentAliasArn(arn);
            const first = ref ? await getAgentAlias(ctx, ref.agentId, ref.agentAliasId) : undefined;
            if (!ref || !first) return { name: c.collaboratorName, aliasArn: arn, problem: 'names no existing agent alias' };
            const alias = await settled(ctx, `the alias of ${c.collaboratorName}`, first, (a) => a.agentAliasStatus, () => getAgentAlias(ctx, ref.agentId, ref.agentAliasId));
            if (!alias) return { name: c.collaboratorName, aliasArn: arn, unsettled: true };
            const problem = aliasProblem(alias);
            return { name: c.collaboratorName, aliasArn: arn, ...aliasSummary(alias), ...(problem ? { problem: `alias ${alias.agentAliasName} ${problem}` } : {}) };
          }),
        );
        const detail = { expected: 'each collaborator alias on a numbered, prepared version', actual: judged };
        const unsettled = judged.filter((j) => 'unsettled' in j);
        if (unsettled.length > 0) return error(`the alias of ${unsettled.map((j) => j.name).join(', ')} stayed in a transitional state for 30 s; grade again`, detail);
        const bad = judged.filter((j) => 'problem' in j);
        if (bad.length > 0) return fail(bad.map((j) => `${j.name}: ${'problem' in j ? j.problem : ''}`).join('; '), detail);
        return pass(`${listing(judged.map((j) => j.name ?? '?'))} ${judged.length === 1 ? 'is' : 'are'} published`, detail);
      },
    },
    {
      // Passes when, for each of the two requests, within 3 InvokeAgent tries on live at least one trace shows a hand-off to the expected collaborator and none to the other.
      id: 'routes-by-request',
      title: 'The supervisor hands each request to the right collaborator',
      points: 35,
      critical: true,
      dependsOn: ['supervisor-live-alias', 'collaboration-enabled', 'collaborators-configured', 'collaborators-published'],
      timeoutMs: 600_000,
      hint: 'Ask your supervisor, through the live alias with the trace on, one question of each kind from the instructions: the trace should show it invoking the matching collaborator, and only that one. Sharpen the collaboration instructions if it answers itself, picks the other one, or asks both.',
      async run(ctx) {
        const supervisor = await theSupervisor(ctx);
        const alias = await theAlias(ctx);
        if (!alias?.agentAliasId) return error(`alias ${ALIAS_NAME} disappeared while grading; grade again`);
        const collaborators = await theCollaborators(ctx);
        const target = { agentId: supervisor.agentId!, agentAliasId: alias.agentAliasId };
        const results: Array<{ collaborator: RouteName; tries: RouteTry[]; decided: boolean }> = [];
        for (const route of ROUTES) {
          const tries: RouteTry[] = [];
          const decided = await ctx.waitFor(
            `a hand-off to ${route.collaborator}`,
            async () => {
              const t = await routeOnce(ctx, target, route, collaborators, tries.length + 1);
              tries.push(t);
              return t.passed || tries.length >= MAX_TRIES ? t : undefined;
            },
            { timeoutMs: 240_000, intervalMs: 1_000 },
          );
          results.push({ collaborator: route.collaborator, tries, decided: decided !== undefined });
        }
        const threshold = `threshold: ${REQUIRED_PASSES} of up to ${MAX_TRIES} tries per request`;
        const detail = {
          expected: ROUTES.map((r) => ({ request: r.request(ctx.nonce), handOffTo: r.collaborator, notTo: r.other })),
          actual: results.map((r) => ({ expected: r.collaborator, tries: r.tries })),
          resource: alias.agentAliasArn!,
        };
        const passedOn = (r: (typeof results)[number]) => r.tries.findIndex((t) => t.passed) + 1;
        const missed = results.filter((r) => r.tries.filter((t) => t.passed).length < REQUIRED_PASSES);
        if (missed.length === 0) return pass(`${results.map((r) => `the ${r.collaborator} request reached ${r.collaborator} alone on try ${passedOn(r)}`).join('; ')} (${threshold})`, detail);
        if (missed.some((r) => !r.decided)) return error(`ran out of time before ${MAX_TRIES} tries of every request (${threshold}); grade again`, detail);
        return fail(`${missed.map((r) => `the ${r.collaborator} request never reached ${r.collaborator} alone (${summariseTries(r.tries)})`).join('; ')} (${threshold})`, detail);
      },
    },
  ],
});
