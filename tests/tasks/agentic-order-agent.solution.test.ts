import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { openApiOperations } from '../../graders/lib/bedrock-agent';
import { OrderAgentSolution } from '../../tasks/agentic-order-agent/solution/agentic-order-agent-solution';

describe('agentic-order-agent reference solution', () => {
  const stack = new Stack(new App(), 'Solution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new OrderAgentSolution(stack, 'OrderAgent', {
    ordersTableName: 'skillproof-att-1-orders',
    permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-att-1-boundary',
  });
  const template = Template.fromStack(stack);
  const agents = template.findResources('AWS::Bedrock::Agent');
  const [agentId, agent] = Object.entries(agents)[0]!;

  it('builds one prepared agent named order-support', () => {
    expect(Object.keys(agents)).toHaveLength(1);
    expect(agent.Properties).toMatchObject({ AgentName: 'order-support', AutoPrepare: true });
  });

  it('gives it an enabled OrderTools action group run by the Lambda function, declaring GET /orders/{orderId}', () => {
    const group = agent.Properties.ActionGroups.find((g: { ActionGroupName: string }) => g.ActionGroupName === 'OrderTools');
    expect(group).toMatchObject({ ActionGroupState: 'ENABLED', ActionGroupExecutor: { Lambda: { 'Fn::GetAtt': [expect.stringMatching(/^OrderAgentOrderLookup/), 'Arn'] } } });
    expect(openApiOperations(group.ApiSchema.Payload)?.get('/orders/{orderId}')).toEqual(['get']);
  });

  it('lets only this agent invoke the function', () => {
    template.resourceCountIs('AWS::Lambda::Permission', 1);
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'bedrock.amazonaws.com', Action: 'lambda:InvokeFunction', SourceArn: { 'Fn::GetAtt': [agentId, 'AgentArn'] } });
  });

  it('publishes the alias live without pinning DRAFT (CloudFormation creates a numbered version)', () => {
    template.hasResourceProperties('AWS::Bedrock::AgentAlias', { AgentAliasName: 'live', AgentId: { 'Fn::GetAtt': [agentId, 'AgentId'] }, RoutingConfiguration: Match.absent() });
  });

  it('reads only the seeded orders table, from roles under /candidate/ that carry the boundary', () => {
    const reads = Object.values(template.findResources('AWS::IAM::Role')).flatMap((r) => r.Properties.Policies ?? []).flatMap((p: { PolicyDocument: { Statement: object[] } }) => p.PolicyDocument.Statement);
    const tableReads = reads.filter((s) => JSON.stringify(s).includes('dynamodb:'));
    expect(tableReads).toHaveLength(1);
    expect(tableReads[0]).toMatchObject({ Action: 'dynamodb:GetItem', Effect: 'Allow' });
    expect(JSON.stringify(tableReads[0])).toContain(':table/skillproof-att-1-orders');
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties).toMatchObject({ Path: '/candidate/', PermissionsBoundary: expect.anything() });
  });
});
