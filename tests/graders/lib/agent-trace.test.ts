import type { ResponseStream } from '@aws-sdk/client-bedrock-agent-runtime';
import { actionGroupCalls, actionGroupOutputs, collaboratorHandOffs, excerpt, failureReasons, mentionsWord, readAgentResponse } from '../../../graders/lib/agent-trace';

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
