import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { catchHandlers, mainPathTasks, parseDefinition } from '../../graders/lib/step-functions';
import { ServerlessOrderWorkflowSolution } from '../../tasks/serverless-order-workflow/solution/serverless-order-workflow-solution';

type Resource = { Properties: Record<string, unknown> };

/** The definition with its tokens (the function ARN) replaced by a placeholder, as the service would see it after deployment. */
function definitionText(definitionString: unknown): string {
  if (typeof definitionString === 'string') return definitionString;
  const [, parts] = (definitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((p) => (typeof p === 'string' ? p : 'arn:aws:lambda:eu-west-1:111122223333:function:resolved')).join('');
}

describe('serverless-order-workflow reference solution', () => {
  const stack = new Stack(new App(), 'OrderWorkflowSolution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new ServerlessOrderWorkflowSolution(stack, 'OrderWorkflow', { permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-att-1-boundary' });
  const template = Template.fromStack(stack);

  it('creates every role (function, state machine, events target) under /candidate/ with the sandbox boundary', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThanOrEqual(3);
    for (const role of roles) expect(role.Properties).toMatchObject({ Path: '/candidate/', PermissionsBoundary: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-att-1-boundary' });
  });

  it('creates the custom bus orders-bus', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'orders-bus' });
  });

  it('creates a Standard state machine order-workflow that logs ALL to a log group and is traced', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'order-workflow',
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }] },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('covers every task on the normal path with a Retry and a Catch, as the grader reads them', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Resource[];
    const parsed = parseDefinition(definitionText(machine!.Properties.DefinitionString));
    if (!parsed.ok) throw new Error(parsed.reason);
    const tasks = mainPathTasks(parsed.definition);
    expect(tasks.map((t) => [t.path, t.retried, t.caught])).toEqual([['ProcessOrder', true, true]]);
    expect([...catchHandlers(parsed.definition)]).toEqual(['RejectOrder']);
  });

  it('routes exactly OrderPlaced events from shop.orders on orders-bus to the workflow, with a DLQ and a retry policy', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('OrdersBus') },
      State: 'ENABLED',
      EventPattern: { source: ['shop.orders'], 'detail-type': ['OrderPlaced'] },
      Targets: [
        {
          Arn: { Ref: Match.stringLikeRegexp('OrderWorkflow') },
          RoleArn: Match.anyValue(),
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('OrderEventsDlq'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
        },
      ],
    });
  });

  it('lets EventBridge send this rule\'s failed events to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('OrderPlacedRule'), 'Arn'] } } },
          }),
        ],
      },
    });
  });

  it('gives the events role states:StartExecution on this state machine and nothing else', () => {
    const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'events.amazonaws.com' } })] } } });
    const roleIds = Object.keys(roles);
    expect(roleIds).toHaveLength(1);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    const attached = policies.filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleIds[0]));
    expect(attached.map((p) => (p.Properties.PolicyDocument as { Statement: unknown[] }).Statement)).toEqual([
      [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: expect.stringMatching(/OrderWorkflow/) } }],
    ]);
  });
});
