import type { ResponseStream } from '@aws-sdk/client-bedrock-agent-runtime';
import { AccessDeniedException, BedrockAgentRuntimeClient, InvokeAgentCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import {
  actionGroupCalls,
  actionGroupExchanges,
  actionGroupOutputs,
  collaboratorHandOffs,
  excerpt,
  failureReasons,
  invokeWithTrace,
  mentionsWord,
  readAgentResponse,
  usesCustomOrchestration,
} from '../../../graders/lib/agent-trace';
import { FakeAccount } from '../../../src/testing/fake-account';
import { inCheck } from '../../support/harness';

const SUPERVISOR = 'arn:aws:bedrock:eu-west-1:111122223333:agent-alias/SUPERVISOR/LIVEALIAS1';
const BILLING = 'arn:aws:bedrock:eu-west-1:111122223333:agent-alias/BILLINGAG1/LIVEALIAS2';
const bytes = (text: string) => new TextEncoder().encode(text);

/** A drained completion: what the grading session hands a check. */
const events: ResponseStream[] = [
  { trace: { agentId: 'SUPERVISOR', callerChain: [{ agentAliasArn: SUPERVISOR }], trace: { orchestrationTrace: { rationale: { text: 'route to billing' } } } } },
  {
    trace: {
      agentId: 'SUPERVISOR',
      callerChain: [{ agentAliasArn: SUPERVISOR }],
      trace: { orchestrationTrace: { invocationInput: { invocationType: 'AGENT_COLLABORATOR', agentCollaboratorInvocationInput: { agentCollaboratorName: 'billing', agentCollaboratorAliasArn: BILLING, input: { type: 'TEXT', text: 'refund?' } } } } },
    },
  },
  {
    trace: {
      agentId: 'BILLINGAG1',
      collaboratorName: 'billing',
      callerChain: [{ agentAliasArn: SUPERVISOR }, { agentAliasArn: BILLING }],
      trace: {
        orchestrationTrace: {
          invocationInput: {
            invocationType: 'ACTION_GROUP',
            actionGroupInvocationInput: { actionGroupName: 'OrderTools', apiPath: '/orders/{orderId}', verb: 'get', parameters: [{ name: 'orderId', type: 'string', value: 'SP-1' }], executionType: 'LAMBDA' },
          },
        },
      },
    },
  },
  { trace: { agentId: 'BILLINGAG1', callerChain: [{ agentAliasArn: SUPERVISOR }, { agentAliasArn: BILLING }], trace: { orchestrationTrace: { observation: { type: 'ACTION_GROUP', actionGroupInvocationOutput: { text: '{"status":"SHIPPED"}' } } } } } },
  { trace: { agentId: 'SUPERVISOR', trace: { failureTrace: { failureReason: 'Lambda timed out' } } } },
  { chunk: { bytes: bytes('Your order is ') } },
  { chunk: { bytes: bytes('shipped.') } },
];

describe('readAgentResponse', () => {
  it('joins the chunks into the answer and keeps every trace part in order', async () => {
    const response = await readAgentResponse(events);
    expect(response.text).toBe('Your order is shipped.');
    expect(response.traces).toHaveLength(5);
    expect(response.returnedControl).toBe(false);
  });

  it('reads an event stream as well as a drained array', async () => {
    async function* stream() {
      yield* events;
    }
    expect((await readAgentResponse(stream())).text).toBe('Your order is shipped.');
    expect(await readAgentResponse(undefined)).toEqual({ text: '', traces: [], returnedControl: false });
  });

  it('notices when the agent returns control to the caller', async () => {
    expect((await readAgentResponse([{ returnControl: { invocationId: 'x', invocationInputs: [] } }])).returnedControl).toBe(true);
  });
});

describe('trace judgements', () => {
  it('lists action-group calls with their parameters and the agent that made them', async () => {
    const response = await readAgentResponse(events);
    expect(actionGroupCalls(response)).toEqual([{ actionGroupName: 'OrderTools', apiPath: '/orders/{orderId}', verb: 'get', parameters: { orderId: 'SP-1' }, executionType: 'LAMBDA', agentId: 'BILLINGAG1' }]);
    expect(actionGroupOutputs(response)).toEqual(['{"status":"SHIPPED"}']);
  });

  it('finds hand-offs in the supervisor\'s orchestration, its routing classifier and the collaborator\'s caller chain', async () => {
    const routed: ResponseStream = { trace: { trace: { routingClassifierTrace: { invocationInput: { agentCollaboratorInvocationInput: { agentCollaboratorName: 'billing', agentCollaboratorAliasArn: BILLING } } } } } };
    const response = await readAgentResponse([...events, routed]);
    expect(collaboratorHandOffs(response)).toEqual([
      { via: 'orchestration', collaboratorName: 'billing', aliasArn: BILLING },
      { via: 'collaborator-trace', aliasArn: BILLING, collaboratorName: 'billing' },
      { via: 'collaborator-trace', aliasArn: BILLING },
      { via: 'routing-classifier', collaboratorName: 'billing', aliasArn: BILLING },
    ]);
  });

  it('sees no hand-off in a single agent\'s trace', async () => {
    const single: ResponseStream[] = [{ trace: { callerChain: [{ agentAliasArn: SUPERVISOR }], trace: { orchestrationTrace: { rationale: { text: 'answer directly' } } } } }];
    expect(collaboratorHandOffs(await readAgentResponse(single))).toEqual([]);
  });

  it('collects failure reasons', async () => {
    expect(failureReasons(await readAgentResponse(events))).toEqual(['Lambda timed out']);
  });
});

describe('mentionsWord', () => {
  it('matches whole words, ignoring case and punctuation', () => {
    expect(mentionsWord('Your order has SHIPPED.', 'shipped')).toBe(true);
    expect(mentionsWord('shipped', 'SHIPPED')).toBe(true);
    expect(mentionsWord('It is "Delivered"!', 'DELIVERED')).toBe(true);
  });

  it('does not match inside another word', () => {
    expect(mentionsWord('still unshipped', 'SHIPPED')).toBe(false);
    expect(mentionsWord('reshippedx', 'shipped')).toBe(false);
  });
});

describe('excerpt', () => {
  it('flattens whitespace and shortens long text', () => {
    expect(excerpt('a\n\n b', 10)).toBe('a b');
    expect(excerpt('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('exceptions the agent\'s stream ends in', () => {
  /** An exception event as the session records it (the SDK types the member as the thrown exception class). */
  const raised = (member: string, fields: Record<string, string>) => ({ [member]: fields }) as unknown as ResponseStream;
  const request = { agentId: 'A', agentAliasId: 'L', sessionId: 's', inputText: 'hi' };
  const probes = ['bedrock:InvokeAgent'];
  const accountStreaming = (last: ResponseStream | Error) => {
    const account = new FakeAccount('111122223333', 'eu-west-1');
    account.on(BedrockAgentRuntimeClient, InvokeAgentCommand, () => ({
      completion: (async function* () {
        yield { trace: { agentId: 'A', trace: { orchestrationTrace: { rationale: { text: 'look it up' } } } } } as ResponseStream;
        if (last instanceof Error) throw last;
        yield last;
      })(),
      contentType: 'application/json',
      sessionId: 's',
    }));
    return account;
  };

  it('reads them as exceptions, with the dependency AWS names', async () => {
    const response = await readAgentResponse([
      { chunk: { bytes: bytes('partial') } },
      raised('dependencyFailedException', { message: 'Lambda failed', resourceName: 'Lambda' }),
    ]);
    expect(response.exceptions).toEqual([{ member: 'dependencyFailedException', message: 'Lambda failed', resourceName: 'Lambda' }]);
  });

  it('makes one the candidate\'s agent raised (its role denied) the candidate\'s fault, with the reason', async () => {
    const denied = new AccessDeniedException({ message: 'User: arn:aws:sts::111122223333:assumed-role/AmazonBedrockExecutionRoleForAgents_x/BedrockAgentRetrieveSession is not authorized to perform: bedrock:Retrieve', $metadata: {} });
    const invocation = await inCheck(accountStreaming(denied), (ctx) => invokeWithTrace(ctx, request), { probes });
    expect(invocation.ok).toBe(false);
    expect(!invocation.ok && invocation.fault).toContain("the agent's own role was denied access while answering (accessDeniedException: User:");
    expect(!invocation.ok && invocation.response?.traces).toHaveLength(1);
  });

  it('leaves the grader\'s own AccessDenied on the call (HTTP 403) an error of SkillProof\'s', async () => {
    const account = new FakeAccount('111122223333', 'eu-west-1').deniedToGrader(BedrockAgentRuntimeClient, InvokeAgentCommand, 'AccessDeniedException', 'bedrock:InvokeAgent');
    await expect(inCheck(account, (ctx) => invokeWithTrace(ctx, request), { probes })).rejects.toThrow(/ERROR: .*grader role is not allowed/);
  });

  it('makes one that is AWS\'s or the account\'s (a quota, a conflict) an error, never the candidate\'s fault', async () => {
    const account = accountStreaming(raised('serviceQuotaExceededException', { message: 'quota' }));
    await expect(inCheck(account, (ctx) => invokeWithTrace(ctx, request), { probes })).rejects.toThrow(/ERROR: .*serviceQuotaExceededException: quota .*not the candidate/);
  });
});

describe('actionGroupExchanges', () => {
  it('pairs each action-group call with the output of the same step and agent', async () => {
    const response = await readAgentResponse([
      { trace: { agentId: 'A', trace: { orchestrationTrace: { invocationInput: { traceId: 't1', actionGroupInvocationInput: { actionGroupName: 'OrderTools', function: 'get', parameters: [{ name: 'orderId', value: 'SP-1' }] } } } } } },
      { trace: { agentId: 'A', trace: { orchestrationTrace: { invocationInput: { traceId: 't2', actionGroupInvocationInput: { actionGroupName: 'OrderTools', function: 'get', parameters: [{ name: 'orderId', value: 'SP-2' }] } } } } } },
      { trace: { agentId: 'A', trace: { orchestrationTrace: { observation: { traceId: 't2', actionGroupInvocationOutput: { text: 'two' } } } } } },
      { trace: { agentId: 'A', trace: { orchestrationTrace: { observation: { traceId: 't1', actionGroupInvocationOutput: { text: 'one' } } } } } },
    ]);
    expect(actionGroupExchanges(response).map((e) => [e.parameters.orderId, e.output])).toEqual([
      ['SP-1', 'one'],
      ['SP-2', 'two'],
    ]);
  });

  it('leaves a call without an observation without output', async () => {
    const response = await readAgentResponse([{ trace: { trace: { orchestrationTrace: { invocationInput: { traceId: 't', actionGroupInvocationInput: { actionGroupName: 'OrderTools' } } } } } }]);
    expect(actionGroupExchanges(response)).toEqual([{ actionGroupName: 'OrderTools', parameters: {} }]);
  });
});

describe('usesCustomOrchestration', () => {
  it('tells a custom orchestrator\'s free-text trace from the default orchestration trace', async () => {
    expect(usesCustomOrchestration(await readAgentResponse([{ trace: { trace: { customOrchestrationTrace: { traceId: 't', event: { text: 'calling a tool' } } } } }]))).toBe(true);
    expect(usesCustomOrchestration(await readAgentResponse(events))).toBe(false);
  });
});
