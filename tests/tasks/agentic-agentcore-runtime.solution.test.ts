import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AgentCoreRuntimeSolution } from '../../tasks/agentic-agentcore-runtime/solution/agentic-agentcore-runtime-solution';

describe('agentic-agentcore-runtime reference solution', () => {
  const stack = new Stack(new App(), 'Solution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new AgentCoreRuntimeSolution(stack, 'Helpdesk', { agent: { kind: 'code-zip', bucket: 'helpdesk-agent-code', key: 'agent.zip' }, identityProvider: { userPoolId: 'eu-west-1_AbCdEf123', agentClientId: 'agentclient123' }, ticketsTable: 'skillproof-a1-tickets' });
  const template = Template.fromStack(stack);

  it('deploys helpdesk_agent from a code zip with IAM inbound auth (no JWT authoriser on the runtime)', () => {
    template.hasResourceProperties('AWS::BedrockAgentCore::Runtime', {
      AgentRuntimeName: 'helpdesk_agent',
      AgentRuntimeArtifact: { CodeConfiguration: { Code: { S3: { Bucket: 'helpdesk-agent-code', Prefix: 'agent.zip' } }, Runtime: 'PYTHON_3_13', EntryPoint: ['main.py'] } },
      AuthorizerConfiguration: Match.absent(),
      EnvironmentVariables: { MEMORY_ID: Match.anyValue(), MODEL_ID: 'amazon.nova-lite-v1:0', GATEWAY_URL: { 'Fn::GetAtt': [Match.stringLikeRegexp('Gateway'), 'GatewayUrl'] }, USER_POOL_ID: 'eu-west-1_AbCdEf123', AGENT_CLIENT_ID: 'agentclient123' },
    });
  });

  it("secures gateway helpdesk-tools with a JWT authoriser trusting the sandbox's user pool for its agent client only", () => {
    template.hasResourceProperties('AWS::BedrockAgentCore::Gateway', {
      Name: 'helpdesk-tools',
      ProtocolType: 'MCP',
      AuthorizerType: 'CUSTOM_JWT',
      AuthorizerConfiguration: { CustomJWTAuthorizer: { DiscoveryUrl: Match.anyValue(), AllowedClients: ['agentclient123'] } },
    });
    expect(JSON.stringify(template.findResources('AWS::BedrockAgentCore::Gateway'))).toContain('/eu-west-1_AbCdEf123/.well-known/openid-configuration');
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
  });

  it('exposes an inline Lambda function as the get_ticket_status tool, invoked with the gateway\'s role', () => {
    template.hasResourceProperties('AWS::BedrockAgentCore::GatewayTarget', {
      TargetConfiguration: { Mcp: { Lambda: { LambdaArn: Match.anyValue(), ToolSchema: { InlinePayload: [Match.objectLike({ Name: 'get_ticket_status' })] } } } },
      CredentialProviderConfigurations: [{ CredentialProviderType: 'GATEWAY_IAM_ROLE' }],
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Code: { ZipFile: Match.stringLikeRegexp('GetItemCommand') }, Environment: { Variables: { TICKETS_TABLE: 'skillproof-a1-tickets' } } });
  });

  it("lets the tool read the sandbox's tickets table, and the runtime reach tickets only through the gateway", () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> }; Roles: Array<{ Ref: string }> } }>;
    const actionsOf = (role: RegExp) => policies.filter((p) => p.Properties.Roles.some((r) => role.test(r.Ref))).flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st) => [st.Action].flat()));
    expect(actionsOf(/TicketToolServiceRole/)).toContain('dynamodb:GetItem');
    const runtime = actionsOf(/RuntimeRole/);
    expect(runtime).toEqual(expect.arrayContaining(['cognito-idp:DescribeUserPool', 'cognito-idp:DescribeUserPoolClient', 'bedrock:InvokeModelWithResponseStream']));
    expect(runtime.filter((a) => a.startsWith('dynamodb:') || a.startsWith('lambda:'))).toEqual([]);
  });

  it('ships an agent that calls the gateway over MCP with a token of the agent\'s app client', () => {
    const main = readFileSync(join(__dirname, '../../tasks/agentic-agentcore-runtime/solution/agent/main.py'), 'utf8');
    expect(main).toContain('streamablehttp_client(GATEWAY_URL, headers={"Authorization": f"Bearer {gateway_token()}"})');
    expect(main).toContain('"grant_type": "client_credentials"');
    expect(main).not.toMatch(/dynamodb|lambda\.invoke|boto3\.client\("lambda"\)/);
  });

  it('gives helpdesk_memory a semantic strategy storing facts per actor', () => {
    template.hasResourceProperties('AWS::BedrockAgentCore::Memory', {
      Name: 'helpdesk_memory',
      MemoryStrategies: [{ SemanticMemoryStrategy: Match.objectLike({ Namespaces: ['/facts/{actorId}'] }) }],
    });
  });

  it('lets the runtime invoke only its model and use only its memory', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] }),
          Match.objectLike({ Action: ['bedrock-agentcore:CreateEvent', 'bedrock-agentcore:ListEvents', 'bedrock-agentcore:RetrieveMemoryRecords'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Memory'), 'MemoryArn'] } }),
        ]),
      },
    });
  });

  it("says how to supply the packaged agent and the sandbox's user pool when they are missing", () => {
    expect(() => new AgentCoreRuntimeSolution(new Stack(new App(), 'Bare'), 'Helpdesk')).toThrow(/agentcoreAgentCode=s3:/);
    const noIdp = () => new AgentCoreRuntimeSolution(new Stack(new App(), 'NoIdp'), 'Helpdesk', { agent: { kind: 'container', imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/helpdesk:1' } });
    expect(noIdp).toThrow(/helpdeskUserPoolId=.*helpdeskAgentClientId=/);
    const noTable = () =>
      new AgentCoreRuntimeSolution(new Stack(new App(), 'NoTable'), 'Helpdesk', { agent: { kind: 'container', imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/helpdesk:1' }, identityProvider: { userPoolId: 'eu-west-1_AbCdEf123', agentClientId: 'agentclient123' } });
    expect(noTable).toThrow(/helpdeskTicketsTable=skillproof-<attempt id>-tickets/);
  });
});
