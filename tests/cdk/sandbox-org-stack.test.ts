import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { allowedServices, SandboxOrgStack, SCP_MAX_CHARS } from '../../cdk/lib/sandbox-org-stack';
import { ordersApiLike, parse, queueWorkerLike } from './sample-tasks';

const tasks = [parse(ordersApiLike), parse(queueWorkerLike)];

describe('SandboxOrgStack', () => {
  const app = new App();
  const stack = new SandboxOrgStack(app, 'Org', {
    parentId: 'r-ab12',
    allowedRegions: ['eu-west-1'],
    tasks,
    accounts: [
      { name: 'skillproof-sandbox-01', email: 'ops+sb01@example.com' },
      { name: 'skillproof-sandbox-02', email: 'ops+sb02@example.com' },
    ],
  });
  const template = Template.fromStack(stack);
  const scp = () => template.findResources('AWS::Organizations::Policy');

  it('creates the sandbox OU under the given parent', () => {
    template.hasResourceProperties('AWS::Organizations::OrganizationalUnit', { Name: 'skillproof-sandboxes', ParentId: 'r-ab12' });
  });

  it('attaches a service control policy to the OU: regions, organisation, services, SkillProof roles', () => {
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Type: 'SERVICE_CONTROL_POLICY',
      TargetIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^SandboxOu'), 'Id'] }],
      Content: {
        Statement: [
          { Sid: 'StayInOrganization', Effect: 'Deny', Action: ['organizations:LeaveOrganization'], Resource: '*' },
          Match.objectLike({ Sid: 'AllowedRegions', NotAction: Match.arrayWith(['iam:*', 'bedrock:InvokeModel', 'bedrock:ApplyGuardrail']), Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1'] } } }),
          Match.objectLike({
            Sid: 'AllowedRegionsInferenceProfiles',
            Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
            Condition: {
              StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1'] },
              ArnNotLike: { 'bedrock:InferenceProfileArn': ['arn:*:bedrock:eu-west-1:*:inference-profile/*', 'arn:*:bedrock:eu-west-1:*:application-inference-profile/*'] },
            },
          }),
          Match.objectLike({ Sid: 'AllowedRegionsGuardrailProfiles', Action: ['bedrock:ApplyGuardrail'], NotResource: 'arn:*:bedrock:*:*:guardrail-profile/*' }),
          Match.objectLike({ Sid: 'TaskServicesOnly', Effect: 'Deny', NotAction: Match.arrayWith(['apigateway:*', 'cloudformation:*', 'lambda:*', 'sqs:*']) }),
          Match.objectLike({
            Sid: 'ProtectSkillProofIam',
            Resource: ['arn:*:iam::*:role/skillproof/*', 'arn:*:iam::*:policy/skillproof/*', 'arn:*:iam::*:role/OrganizationAccountAccessRole'],
            Condition: { ArnNotLike: { 'aws:PrincipalARN': Match.arrayWith(['arn:*:iam::*:role/OrganizationAccountAccessRole']) } },
          }),
          Match.objectLike({ Sid: 'NoLongTermCredentials' }),
        ],
      },
    });
  });

  it('allows exactly the services some task needs, plus those the sandbox stack is made of', () => {
    const services = allowedServices(tasks);
    expect(services).toEqual(expect.arrayContaining(['apigateway', 'dynamodb', 'lambda', 'sqs', 'xray', 'scheduler', 'budgets']));
    expect(services).not.toContain('ec2');
  });

  it('keeps the policy within the SCP size limit', () => {
    const [policy] = Object.values(scp()) as { Properties: { Content: unknown } }[];
    expect(JSON.stringify(policy!.Properties.Content).length).toBeLessThan(SCP_MAX_CHARS);
  });

  it('creates the pool accounts in the OU and never closes them on stack deletion', () => {
    template.resourceCountIs('AWS::Organizations::Account', 2);
    template.hasResource('AWS::Organizations::Account', {
      DeletionPolicy: 'Retain',
      Properties: { AccountName: 'skillproof-sandbox-01', Email: 'ops+sb01@example.com', RoleName: 'OrganizationAccountAccessRole' },
    });
    template.hasOutput('PoolAccountIds', {});
  });

  it('is asset-free and has no cdk-nag finding', () => {
    expect(template.toJSON().Parameters).toBeUndefined();
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it('refuses two accounts with one e-mail address and an empty region list', () => {
    const props = { parentId: 'r-ab12', tasks, allowedRegions: ['eu-west-1'], accounts: [] };
    expect(() => new SandboxOrgStack(new App(), 'A', { ...props, accounts: [{ name: 'a', email: 'x@example.com' }, { name: 'b', email: 'X@example.com' }] })).toThrow(/own e-mail/);
    expect(() => new SandboxOrgStack(new App(), 'B', { ...props, allowedRegions: [] })).toThrow(/at least one region/);
  });
});
