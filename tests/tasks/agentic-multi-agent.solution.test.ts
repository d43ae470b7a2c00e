import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SupportDeskSolution } from '../../tasks/agentic-multi-agent/solution/agentic-multi-agent-solution';

describe('agentic-multi-agent reference solution', () => {
  const stack = new Stack(new App(), 'Solution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new SupportDeskSolution(stack, 'Desk', { permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-att-1-boundary' });
  const template = Template.fromStack(stack);
  const agents = template.findResources('AWS::Bedrock::Agent');
  const aliases = template.findResources('AWS::Bedrock::AgentAlias');
  const [supervisorId, supervisor] = Object.entries(agents).find(([, a]) => a.Properties.AgentName === 'support-supervisor')!;
  /** The alias resource whose AgentId is the given agent's. */
  const aliasOf = (agentLogicalId: string) => Object.entries(aliases).find(([, a]) => JSON.stringify(a.Properties.AgentId) === JSON.stringify({ 'Fn::GetAtt': [agentLogicalId, 'AgentId'] }));

  it('builds a prepared supervisor named support-supervisor with collaboration on', () => {
    expect(supervisor.Properties).toMatchObject({ AgentCollaboration: 'SUPERVISOR', AutoPrepare: true });
  });

  it('names its collaborators orders and returns, each with an instruction, on two different agents\' aliases', () => {
    const collaborators = supervisor.Properties.AgentCollaborators as Array<{ CollaboratorName: string; CollaborationInstruction: string; AgentDescriptor: { AliasArn: { 'Fn::GetAtt': [string, string] } } }>;
    expect(collaborators.map((c) => c.CollaboratorName).sort()).toEqual(['orders', 'returns']);
    for (const c of collaborators) expect(c.CollaborationInstruction.length).toBeGreaterThan(20);
    const targets = collaborators.map((c) => c.AgentDescriptor.AliasArn['Fn::GetAtt']);
    expect(targets.every(([, attr]) => attr === 'AgentAliasArn')).toBe(true);
    const agentsBehind = targets.map(([aliasId]) => JSON.stringify(aliases[aliasId]!.Properties.AgentId));
    expect(new Set(agentsBehind).size).toBe(2);
    expect(agentsBehind).not.toContain(JSON.stringify({ 'Fn::GetAtt': [supervisorId, 'AgentId'] }));
  });

  it('publishes every agent under an alias live without pinning DRAFT (CloudFormation creates numbered versions)', () => {
    expect(Object.keys(agents)).toHaveLength(3);
    for (const agentId of Object.keys(agents)) {
      const alias = aliasOf(agentId);
      expect(alias?.[1].Properties).toMatchObject({ AgentAliasName: 'live' });
      expect(alias?.[1].Properties.RoutingConfiguration).toBeUndefined();
    }
  });

  it('lets the supervisor invoke its collaborators\' aliases, from roles under /candidate/ that carry the boundary', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [{ PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['bedrock:GetAgentAlias', 'bedrock:InvokeAgent'] })]) } }],
    });
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties).toMatchObject({ Path: '/candidate/', PermissionsBoundary: expect.anything() });
  });
});
