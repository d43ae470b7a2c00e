import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { maxSessionSeconds } from '../../cdk/lib/sandbox-naming';
import { parseSandboxOutputs, SANDBOX_OUTPUT_FIELDS, outputKey } from '../../cdk/lib/sandbox-outputs';
import { BUDGET_TAIL_DAYS, leaseBudgetPeriod } from '../../cdk/lib/task-sandbox-stack';
import { loadCatalog } from '../../src/catalog/load';
import { buildSandbox, type BuiltSandbox } from './build-sandbox';
import { ordersApiLike, parse, queueWorkerLike } from './sample-tasks';

const orders = parse(ordersApiLike);
const queue = parse(queueWorkerLike);

/** IAM's size limits, counted as IAM does: the policy JSON without whitespace. */
const MANAGED_POLICY_MAX = 6144;
const ROLE_INLINE_MAX = 10240;

let single: BuiltSandbox;
let assessment: BuiltSandbox;
let template: Template;

beforeAll(() => {
  single = buildSandbox([orders], 't1', { graderPrincipalArn: 'arn:aws:iam::999988887777:role/skillproof-grading', candidatePrincipalArn: 'arn:aws:iam::999988887777:role/skillproof-hub' });
  assessment = buildSandbox([orders, queue], 'assessment-7f3a');
  template = Template.fromJSON(single.template as unknown as Record<string, unknown>);
});

const statement = (sid: string, body: Record<string, unknown> = {}) => Match.objectLike({ Sid: sid, ...body });

describe('TaskSandboxStack', () => {
  describe('asset-free, one CreateStack call', () => {
    it('has no asset parameters and no bootstrap-version rule: its only parameter is FreezeAt', () => {
      for (const { template: t } of [single, assessment]) {
        expect(Object.keys(t.Parameters ?? {})).toEqual(['FreezeAt']);
        expect(t.Rules).toBeUndefined();
        expect(JSON.stringify(t)).not.toMatch(/BootstrapVersion|AssetParameters|cdk-hnb659fds|CDKMetadata/);
      }
    });

    it('ships Lambda code inline (ZipFile) within the 4096-character limit', () => {
      const functions = Object.values(single.template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) {
        const code = fn.Properties?.Code as { ZipFile?: string };
        expect(Object.keys(code)).toEqual(['ZipFile']);
        expect(code.ZipFile!.length).toBeLessThan(4096);
      }
    });

    it('fits in a CreateStack TemplateBody (51,200 bytes)', () => {
      expect(Buffer.byteLength(JSON.stringify(assessment.template))).toBeLessThan(51_200);
    });

    it('is named after the attempt and tags every taggable resource with it', () => {
      expect(single.stack.stackName).toBe('skillproof-t1');
      template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'skillproof-t1-candidate', Tags: [{ Key: 'skillproof:attempt', Value: 't1' }] });
      template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/orders/currency', Tags: { 'skillproof:attempt': 't1' } });
      template.hasResourceProperties('AWS::S3::Bucket', { Tags: [{ Key: 'skillproof:attempt', Value: 't1' }] });
      template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'skillproof-t1-products', Tags: [{ Key: 'skillproof:attempt', Value: 't1' }] });
    });
  });

  describe('CandidateRole', () => {
    it('is trusted by the hub, bounded by CandidateBoundary, and lasts the time limit', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'skillproof-t1-candidate',
        Path: '/skillproof/',
        MaxSessionDuration: 5400,
        PermissionsBoundary: { Ref: Match.stringLikeRegexp('^CandidateBoundary') },
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { AWS: 'arn:aws:iam::999988887777:role/skillproof-hub' } })] },
      });
    });

    it('clamps the maximum session to what IAM allows', () => {
      expect(maxSessionSeconds(10)).toBe(3600);
      expect(maxSessionSeconds(90)).toBe(5400);
      expect(maxSessionSeconds(24 * 60)).toBe(43200);
    });

    it('gets the blueprint services, IAM only for boundaried roles under /candidate/, and an expiry deny', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'skillproof-t1-candidate',
        Policies: [
          {
            PolicyName: 'access',
            PolicyDocument: {
              Statement: Match.arrayWith([
                statement('BlueprintServices', { Action: ['apigateway:*', 'cloudformation:*', 'dynamodb:*', 'lambda:*', 'logs:*', 'xray:*'], Resource: '*' }),
                statement('RolesOnlyWithBoundary', {
                  Action: Match.arrayWith(['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePermissionsBoundary']),
                  Condition: { StringEquals: { 'iam:PermissionsBoundary': Match.anyValue() } },
                }),
                statement('CandidatePathRoles', { Action: Match.arrayWith(['iam:PassRole']) }),
                statement('Expired', { Effect: 'Deny', Action: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': { 'Fn::Join': ['', [{ Ref: 'FreezeAt' }, 'Z']] } } } }),
              ]),
            },
          },
        ],
      });
      expect(JSON.stringify(single.resolved.find('AWS::IAM::Role', 'CandidateRole').resource)).not.toContain('"iam:*"');
    });
  });

  describe('CandidateBoundary', () => {
    it('denies the blueprint denials, SkillProof resources, reserved tags, boundary removal and other regions', () => {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        ManagedPolicyName: 'skillproof-t1-boundary',
        Path: '/skillproof/',
        PolicyDocument: {
          Statement: Match.arrayWith([
            statement('BlueprintDenied', { Effect: 'Deny', Action: 'lambda:CreateFunctionUrlConfig' }),
            statement('ProtectSkillProofResources', {
              Effect: 'Deny',
              NotAction: Match.arrayWith(['iam:Get*', 's3:GetObject', 'dynamodb:GetItem']),
              Resource: Match.arrayWith(['arn:*:iam::*:role/skillproof/*', 'arn:*:iam::*:policy/skillproof/*', 'arn:*:cloudformation:*:*:stack/skillproof-*']),
            }),
            statement('ProtectTaggedResources', { Effect: 'Deny', Condition: { Null: { 'aws:ResourceTag/skillproof:attempt': 'false' } } }),
            statement('ReservedTagKeys', { Effect: 'Deny', Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': ['skillproof:*'] } } }),
            statement('KeepBoundaries', { Effect: 'Deny', Action: Match.arrayWith(['iam:DeleteRolePermissionsBoundary']) }),
            statement('RegionLock', { Effect: 'Deny', NotAction: Match.arrayWith(['iam:*', 'sts:*']), Condition: { StringNotEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } } }),
          ]),
        },
      });
    });

    it('stays within IAM and CloudFormation size limits for every catalog task at once, with the longest attempt id', () => {
      const long = buildSandbox([...loadCatalog().all().map((e) => e.task), orders, queue], 'a'.repeat(40));
      expect(Buffer.byteLength(JSON.stringify(long.template))).toBeLessThan(51_200);
      const minified = (value: unknown) => JSON.stringify(long.resolved.resolve(value)).length;
      const boundary = long.resolved.find('AWS::IAM::ManagedPolicy', 'CandidateBoundary').resource;
      expect(minified(boundary.Properties?.PolicyDocument)).toBeLessThan(MANAGED_POLICY_MAX);
      const role = long.resolved.find('AWS::IAM::Role', 'CandidateRole').resource;
      expect(minified(role.Properties?.Policies)).toBeLessThan(ROLE_INLINE_MAX);
    });
  });

  describe('GraderRole', () => {
    it('is trusted only by the grading principal presenting the external id', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'skillproof-t1-grader',
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::999988887777:role/skillproof-grading' },
              Condition: { StringEquals: { 'sts:ExternalId': 'ext-0123456789abcdef' } },
            },
          ],
        },
      });
    });

    it("holds exactly the blueprint's reads, its probes, and the sandbox stack's outputs", () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'skillproof-t1-grader',
        Policies: [
          {
            PolicyName: 'grading',
            PolicyDocument: {
              Statement: [
                { Sid: 'Reads', Effect: 'Allow', Action: [...orders.blueprint.grader.reads].sort(), Resource: '*' },
                { Sid: 'SandboxOutputs', Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } },
                { Sid: 'Probes', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' },
              ],
            },
          },
        ],
      });
    });

    it('holds a probe only on the resources the blueprint names for it', () => {
      const scoped = parse({
        ...ordersApiLike,
        id: 'scoped-probes',
        blueprint: {
          ...ordersApiLike.blueprint,
          grader: {
            reads: ['sqs:GetQueueUrl'],
            probes: ['sqs:SendMessage', 'sqs:ReceiveMessage'],
            probeResources: { 'sqs:SendMessage': ['arn:aws:sqs:{region}:{account}:orders-queue'], 'sqs:ReceiveMessage': ['arn:aws:sqs:{region}:{account}:skillproof-{attempt}-dlq'] },
          },
        },
      });
      const built = Template.fromStack(buildSandbox([scoped], 'scoped-1').stack);
      const role = Object.values(built.findResources('AWS::IAM::Role', { Properties: { RoleName: 'skillproof-scoped-1-grader' } }))[0] as { Properties: { Policies: Array<{ PolicyDocument: { Statement: Array<{ Sid: string; Action: unknown; Resource: unknown }> } }> } };
      const probes = role.Properties.Policies[0]!.PolicyDocument.Statement.filter((st) => st.Sid.startsWith('Probes'));
      expect(probes.map((st) => [st.Action, JSON.stringify(st.Resource)]).sort()).toEqual([
        ['sqs:ReceiveMessage', JSON.stringify({ 'Fn::Join': ['', ['arn:aws:sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':skillproof-scoped-1-dlq']] })],
        ['sqs:SendMessage', JSON.stringify({ 'Fn::Join': ['', ['arn:aws:sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':orders-queue']] })],
      ]);
    });
  });

  describe('seeds', () => {
    it('writes S3 objects and DynamoDB items through the inline seed function, tagged with the attempt', () => {
      template.resourceCountIs('Custom::SkillProofSeed', 3);
      template.hasResourceProperties('Custom::SkillProofSeed', {
        Kind: 's3-object',
        Key: 'products.json',
        Body: '[{"sku":"a1"}]',
        ContentType: 'application/json',
        Tagging: 'skillproof%3Aattempt=t1',
      });
      template.hasResourceProperties('Custom::SkillProofSeed', {
        Kind: 'dynamodb-item',
        Key: '{"sku":{"S":"a1"}}',
        Item: '{"sku":{"S":"a1"},"price":{"N":"12.5"}}',
      });
      template.hasResourceProperties('AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: 'sku', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' });
    });

    it('gives the seed function write access to the seeded bucket and table only', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'skillproof-t1-seed',
        Policies: [
          {
            PolicyDocument: {
              Statement: Match.arrayWith([
                Match.objectLike({ Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'] }),
                Match.objectLike({ Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SeedsTableproducts'), 'Arn'] } }),
              ]),
            },
          },
        ],
      });
    });

    it('rejects a table whose items disagree on the key type', () => {
      const bad = parse({
        ...ordersApiLike,
        blueprint: {
          ...ordersApiLike.blueprint,
          seed: [
            { kind: 'dynamodb-item', tableLogicalId: 'products', item: { sku: 'a1' } },
            { kind: 'dynamodb-item', tableLogicalId: 'products', item: { sku: 7 } },
          ],
        },
      });
      expect(() => buildSandbox([bad], 'bad-seeds')).toThrow(/key "sku" is a string in one item and a number in another/);
    });
  });

  describe('seeded user pool (agentic-agentcore-runtime)', () => {
    let idp: BuiltSandbox;
    let idpTemplate: Template;
    beforeAll(() => {
      const entry = loadCatalog().get('agentic-agentcore-runtime');
      idp = buildSandbox([{ id: entry.task.id, blueprint: entry.task.blueprint, timeLimitMinutes: entry.task.timeLimitMinutes }], 'att-9');
      idpTemplate = Template.fromJSON(idp.template as unknown as Record<string, unknown>);
    });

    it('creates a tagged pool named skillproof-<attempt>-<logical id> without sign-up, and a hosted domain unique to the stack', () => {
      idpTemplate.hasResourceProperties('AWS::Cognito::UserPool', {
        UserPoolName: 'skillproof-att-9-helpdesk-idp',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UserPoolTags: Match.objectLike({ 'skillproof:attempt': 'att-9' }),
      });
      const domain = Object.values(idp.template.Resources).find((r) => r.Type === 'AWS::Cognito::UserPoolDomain')!;
      expect(String(idp.resolved.resolve(domain.Properties!.Domain))).toMatch(/^skillproof-helpdesk-idp-[0-9a-f]{8}$/);
    });

    it('gives each app client a secret, only the client-credentials grant and only its own scope', () => {
      idpTemplate.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { Identifier: 'helpdesk-tools', Scopes: [{ ScopeName: 'invoke', ScopeDescription: 'invoke' }, { ScopeName: 'reports', ScopeDescription: 'reports' }] });
      for (const [name, scope] of [['helpdesk-agent', 'invoke'], ['helpdesk-reporting', 'reports']]) {
        idpTemplate.hasResourceProperties('AWS::Cognito::UserPoolClient', {
          ClientName: name,
          GenerateSecret: true,
          AllowedOAuthFlows: ['client_credentials'],
          AllowedOAuthFlowsUserPoolClient: true,
          AllowedOAuthScopes: [{ 'Fn::Join': ['', [{ Ref: Match.stringLikeRegexp('ResourceServer') }, `/${scope}`]] }],
        });
      }
    });

    it('reports the pool id in the Seeds output, and has no cdk-nag finding left unexplained', () => {
      const seeds = idp.template.Outputs!.Seeds!;
      expect(JSON.stringify(seeds.Value)).toContain('"userPools\\":{\\"helpdesk-idp\\":');
      const report = new AwsSolutionsChecks().validateScope(idp.stack);
      expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
    });

    it('refuses a client granted a scope the resource server does not define', () => {
      const bad = parse({
        ...ordersApiLike,
        blueprint: { ...ordersApiLike.blueprint, seed: [{ kind: 'cognito-user-pool', logicalId: 'idp', resourceServer: { identifier: 'api', scopes: ['read'] }, clients: [{ name: 'app', scopes: ['write'] }] }] },
      });
      expect(() => buildSandbox([bad], 'bad-pool')).toThrow(/client "app" is granted scope "write", which resource server api does not define/);
    });
  });

  describe('budget and expiry', () => {
    const epoch = (iso: string) => String(Date.parse(iso) / 1000);

    it('counts the lease alone: one custom period from the lease start to two weeks after the time limit', () => {
      // The orders task has 90 minutes: the lease began at 10:30 for a freeze at 12:00.
      template.hasResourceProperties('AWS::Budgets::Budget', {
        Budget: {
          BudgetName: 'skillproof-t1',
          BudgetType: 'COST',
          TimeUnit: 'CUSTOM',
          TimePeriod: { Start: epoch('2030-01-01T10:30:00Z'), End: epoch('2030-01-15T12:00:00Z') },
          BudgetLimit: { Amount: 10, Unit: 'USD' },
        },
      });
      expect(BUDGET_TAIL_DAYS).toBe(14);
    });

    it('covers a lease across a month end with one budget that does not reset on the 1st', () => {
      const lease = buildSandbox([orders], 'month-end', { leaseStart: new Date('2030-01-31T23:15:00Z'), timeLimitMinutes: 120 });
      const budgets = Object.values(lease.template.Resources).filter((r) => r.Type === 'AWS::Budgets::Budget');
      expect(budgets).toHaveLength(1);
      const budget = budgets[0]!.Properties!.Budget as { TimeUnit: string; TimePeriod: { Start: string; End: string }; BudgetLimit: { Amount: number } };
      expect(budget.TimeUnit).toBe('CUSTOM');
      expect(budget.BudgetLimit.Amount).toBe(10);
      const [start, end] = [Number(budget.TimePeriod.Start) * 1000, Number(budget.TimePeriod.End) * 1000];
      expect(new Date(start).toISOString()).toBe('2030-01-31T23:15:00.000Z');
      // The whole lease, freeze included, lies inside the one period, which runs on past 1 February.
      expect(start).toBeLessThanOrEqual(Date.parse('2030-01-31T23:15:00Z'));
      expect(end).toBeGreaterThan(Date.parse('2030-02-01T01:15:00Z'));
      expect(end).toBe(Date.parse('2030-02-15T01:15:00Z'));
    });

    it('works out the period in epoch seconds and refuses a lease start that is no date', () => {
      expect(leaseBudgetPeriod(new Date('2030-03-31T22:00:00.900Z'), 90)).toEqual({ start: epoch('2030-03-31T22:00:00Z'), end: epoch('2030-04-14T23:30:00Z') });
      expect(() => leaseBudgetPeriod(new Date('not a date'), 90)).toThrow('leaseStart is not a valid date');
    });

    it('alerts at 80 % of the budget and freezes the candidate role at 100 %', () => {
      template.hasResourceProperties('AWS::Budgets::Budget', {
        Budget: { BudgetName: 'skillproof-t1', BudgetType: 'COST', BudgetLimit: { Amount: 10, Unit: 'USD' } },
        NotificationsWithSubscribers: [
          {
            Notification: { NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 80, ThresholdType: 'PERCENTAGE' },
            Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: Match.stringLikeRegexp('^BudgetTopic') } }],
          },
        ],
      });
      template.hasResourceProperties('AWS::Budgets::BudgetsAction', {
        ActionType: 'APPLY_IAM_POLICY',
        ActionThreshold: { Type: 'PERCENTAGE', Value: 100 },
        ApprovalModel: 'AUTOMATIC',
        Definition: { IamActionDefinition: { PolicyArn: { Ref: Match.stringLikeRegexp('^FreezePolicy') }, Roles: [{ Ref: Match.stringLikeRegexp('^CandidateRole') }] } },
      });
    });

    it('sums the budgets of an assessment', () => {
      Template.fromJSON(assessment.template as unknown as Record<string, unknown>).hasResourceProperties('AWS::Budgets::Budget', { Budget: { BudgetLimit: { Amount: 15 } } });
    });

    it('attaches the deny-all freeze policy to CandidateRole at FreezeAt with a one-time schedule and no code', () => {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        ManagedPolicyName: 'skillproof-t1-freeze',
        PolicyDocument: { Statement: [{ Sid: 'Frozen', Effect: 'Deny', Action: '*', Resource: '*' }] },
      });
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: { 'Fn::Join': ['', ['at(', { Ref: 'FreezeAt' }, ')']] },
        ScheduleExpressionTimezone: 'UTC',
        Target: { Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:::aws-sdk:iam:attachRolePolicy']] } },
      });
      const target = single.resolved.resolve(single.resolved.find('AWS::Scheduler::Schedule').resource.Properties?.Target) as { Input: string };
      const input = JSON.parse(target.Input) as unknown;
      expect(input).toEqual({ RoleName: 'skillproof-t1-candidate', PolicyArn: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-t1-freeze' });
    });

    it('lets the scheduler and AWS Budgets attach the freeze policy and nothing else', () => {
      for (const name of ['skillproof-t1-expiry', 'skillproof-t1-budget']) {
        template.hasResourceProperties('AWS::IAM::Role', {
          RoleName: name,
          Policies: [
            {
              PolicyDocument: {
                Statement: [
                  {
                    Action: 'iam:AttachRolePolicy',
                    Effect: 'Allow',
                    Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CandidateRole'), 'Arn'] },
                    Condition: { ArnEquals: { 'iam:PolicyARN': { Ref: Match.stringLikeRegexp('^FreezePolicy') } } },
                  },
                ],
              },
            },
          ],
        });
      }
    });
  });

  describe('outputs', () => {
    it('has one output per field of the shared schema, which parses back once deployed', () => {
      expect(Object.keys(single.template.Outputs ?? {}).sort()).toEqual(SANDBOX_OUTPUT_FIELDS.map(outputKey).sort());
      const deployed = Object.entries(single.template.Outputs ?? {}).map(([key, o]) => ({ OutputKey: key, OutputValue: String(single.resolved.resolve(o.Value)) }));
      const outputs = parseSandboxOutputs(deployed, 'skillproof-t1');
      expect(outputs).toMatchObject({
        attemptId: 't1',
        region: 'eu-west-1',
        candidateRoleArn: 'arn:aws:iam::111122223333:role/skillproof/skillproof-t1-candidate',
        candidateBoundaryArn: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-t1-boundary',
        candidateRolePath: '/candidate/',
        graderRoleArn: 'arn:aws:iam::111122223333:role/skillproof/skillproof-t1-grader',
        expiresAt: '2030-01-01T12:00:00Z',
        maxSessionSeconds: 5400,
        seeds: { parameters: { '/orders/currency': 'arn:aws:ssm:eu-west-1:111122223333:parameter/orders/currency' }, tables: { products: 'skillproof-t1-products' } },
      });
      expect(outputs.seeds.buckets.catalog).toMatch(/^skillproof-t1-/);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has no finding left unexplained', () => {
      for (const built of [single, assessment]) {
        const report = new AwsSolutionsChecks().validateScope(built.stack);
        expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
      }
    });
  });

  describe('input checks', () => {
    it('rejects an attempt id that cannot name IAM roles', () => {
      expect(() => buildSandbox([orders], 'Attempt_1')).toThrow(/attempt id "Attempt_1" cannot name a sandbox/);
      expect(() => buildSandbox([orders], 'a'.repeat(41))).toThrow(/1-40 lower-case/);
    });

    it('rejects an external id STS would not accept', () => {
      expect(() => buildSandbox([orders], 'x1', { externalId: 'has spaces' })).toThrow(/externalId must be/);
    });
  });
});
