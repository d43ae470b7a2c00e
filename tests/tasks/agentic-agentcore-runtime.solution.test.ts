import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AgentCoreRuntimeSolution } from '../../tasks/agentic-agentcore-runtime/solution/agentic-agentcore-runtime-solution';

describe('agentic-agentcore-runtime reference solution', () => {
  const stack = new Stack(new App(), 'Solution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new AgentCoreRuntimeSolution(stack, 'Helpdesk', { agent: { kind: 'code-zip', bucket: 'helpdesk-agent-code', key: 'agent.zip' }, identityProvider: { userPoolId: 'eu-west-1_AbCdEf123', agentClientId: 'agentclient123' } });
  const template = Template.fromStack(stack);

  it('deploys helpdesk_agent from a code zip with IAM inbound auth (no JWT authoriser on the runtime)', () => {
    template.hasResourceProperties('AWS::BedrockAgentCore::Runtime', {
      AgentRuntimeName: 'helpdesk_agent',
      AgentRuntimeArtifact: { CodeConfiguration: { Code: { S3: { Bucket: 'helpdesk-agent-code', Prefix: 'agent.zip' } }, Runtime: 'PYTHON_3_13', EntryPoint: ['main.py'] } },
      AuthorizerConfiguration: Match.absent(),
      EnvironmentVariables: { MEMORY_ID: Match.anyValue(), MODEL_ID: 'amazon.nova-lite-v1:0' },
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
    template.hasResourceProperties('AWS::Lambda::Function', { Code: { ZipFile: Match.stringLikeRegexp('ticketId') } });
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
          Match.objectLike({ Action: 'bedrock:InvokeModel' }),
          Match.objectLike({ Action: ['bedrock-agentcore:CreateEvent', 'bedrock-agentcore:ListEvents', 'bedrock-agentcore:RetrieveMemoryRecords'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Memory'), 'MemoryArn'] } }),
        ]),
      },
    });
  });

  it("says how to supply the packaged agent and the sandbox's user pool when they are missing", () => {
    expect(() => new AgentCoreRuntimeSolution(new Stack(new App(), 'Bare'), 'Helpdesk')).toThrow(/agentcoreAgentCode=s3:/);
    const noIdp = () => new AgentCoreRuntimeSolution(new Stack(new App(), 'NoIdp'), 'Helpdesk', { agent: { kind: 'container', imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/helpdesk:1' } });
    expect(noIdp).toThrow(/helpdeskUserPoolId=.*helpdeskAgentClientId=/);
  });
});
