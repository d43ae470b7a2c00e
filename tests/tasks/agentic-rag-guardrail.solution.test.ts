import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RagGuardrailSolution } from '../../tasks/agentic-rag-guardrail/solution/agentic-rag-guardrail-solution';

describe('agentic-rag-guardrail reference solution', () => {
  const stack = new Stack(new App(), 'Solution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new RagGuardrailSolution(stack, 'Rag', { documentsBucketName: 'skillproof-att-1-seedspolicydocs-abc' });
  const template = Template.fromStack(stack);

  it('builds knowledge base policy-kb on an S3 Vectors index with a data source over the seeded policies/ prefix', () => {
    template.hasResourceProperties('AWS::Bedrock::KnowledgeBase', { Name: 'policy-kb', StorageConfiguration: { Type: 'S3_VECTORS' } });
    template.hasResourceProperties('AWS::Bedrock::DataSource', {
      DataSourceConfiguration: { Type: 'S3', S3Configuration: { BucketArn: Match.anyValue(), InclusionPrefixes: ['policies/'] } },
    });
    expect(JSON.stringify(template.findResources('AWS::Bedrock::DataSource'))).toContain('skillproof-att-1-seedspolicydocs-abc');
  });

  it('syncs the data source once the stack exists, with inline code', () => {
    template.hasResourceProperties('AWS::CloudFormation::CustomResource', { Kind: 'ingestion' });
    template.hasResourceProperties('AWS::Lambda::Function', { Code: { ZipFile: Match.stringLikeRegexp('StartIngestionJobCommand') } });
  });

  it('denies investment advice and anonymises e-mail addresses in guardrail policy-guardrail, published as a version', () => {
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      Name: 'policy-guardrail',
      TopicPolicyConfig: { TopicsConfig: [Match.objectLike({ Name: 'Investment advice', Type: 'DENY' })] },
      SensitiveInformationPolicyConfig: { PiiEntitiesConfig: [{ Type: 'EMAIL', Action: 'ANONYMIZE' }] },
    });
    template.resourceCountIs('AWS::Bedrock::GuardrailVersion', 1);
  });

  it('attaches the knowledge base (enabled) and the guardrail version to agent policy-assistant, published under alias live', () => {
    template.hasResourceProperties('AWS::Bedrock::Agent', {
      AgentName: 'policy-assistant',
      AutoPrepare: true,
      KnowledgeBases: [Match.objectLike({ KnowledgeBaseState: 'ENABLED' })],
      GuardrailConfiguration: { GuardrailIdentifier: Match.anyValue(), GuardrailVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('GuardrailVersion'), 'Version'] } },
    });
    template.hasResourceProperties('AWS::Bedrock::AgentAlias', { AgentAliasName: 'live' });
  });

  it('lets the agent invoke only its own model', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'bedrock:InvokeModel', Resource: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('foundation-model/amazon.nova-lite-v1:0')])]) }) })]) },
    });
  });

  it('writes the documents itself when no seeded bucket is given (an author\'s own account)', () => {
    const own = new Stack(new App(), 'Own', { env: { account: '111122223333', region: 'eu-west-1' } });
    new RagGuardrailSolution(own, 'Rag');
    const t = Template.fromStack(own);
    t.resourceCountIs('AWS::S3::Bucket', 1);
    t.hasResourceProperties('AWS::CloudFormation::CustomResource', { Kind: 'document', Key: 'policies/travel-and-expenses.md' });
  });
});
