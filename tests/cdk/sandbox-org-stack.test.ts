import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { allowedServices, RCP_MAX_CHARS, SandboxOrgStack, SCP_MAX_CHARS } from '../../cdk/lib/sandbox-org-stack';
import { ordersApiLike, parse, queueWorkerLike } from './sample-tasks';

const tasks = [parse(ordersApiLike), parse(queueWorkerLike)];

describe('SandboxOrgStack', () => {
  const app = new App();
  const stack = new SandboxOrgStack(app, 'Org', {
    parentId: 'r-ab12',
    organizationId: 'o-a1b2c3d4e5',
    skillproofAccountId: '999988887777',
    allowedRegions: ['eu-west-1'],
    tasks,
    accounts: [
      { name: 'skillproof-sandbox-01', email: 'ops+sb01@example.com' },
      { name: 'skillproof-sandbox-02', email: 'ops+sb02@example.com' },
    ],
  });
  const template = Template.fromStack(stack);
  const policy = (type: string) => Object.values(template.findResources('AWS::Organizations::Policy', { Properties: { Type: type } })) as { Properties: { Content: unknown } }[];

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

  it('keeps the policies within the SCP and RCP size limits', () => {
    expect(JSON.stringify(policy('SERVICE_CONTROL_POLICY')[0]!.Properties.Content).length).toBeLessThan(SCP_MAX_CHARS);
    expect(JSON.stringify(policy('RESOURCE_CONTROL_POLICY')[0]!.Properties.Content).length).toBeLessThan(RCP_MAX_CHARS);
  });

  it('attaches a resource control policy to the OU: only the organisation gets in, SkillProof only to its own roles', () => {
    const outside = { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' }, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } };
    const assume = ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity', 'sts:TagSession'];
    const services = ['aoss:*', 'codebuild:*', 'dynamodb:*', 'ecr:*', 'events:*', 'kms:*', 'logs:*', 's3:*', 'secretsmanager:*', 'sqs:*', 'xray:*'];
    const skillproofRoles = ['arn:*:iam::*:role/skillproof/*', 'arn:*:iam::*:role/OrganizationAccountAccessRole'];
    expect(policy('RESOURCE_CONTROL_POLICY')).toHaveLength(1);
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Name: 'skillproof-sandbox-perimeter',
      Type: 'RESOURCE_CONTROL_POLICY',
      TargetIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^SandboxOu'), 'Id'] }],
      Content: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'OnlyTheOrganizationAssumesRoles', Effect: 'Deny', Principal: '*', Action: assume, NotResource: skillproofRoles, Condition: outside },
          {
            Sid: 'SkillProofAssumesOnlyItsRoles',
            Effect: 'Deny',
            Principal: '*',
            Action: assume,
            Resource: skillproofRoles,
            Condition: {
              StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5', 'aws:PrincipalAccount': '999988887777' },
              BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
            },
          },
          { Sid: 'OnlyTheOrganizationUsesResources', Effect: 'Deny', Principal: '*', Action: services, Resource: '*', Condition: outside },
          {
            Sid: 'ServicesActOnlyForTheOrganization',
            Effect: 'Deny',
            Principal: '*',
            Action: [...assume, ...services],
            Resource: '*',
            Condition: { StringNotEqualsIfExists: { 'aws:SourceOrgID': 'o-a1b2c3d4e5' }, Null: { 'aws:SourceAccount': 'false' }, Bool: { 'aws:PrincipalIsAWSService': 'true' } },
          },
        ],
      },
    });
    template.hasOutput('SandboxRcpId', {});
  });

  it('makes no SkillProof exception when SkillProof runs inside the organisation', () => {
    const inside = Template.fromStack(new SandboxOrgStack(new App(), 'Inside', { parentId: 'r-ab12', organizationId: 'o-a1b2c3d4e5', allowedRegions: ['eu-west-1'], tasks, accounts: [] }));
    const [rcp] = Object.values(inside.findResources('AWS::Organizations::Policy', { Properties: { Type: 'RESOURCE_CONTROL_POLICY' } })) as { Properties: { Content: { Statement: { Sid: string; Resource?: string }[] } } }[];
    expect(rcp!.Properties.Content.Statement.map((st) => st.Sid)).toEqual(['OnlyTheOrganizationAssumesRoles', 'OnlyTheOrganizationUsesResources', 'ServicesActOnlyForTheOrganization']);
    expect(rcp!.Properties.Content.Statement[0]!.Resource).toBe('*');
    expect(JSON.stringify(rcp)).not.toContain('aws:PrincipalAccount');
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

  it('refuses two accounts with one e-mail address, an empty region list, and ids that are not ids', () => {
    const props = { parentId: 'r-ab12', organizationId: 'o-a1b2c3d4e5', tasks, allowedRegions: ['eu-west-1'], accounts: [] };
    expect(() => new SandboxOrgStack(new App(), 'C', { ...props, organizationId: 'r-ab12' })).toThrow(/organizationId must be the organisation's id/);
    expect(() => new SandboxOrgStack(new App(), 'D', { ...props, skillproofAccountId: 'arn:aws:iam::999988887777:root' })).toThrow(/skillproofAccountId must be a 12-digit account id/);
    expect(() => new SandboxOrgStack(new App(), 'A', { ...props, accounts: [{ name: 'a', email: 'x@example.com' }, { name: 'b', email: 'X@example.com' }] })).toThrow(/own e-mail/);
    expect(() => new SandboxOrgStack(new App(), 'B', { ...props, allowedRegions: [] })).toThrow(/at least one region/);
  });
});
