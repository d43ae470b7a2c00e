import * as apigw from '@aws-sdk/client-api-gateway';
import * as apigwv2 from '@aws-sdk/client-apigatewayv2';
import * as bedrock from '@aws-sdk/client-bedrock';
import * as agent from '@aws-sdk/client-bedrock-agent';
import * as agentcore from '@aws-sdk/client-bedrock-agentcore-control';
import * as cc from '@aws-sdk/client-cloudcontrol';
import * as cfn from '@aws-sdk/client-cloudformation';
import * as cw from '@aws-sdk/client-cloudwatch';
import * as logs from '@aws-sdk/client-cloudwatch-logs';
import * as codebuild from '@aws-sdk/client-codebuild';
import * as codedeploy from '@aws-sdk/client-codedeploy';
import * as cognito from '@aws-sdk/client-cognito-identity-provider';
import * as ddb from '@aws-sdk/client-dynamodb';
import * as ecr from '@aws-sdk/client-ecr';
import * as events from '@aws-sdk/client-eventbridge';
import * as iam from '@aws-sdk/client-iam';
import * as lambda from '@aws-sdk/client-lambda';
import * as aoss from '@aws-sdk/client-opensearchserverless';
import * as tagging from '@aws-sdk/client-resource-groups-tagging-api';
import * as s3 from '@aws-sdk/client-s3';
import * as s3vectors from '@aws-sdk/client-s3vectors';
import * as sfn from '@aws-sdk/client-sfn';
import * as sns from '@aws-sdk/client-sns';
import * as sqs from '@aws-sdk/client-sqs';
import * as xray from '@aws-sdk/client-xray';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { awsError, handler, SimStore, type SimResource } from './sim-store';

/**
 * Mocked SDK clients answering from a SimStore, for every call the cleaner and the verifier make. Each
 * handler is typed by the SDK's input and output types. Deletion rules follow the AWS API references:
 * IAM refuses to delete a role with policies or a policy still attached (DeleteConflict); S3 a bucket that
 * is not empty (BucketNotEmpty); S3 Vectors a vector bucket with indexes; EventBridge a rule with targets;
 * Cognito a pool with a domain; AgentCore a gateway with targets. Tables, agents, knowledge bases, data
 * sources, collections, runtimes, gateways, memories, state machines and event source mappings are deleted
 * asynchronously: they read as DELETING once before they are gone. Lists answer two items per page, so
 * every caller must paginate.
 */

const PAGE = 2;
const EPOCH = new Date('2030-01-01T00:00:00Z');

/** One page of `items` from `token` (an index), and the next token. */
function paged<T>(items: T[], token: string | undefined): { page: T[]; next: string | undefined } {
  const start = token ? Number(token) : 0;
  const next = start + PAGE < items.length ? String(start + PAGE) : undefined;
  return { page: items.slice(start, start + PAGE), next };
}

const MUTABLE_TYPES_REQUIRING_PARENT = new Set([
  'AWS::Lambda::Alias',
  'AWS::Lambda::Version',
  'AWS::Lambda::Permission',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::Bedrock::AgentAlias',
  'AWS::Bedrock::DataSource',
  'AWS::Bedrock::GuardrailVersion',
  'AWS::S3Vectors::Index',
  'AWS::BedrockAgentCore::GatewayTarget',
  'AWS::BedrockAgentCore::RuntimeEndpoint',
  'AWS::Cognito::UserPoolClient',
  'AWS::Cognito::UserPoolDomain',
  'AWS::SNS::Subscription',
  'AWS::CodeDeploy::DeploymentGroup',
  'AWS::Events::Target',
]);

/** Every mocked client, so tests can reset and restore them together. */
export interface SimAccount {
  store: SimStore;
  restore(): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStub = AwsStub<any, any, any>;

export function simulateAccount(store: SimStore): SimAccount {
  const stubs: AnyStub[] = [];
  const mock = (client: Parameters<typeof mockClient>[0]) => {
    const stub = mockClient(client) as AnyStub;
    stubs.push(stub);
    return handler(store, stub);
  };
  const account = store.accountId;
  const regional = (service: string, resource: string) => `arn:aws:${service}:${store.region}:${account}:${resource}`;
  const status = (r: SimResource, live: string, deleting = 'DELETING') => (r.deletingPolls !== undefined ? deleting : ((r.state.status as string | undefined) ?? live));
  const readable = (r: SimResource | undefined, code: string) => {
    if (!r || store.poll(r) === 'gone') throw awsError(code, 'not found', 404);
    return r;
  };

  // CloudFormation
  const cf = mock(cfn.CloudFormationClient);
  const stackOf = (name: string | undefined) => store.list('AWS::CloudFormation::Stack').find((s) => s.id === name || s.state.name === name);
  const stackView = (s: SimResource): cfn.Stack => ({
    StackId: s.id,
    StackName: s.state.name as string,
    CreationTime: EPOCH,
    StackStatus: s.state.status as cfn.StackStatus,
    Tags: Object.entries(s.state.stackTags as Record<string, string>).map(([Key, Value]) => ({ Key, Value })),
    EnableTerminationProtection: Boolean(s.state.terminationProtection),
  });
  cf(cfn.ListStacksCommand, (input) => {
    const { page, next } = paged(store.list('AWS::CloudFormation::Stack').filter((s) => s.state.status !== 'DELETE_COMPLETE'), input.NextToken);
    return { StackSummaries: page.map((s) => ({ StackId: s.id, StackName: s.state.name as string, CreationTime: EPOCH, StackStatus: s.state.status as cfn.StackStatus })), NextToken: next };
  });
  cf(cfn.DescribeStacksCommand, (input) => {
    const s = stackOf(input.StackName);
    if (!s) throw awsError('ValidationError', `Stack with id ${input.StackName} does not exist`);
    const view = stackView(s);
    // A deletion reads DELETE_IN_PROGRESS once, then its outcome.
    if (s.state.status === 'DELETE_IN_PROGRESS') s.state.status = s.state.nextStatus;
    return { Stacks: [view] };
  });
  const stackMembers = (s: SimResource) => [...store.resources.values()].filter((r) => r.stackId === s.id && r.type !== 'AWS::CloudFormation::Stack');
  cf(cfn.ListStackResourcesCommand, (input) => {
    const s = stackOf(input.StackName);
    if (!s) throw awsError('ValidationError', `Stack with id ${input.StackName} does not exist`);
    const failing = (s.state.failing as string[] | undefined) ?? [];
    const { page, next } = paged(stackMembers(s), input.NextToken);
    return {
      StackResourceSummaries: page.map((r) => ({
        LogicalResourceId: (r.state.logicalId as string | undefined) ?? r.id,
        PhysicalResourceId: r.id,
        ResourceType: r.type,
        LastUpdatedTimestamp: EPOCH,
        ResourceStatus: (s.state.status === 'DELETE_FAILED' && failing.includes(r.id) ? 'DELETE_FAILED' : 'CREATE_COMPLETE') as cfn.ResourceStatus,
        ...(failing.includes(r.id) ? { ResourceStatusReason: s.state.failReason as string } : {}),
      })),
      NextToken: next,
    };
  });
  cf(cfn.DeleteStackCommand, (input) => {
    const s = stackOf(input.StackName);
    if (!s) return {};
    if (s.state.terminationProtection) throw awsError('ValidationError', 'Stack cannot be deleted while TerminationProtection is enabled');
    const failing = ((s.state.failing as string[] | undefined) ?? []).filter((id) => !(input.RetainResources ?? []).includes(stackMembers(s).find((r) => r.id === id)?.state.logicalId as string));
    const retained = stackMembers(s).filter((r) => (input.RetainResources ?? []).includes(r.state.logicalId as string));
    s.state.status = 'DELETE_IN_PROGRESS';
    if (failing.length > 0 && !s.state.failsForever) {
      s.state.nextStatus = 'DELETE_FAILED';
      return {};
    }
    if (s.state.failsForever) {
      s.state.nextStatus = 'DELETE_FAILED';
      return {};
    }
    for (const r of stackMembers(s)) {
      if (retained.includes(r)) delete r.stackId;
      else store.remove(r);
    }
    s.state.nextStatus = 'DELETE_COMPLETE';
    return {};
  });
  cf(cfn.UpdateTerminationProtectionCommand, (input) => {
    const s = stackOf(input.StackName);
    if (s) s.state.terminationProtection = input.EnableTerminationProtection;
    return { StackId: s?.id };
  });
  cf(cfn.CancelUpdateStackCommand, () => ({}));
  cf(cfn.ListTypesCommand, (input) => {
    if (input.ProvisioningType !== 'FULLY_MUTABLE') return { TypeSummaries: [] };
    const prefix = input.Filters?.TypeNamePrefix ?? '';
    const names = [...new Set([...store.registry, ...[...store.resources.values()].map((r) => r.type)])].filter((t) => t.startsWith(prefix) && !t.startsWith('AWS::IAM::')).sort();
    const { page, next } = paged(names, input.NextToken);
    return { TypeSummaries: page.map((TypeName) => ({ TypeName, Type: 'RESOURCE' })), NextToken: next };
  });

  // Cloud Control and the tagging API: the verifier's views of the same store.
  const control = mock(cc.CloudControlClient);
  control(cc.ListResourcesCommand, (input) => {
    const type = input.TypeName ?? '';
    if (MUTABLE_TYPES_REQUIRING_PARENT.has(type)) throw awsError('InvalidRequestException', `Missing Or Invalid ResourceModel property in ${type} list handler request input`);
    const live = store.list(type).filter((r) => !r.parent && r.state.status !== 'DELETE_COMPLETE');
    const { page, next } = paged(live, input.NextToken);
    return { TypeName: type, ResourceDescriptions: page.map((r) => ({ Identifier: r.id, Properties: '{}' })), NextToken: next };
  });
  control(cc.GetResourceCommand, (input) => {
    const r = store.find(input.TypeName ?? '', input.Identifier);
    if (!r || r.state.status === 'DELETE_COMPLETE') throw awsError('ResourceNotFoundException', `${input.TypeName} ${input.Identifier} not found`);
    return { TypeName: r.type, ResourceDescription: { Identifier: r.id, Properties: JSON.stringify({ Arn: r.arn }) } };
  });
  mock(tagging.ResourceGroupsTaggingAPIClient)(tagging.GetResourcesCommand, (input) => {
    const tagged = [...[...store.resources.values()].filter((r) => Object.keys(r.tags).length > 0 && !r.type.startsWith('AWS::IAM::') && r.state.status !== 'DELETE_COMPLETE').map((r) => ({ arn: r.arn, tags: r.tags })), ...store.staleTagged];
    const { page, next } = paged(tagged, input.PaginationToken);
    return { ResourceTagMappingList: page.map((t) => ({ ResourceARN: t.arn, Tags: Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value })) })), PaginationToken: next ?? '' };
  });

  // Lambda
  const lam = mock(lambda.LambdaClient);
  const fnType = 'AWS::Lambda::Function';
  lam(lambda.ListFunctionsCommand, (input) => {
    const { page, next } = paged(store.list(fnType), input.Marker);
    return { Functions: page.map((r) => ({ FunctionName: r.id, FunctionArn: r.arn })), NextMarker: next };
  });
  lam(lambda.ListEventSourceMappingsCommand, (input) => {
    const { page, next } = paged(store.list('AWS::Lambda::EventSourceMapping'), input.Marker);
    return { EventSourceMappings: page.map((r) => ({ UUID: r.id, EventSourceMappingArn: r.arn, FunctionArn: r.state.functionArn as string, State: status(r, 'Enabled', 'Deleting') })), NextMarker: next };
  });
  lam(lambda.GetEventSourceMappingCommand, (input) => {
    const r = readable(store.find('AWS::Lambda::EventSourceMapping', input.UUID), 'ResourceNotFoundException');
    return { UUID: r.id, State: status(r, 'Enabled', 'Deleting') };
  });
  lam(lambda.DeleteEventSourceMappingCommand, (input) => {
    const r = store.get('AWS::Lambda::EventSourceMapping', input.UUID, 'ResourceNotFoundException', 404);
    store.remove(r, 1);
    return { UUID: r.id, State: 'Deleting' };
  });
  lam(lambda.ListFunctionUrlConfigsCommand, () => ({ FunctionUrlConfigs: [] }));
  lam(lambda.ListProvisionedConcurrencyConfigsCommand, () => ({ ProvisionedConcurrencyConfigs: [] }));
  lam(lambda.ListAliasesCommand, (input) => {
    const fn = store.get(fnType, input.FunctionName, 'ResourceNotFoundException', 404);
    const { page, next } = paged(store.children(fn, 'AWS::Lambda::Alias'), input.Marker);
    return { Aliases: page.map((r) => ({ Name: r.state.name as string, AliasArn: r.arn, FunctionVersion: '1' })), NextMarker: next };
  });
  lam(lambda.DeleteAliasCommand, (input) => {
    const fn = store.get(fnType, input.FunctionName, 'ResourceNotFoundException', 404);
    const alias = store.children(fn, 'AWS::Lambda::Alias').find((a) => a.state.name === input.Name);
    if (alias) store.remove(alias);
    return {};
  });
  lam(lambda.DeleteFunctionCommand, (input) => {
    store.remove(store.get(fnType, input.FunctionName, 'ResourceNotFoundException', 404));
    return {};
  });
  lam(lambda.ListLayersCommand, () => ({ Layers: [] }));
  lam(lambda.ListCodeSigningConfigsCommand, () => ({ CodeSigningConfigs: [] }));

  // EventBridge
  const ev = mock(events.EventBridgeClient);
  ev(events.ListArchivesCommand, () => ({ Archives: [] }));
  ev(events.ListEventBusesCommand, (input) => {
    // Every account has the default bus; it is AWS's.
    const buses = [{ Name: 'default', Arn: regional('events', 'event-bus/default') }, ...store.list('AWS::Events::EventBus').map((r) => ({ Name: r.id, Arn: r.arn }))];
    const { page, next } = paged(buses, input.NextToken);
    return { EventBuses: page, NextToken: next };
  });
  const rulesOn = (bus: string | undefined) => store.list('AWS::Events::Rule').filter((r) => r.state.bus === (bus ?? 'default'));
  const ruleNamed = (bus: string | undefined, name: string | undefined) => rulesOn(bus).find((r) => r.state.name === name);
  ev(events.ListRulesCommand, (input) => {
    const { page, next } = paged(rulesOn(input.EventBusName), input.NextToken);
    return { Rules: page.map((r) => ({ Name: r.state.name as string, Arn: r.arn, EventBusName: r.state.bus as string })), NextToken: next };
  });
  ev(events.ListTargetsByRuleCommand, (input) => {
    const rule = ruleNamed(input.EventBusName, input.Rule);
    if (!rule) throw awsError('ResourceNotFoundException', `Rule ${input.Rule} does not exist`);
    return { Targets: ((rule.state.targets as string[] | undefined) ?? []).map((Id) => ({ Id, Arn: regional('states', 'stateMachine:x') })) };
  });
  ev(events.RemoveTargetsCommand, (input) => {
    const rule = ruleNamed(input.EventBusName, input.Rule);
    if (rule) rule.state.targets = ((rule.state.targets as string[] | undefined) ?? []).filter((t) => !(input.Ids ?? []).includes(t));
    return { FailedEntryCount: 0, FailedEntries: [] };
  });
  ev(events.DeleteRuleCommand, (input) => {
    const rule = ruleNamed(input.EventBusName, input.Name);
    if (!rule) return {};
    if (((rule.state.targets as string[] | undefined) ?? []).length > 0) throw awsError('ValidationException', "Rule can't be deleted since it has targets.");
    store.remove(rule);
    return {};
  });
  ev(events.DeleteEventBusCommand, (input) => {
    const bus = store.find('AWS::Events::EventBus', input.Name);
    if (bus) store.remove(bus);
    return {};
  });

  // Step Functions
  const sf = mock(sfn.SFNClient);
  const smType = 'AWS::StepFunctions::StateMachine';
  sf(sfn.ListStateMachinesCommand, (input) => {
    const { page, next } = paged(store.list(smType), input.nextToken);
    return { stateMachines: page.map((r) => ({ stateMachineArn: r.id, name: r.state.name as string, type: 'STANDARD', creationDate: EPOCH })), nextToken: next };
  });
  sf(sfn.ListExecutionsCommand, (input) => {
    const machine = store.find(smType, input.stateMachineArn);
    const running = (machine?.state.running as string[] | undefined) ?? [];
    return { executions: running.map((executionArn) => ({ executionArn, stateMachineArn: machine!.id, name: 'x', status: 'RUNNING', startDate: EPOCH })) };
  });
  sf(sfn.StopExecutionCommand, (input) => {
    for (const m of store.list(smType)) m.state.running = ((m.state.running as string[] | undefined) ?? []).filter((e) => e !== input.executionArn);
    return { stopDate: EPOCH };
  });
  sf(sfn.DeleteStateMachineCommand, (input) => {
    const m = store.find(smType, input.stateMachineArn);
    if (m) store.remove(m, 1);
    return {};
  });
  sf(sfn.DescribeStateMachineCommand, (input) => {
    const m = readable(store.find(smType, input.stateMachineArn), 'StateMachineDoesNotExist');
    return { stateMachineArn: m.id, name: m.state.name as string, definition: '{}', roleArn: 'arn:aws:iam::1:role/x', type: 'STANDARD', creationDate: EPOCH, status: m.deletingPolls !== undefined ? 'DELETING' : 'ACTIVE' };
  });
  sf(sfn.ListActivitiesCommand, () => ({ activities: [] }));

  // API Gateway
  const gw = mock(apigw.APIGatewayClient);
  gw(apigw.GetUsagePlansCommand, () => ({ items: [] }));
  gw(apigw.GetApiKeysCommand, () => ({ items: [] }));
  gw(apigw.GetClientCertificatesCommand, () => ({ items: [] }));
  gw(apigw.GetRestApisCommand, (input) => {
    const { page, next } = paged(store.list('AWS::ApiGateway::RestApi'), input.position);
    return { items: page.map((r) => ({ id: r.id, name: r.state.name as string })), position: next };
  });
  gw(apigw.DeleteRestApiCommand, (input) => {
    store.remove(store.get('AWS::ApiGateway::RestApi', input.restApiId, 'NotFoundException', 404));
    return {};
  });
  gw(apigw.GetAccountCommand, () => ({ cloudwatchRoleArn: store.apiGatewayCloudWatchRole }));
  gw(apigw.UpdateAccountCommand, (input) => {
    store.apiGatewayCloudWatchRole = input.patchOperations?.[0]?.value || undefined;
    return {};
  });
  const gw2 = mock(apigwv2.ApiGatewayV2Client);
  gw2(apigwv2.GetApisCommand, (input) => {
    const { page, next } = paged(store.list('AWS::ApiGatewayV2::Api'), input.NextToken);
    return { Items: page.map((r) => ({ ApiId: r.id, Name: r.state.name as string, ProtocolType: 'HTTP', RouteSelectionExpression: '$request.method $request.path' })), NextToken: next };
  });
  gw2(apigwv2.DeleteApiCommand, (input) => {
    store.remove(store.get('AWS::ApiGatewayV2::Api', input.ApiId, 'NotFoundException', 404));
    return {};
  });

  // Bedrock Agents
  const ba = mock(agent.BedrockAgentClient);
  const agentType = 'AWS::Bedrock::Agent';
  ba(agent.ListAgentsCommand, (input) => {
    const { page, next } = paged(store.list(agentType), input.nextToken);
    return { agentSummaries: page.map((r) => ({ agentId: r.id, agentName: r.state.name as string, agentStatus: status(r, 'PREPARED') as agent.AgentStatus, updatedAt: EPOCH })), nextToken: next };
  });
  ba(agent.GetAgentCommand, (input) => {
    const r = readable(store.find(agentType, input.agentId), 'ResourceNotFoundException');
    return {
      agent: {
        agentId: r.id,
        agentName: r.state.name as string,
        agentArn: r.arn,
        agentVersion: 'DRAFT',
        agentStatus: status(r, 'PREPARED') as agent.AgentStatus,
        idleSessionTTLInSeconds: 600,
        agentResourceRoleArn: 'arn:aws:iam::1:role/candidate/agent',
        createdAt: EPOCH,
        updatedAt: EPOCH,
      },
    };
  });
  const agentChild = (type: string) => (agentId: string | undefined) => store.children(store.get(agentType, agentId, 'ResourceNotFoundException', 404), type);
  ba(agent.ListAgentCollaboratorsCommand, (input) => ({
    agentCollaboratorSummaries: agentChild('Sim::Bedrock::AgentCollaborator')(input.agentId).map((r) => ({
      agentId: input.agentId,
      agentVersion: 'DRAFT',
      collaboratorId: r.id,
      agentDescriptor: { aliasArn: r.state.aliasArn as string },
      collaborationInstruction: 'route',
      relayConversationHistory: 'DISABLED',
      collaboratorName: r.id,
      createdAt: EPOCH,
      lastUpdatedAt: EPOCH,
    })),
  }));
  ba(agent.DisassociateAgentCollaboratorCommand, (input) => {
    const c = store.find('Sim::Bedrock::AgentCollaborator', input.collaboratorId);
    if (c) store.remove(c);
    return {};
  });
  ba(agent.ListAgentAliasesCommand, (input) => {
    const { page, next } = paged(agentChild('AWS::Bedrock::AgentAlias')(input.agentId), input.nextToken);
    return { agentAliasSummaries: page.map((r) => ({ agentAliasId: r.state.aliasId as string, agentAliasName: r.state.name as string, agentAliasStatus: 'PREPARED', createdAt: EPOCH, updatedAt: EPOCH })), nextToken: next };
  });
  ba(agent.DeleteAgentAliasCommand, (input) => {
    if (input.agentAliasId === 'TSTALIASID') throw awsError('ValidationException', 'The test alias cannot be deleted');
    const alias = agentChild('AWS::Bedrock::AgentAlias')(input.agentId).find((a) => a.state.aliasId === input.agentAliasId);
    if (!alias) throw awsError('ResourceNotFoundException', 'alias not found', 404);
    store.remove(alias);
    return { agentId: input.agentId, agentAliasId: input.agentAliasId, agentAliasStatus: 'DELETING' };
  });
  ba(agent.ListAgentActionGroupsCommand, (input) => ({
    actionGroupSummaries: agentChild('Sim::Bedrock::ActionGroup')(input.agentId).map((r) => ({ actionGroupId: r.id, actionGroupName: r.state.name as string, actionGroupState: 'ENABLED', updatedAt: EPOCH })),
  }));
  ba(agent.DeleteAgentActionGroupCommand, (input) => {
    const g = store.find('Sim::Bedrock::ActionGroup', input.actionGroupId);
    if (g) store.remove(g);
    return {};
  });
  ba(agent.ListAgentKnowledgeBasesCommand, (input) => ({
    agentKnowledgeBaseSummaries: agentChild('Sim::Bedrock::AgentKnowledgeBase')(input.agentId).map((r) => ({ knowledgeBaseId: r.state.knowledgeBaseId as string, knowledgeBaseState: 'ENABLED', updatedAt: EPOCH })),
  }));
  ba(agent.DisassociateAgentKnowledgeBaseCommand, (input) => {
    for (const a of agentChild('Sim::Bedrock::AgentKnowledgeBase')(input.agentId).filter((r) => r.state.knowledgeBaseId === input.knowledgeBaseId)) store.remove(a);
    return {};
  });
  ba(agent.DeleteAgentCommand, (input) => {
    const r = store.get(agentType, input.agentId, 'ResourceNotFoundException', 404);
    store.remove(r, 1);
    return { agentId: r.id, agentStatus: 'DELETING' };
  });
  const kbType = 'AWS::Bedrock::KnowledgeBase';
  ba(agent.ListKnowledgeBasesCommand, (input) => {
    const { page, next } = paged(store.list(kbType), input.nextToken);
    return { knowledgeBaseSummaries: page.map((r) => ({ knowledgeBaseId: r.id, name: r.state.name as string, status: status(r, 'ACTIVE') as agent.KnowledgeBaseStatus, updatedAt: EPOCH })), nextToken: next };
  });
  ba(agent.ListDataSourcesCommand, (input) => ({
    dataSourceSummaries: store.children(store.get(kbType, input.knowledgeBaseId, 'ResourceNotFoundException', 404), 'AWS::Bedrock::DataSource').map((r) => ({
      knowledgeBaseId: input.knowledgeBaseId,
      dataSourceId: r.id,
      name: r.state.name as string,
      status: status(r, 'AVAILABLE') as agent.DataSourceStatus,
      updatedAt: EPOCH,
    })),
  }));
  ba(agent.DeleteDataSourceCommand, (input) => {
    const r = store.get('AWS::Bedrock::DataSource', input.dataSourceId, 'ResourceNotFoundException', 404);
    store.remove(r, 1);
    return { knowledgeBaseId: input.knowledgeBaseId, dataSourceId: r.id, status: 'DELETING' };
  });
  ba(agent.GetDataSourceCommand, (input) => {
    const r = readable(store.find('AWS::Bedrock::DataSource', input.dataSourceId), 'ResourceNotFoundException');
    return {
      dataSource: {
        knowledgeBaseId: input.knowledgeBaseId,
        dataSourceId: r.id,
        name: r.state.name as string,
        status: status(r, 'AVAILABLE') as agent.DataSourceStatus,
        dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: 'arn:aws:s3:::docs' } },
        createdAt: EPOCH,
        updatedAt: EPOCH,
      },
    };
  });
  ba(agent.DeleteKnowledgeBaseCommand, (input) => {
    const r = store.get(kbType, input.knowledgeBaseId, 'ResourceNotFoundException', 404);
    if (store.children(r, 'AWS::Bedrock::DataSource').length > 0) throw awsError('ConflictException', 'knowledge base still has data sources');
    store.remove(r, 1);
    return { knowledgeBaseId: r.id, status: 'DELETING' };
  });
  ba(agent.GetKnowledgeBaseCommand, (input) => {
    const r = readable(store.find(kbType, input.knowledgeBaseId), 'ResourceNotFoundException');
    return {
      knowledgeBase: {
        knowledgeBaseId: r.id,
        name: r.state.name as string,
        knowledgeBaseArn: r.arn,
        roleArn: 'arn:aws:iam::1:role/candidate/kb',
        knowledgeBaseConfiguration: { type: 'VECTOR' },
        status: status(r, 'ACTIVE') as agent.KnowledgeBaseStatus,
        createdAt: EPOCH,
        updatedAt: EPOCH,
      },
    };
  });
  ba(agent.ListFlowsCommand, () => ({ flowSummaries: [] }));
  ba(agent.ListPromptsCommand, () => ({ promptSummaries: [] }));

  // Bedrock
  const br = mock(bedrock.BedrockClient);
  const grType = 'AWS::Bedrock::Guardrail';
  br(bedrock.ListGuardrailsCommand, (input) => {
    const { page, next } = paged(store.list(grType), input.nextToken);
    return { guardrails: page.map((r) => ({ id: r.state.guardrailId as string, arn: r.id, status: 'READY', name: r.state.name as string, version: 'DRAFT', createdAt: EPOCH, updatedAt: EPOCH })), nextToken: next };
  });
  const guardrailById = (id: string | undefined) => store.list(grType).find((r) => r.state.guardrailId === id || r.id === id);
  br(bedrock.DeleteGuardrailCommand, (input) => {
    const r = guardrailById(input.guardrailIdentifier);
    if (!r) throw awsError('ResourceNotFoundException', 'guardrail not found', 404);
    store.remove(r);
    return {};
  });
  br(bedrock.GetGuardrailCommand, (input) => {
    const r = guardrailById(input.guardrailIdentifier);
    if (!r) throw awsError('ResourceNotFoundException', 'guardrail not found', 404);
    return {
      name: r.state.name as string,
      guardrailId: r.state.guardrailId as string,
      guardrailArn: r.id,
      version: 'DRAFT',
      status: 'READY',
      createdAt: EPOCH,
      updatedAt: EPOCH,
      blockedInputMessaging: 'no',
      blockedOutputsMessaging: 'no',
    };
  });
  br(bedrock.ListInferenceProfilesCommand, () => ({ inferenceProfileSummaries: [] }));
  br(bedrock.ListPromptRoutersCommand, () => ({ promptRouterSummaries: [] }));
  br(bedrock.ListAutomatedReasoningPoliciesCommand, () => ({ automatedReasoningPolicySummaries: [] }));
  br(bedrock.GetModelInvocationLoggingConfigurationCommand, () => ({}));

  // AgentCore
  const ac = mock(agentcore.BedrockAgentCoreControlClient);
  const rtType = 'AWS::BedrockAgentCore::Runtime';
  ac(agentcore.ListAgentRuntimesCommand, (input) => {
    const { page, next } = paged(store.list(rtType), input.nextToken);
    return {
      agentRuntimes: page.map((r) => ({
        agentRuntimeArn: r.arn,
        agentRuntimeId: r.id,
        agentRuntimeVersion: '1',
        agentRuntimeName: r.state.name as string,
        description: '',
        lastUpdatedAt: EPOCH,
        status: status(r, 'READY') as agentcore.AgentRuntimeStatus,
      })),
      nextToken: next,
    };
  });
  const endpointsOf = (runtimeId: string | undefined) => store.children(store.get(rtType, runtimeId, 'ResourceNotFoundException', 404), 'AWS::BedrockAgentCore::RuntimeEndpoint');
  ac(agentcore.ListAgentRuntimeEndpointsCommand, (input) => ({
    runtimeEndpoints: endpointsOf(input.agentRuntimeId).map((r) => ({
      name: r.state.name as string,
      agentRuntimeEndpointArn: r.arn,
      agentRuntimeArn: store.find(rtType, input.agentRuntimeId)!.arn,
      status: status(r, 'READY') as agentcore.AgentRuntimeEndpointStatus,
      id: r.id,
      createdAt: EPOCH,
      lastUpdatedAt: EPOCH,
    })),
  }));
  ac(agentcore.DeleteAgentRuntimeEndpointCommand, (input) => {
    if (input.endpointName === 'DEFAULT') throw awsError('ValidationException', 'The DEFAULT endpoint cannot be deleted');
    const e = endpointsOf(input.agentRuntimeId).find((r) => r.state.name === input.endpointName);
    if (!e) throw awsError('ResourceNotFoundException', 'endpoint not found', 404);
    store.remove(e, 1);
    return { agentRuntimeId: input.agentRuntimeId, endpointName: input.endpointName, status: 'DELETING' };
  });
  ac(agentcore.GetAgentRuntimeEndpointCommand, (input) => {
    const e = readable(store.list('AWS::BedrockAgentCore::RuntimeEndpoint').find((r) => r.state.name === input.endpointName && r.parent === store.key(rtType, input.agentRuntimeId ?? '')), 'ResourceNotFoundException');
    return { name: e.state.name as string, agentRuntimeEndpointArn: e.arn, agentRuntimeArn: e.parent!, status: status(e, 'READY') as agentcore.AgentRuntimeEndpointStatus, id: e.id, createdAt: EPOCH, lastUpdatedAt: EPOCH };
  });
  ac(agentcore.DeleteAgentRuntimeCommand, (input) => {
    const r = store.get(rtType, input.agentRuntimeId, 'ResourceNotFoundException', 404);
    store.remove(r, 1);
    return { status: 'DELETING', agentRuntimeId: r.id };
  });
  ac(agentcore.GetAgentRuntimeCommand, (input) => {
    const r = readable(store.find(rtType, input.agentRuntimeId), 'ResourceNotFoundException');
    return {
      agentRuntimeArn: r.arn,
      agentRuntimeName: r.state.name as string,
      agentRuntimeId: r.id,
      agentRuntimeVersion: '1',
      createdAt: EPOCH,
      lastUpdatedAt: EPOCH,
      roleArn: 'arn:aws:iam::1:role/candidate/runtime',
      status: status(r, 'READY') as agentcore.AgentRuntimeStatus,
      lifecycleConfiguration: { idleRuntimeSessionTimeout: 900, maxLifetime: 28800 },
    };
  });
  const gwType = 'AWS::BedrockAgentCore::Gateway';
  ac(agentcore.ListGatewaysCommand, (input) => {
    const { page, next } = paged(store.list(gwType), input.nextToken);
    return { items: page.map((r) => ({ gatewayId: r.id, name: r.state.name as string, status: status(r, 'READY') as agentcore.GatewayStatus, createdAt: EPOCH, updatedAt: EPOCH, authorizerType: 'CUSTOM_JWT' })), nextToken: next };
  });
  const targetsOf = (gatewayId: string | undefined) => store.children(store.get(gwType, gatewayId, 'ResourceNotFoundException', 404), 'AWS::BedrockAgentCore::GatewayTarget');
  ac(agentcore.ListGatewayTargetsCommand, (input) => ({
    items: targetsOf(input.gatewayIdentifier).map((r) => ({ targetId: r.id, name: r.state.name as string, status: status(r, 'READY') as agentcore.TargetStatus, createdAt: EPOCH, updatedAt: EPOCH })),
  }));
  ac(agentcore.DeleteGatewayTargetCommand, (input) => {
    const t = store.get('AWS::BedrockAgentCore::GatewayTarget', input.targetId, 'ResourceNotFoundException', 404);
    store.remove(t, 1);
    return { gatewayArn: store.find(gwType, input.gatewayIdentifier)?.arn, targetId: t.id, status: 'DELETING' };
  });
  ac(agentcore.GetGatewayTargetCommand, (input) => {
    const t = readable(store.find('AWS::BedrockAgentCore::GatewayTarget', input.targetId), 'ResourceNotFoundException');
    return {
      gatewayArn: store.resources.get(t.parent!)?.arn,
      targetId: t.id,
      createdAt: EPOCH,
      updatedAt: EPOCH,
      status: status(t, 'READY') as agentcore.TargetStatus,
      name: t.state.name as string,
      targetConfiguration: { mcp: { lambda: { lambdaArn: regional('lambda', 'function:tool'), toolSchema: { inlinePayload: [] } } } },
      credentialProviderConfigurations: [{ credentialProviderType: 'GATEWAY_IAM_ROLE' }],
    };
  });
  ac(agentcore.DeleteGatewayCommand, (input) => {
    const g = store.get(gwType, input.gatewayIdentifier, 'ResourceNotFoundException', 404);
    if (store.children(g, 'AWS::BedrockAgentCore::GatewayTarget').length > 0) throw awsError('ConflictException', 'The gateway has targets; delete them first');
    store.remove(g, 1);
    return { gatewayId: g.id, status: 'DELETING' };
  });
  ac(agentcore.GetGatewayCommand, (input) => {
    const g = readable(store.find(gwType, input.gatewayIdentifier), 'ResourceNotFoundException');
    return { gatewayArn: g.arn, gatewayId: g.id, createdAt: EPOCH, updatedAt: EPOCH, status: status(g, 'READY') as agentcore.GatewayStatus, name: g.state.name as string, authorizerType: 'CUSTOM_JWT', protocolType: 'MCP' };
  });
  const memType = 'AWS::BedrockAgentCore::Memory';
  ac(agentcore.ListMemoriesCommand, (input) => {
    const { page, next } = paged(store.list(memType), input.nextToken);
    return { memories: page.map((r) => ({ arn: r.arn, id: r.id, status: status(r, 'ACTIVE') as agentcore.MemoryStatus, createdAt: EPOCH, updatedAt: EPOCH })), nextToken: next };
  });
  ac(agentcore.DeleteMemoryCommand, (input) => {
    const m = store.get(memType, input.memoryId, 'ResourceNotFoundException', 404);
    store.remove(m, 1);
    return { memoryId: m.id, status: 'DELETING' };
  });
  ac(agentcore.GetMemoryCommand, (input) => {
    const m = readable(store.find(memType, input.memoryId), 'ResourceNotFoundException');
    return { memory: { arn: m.arn, id: m.id, name: m.state.name as string, eventExpiryDuration: 30, status: status(m, 'ACTIVE') as agentcore.MemoryStatus, createdAt: EPOCH, updatedAt: EPOCH } };
  });
  ac(agentcore.ListBrowsersCommand, () => ({ browserSummaries: [] }));
  ac(agentcore.ListCodeInterpretersCommand, () => ({ codeInterpreterSummaries: [] }));
  ac(agentcore.ListOauth2CredentialProvidersCommand, () => ({ credentialProviders: [] }));
  ac(agentcore.ListApiKeyCredentialProvidersCommand, () => ({ credentialProviders: [] }));
  ac(agentcore.ListWorkloadIdentitiesCommand, () => ({ workloadIdentities: [] }));

  // SQS, SNS
  const q = mock(sqs.SQSClient);
  q(sqs.ListQueuesCommand, (input) => {
    const { page, next } = paged(store.list('AWS::SQS::Queue'), input.NextToken);
    return { QueueUrls: page.map((r) => r.id), NextToken: next };
  });
  q(sqs.DeleteQueueCommand, (input) => {
    store.remove(store.get('AWS::SQS::Queue', input.QueueUrl, 'AWS.SimpleQueueService.NonExistentQueue'));
    return {};
  });
  const n = mock(sns.SNSClient);
  n(sns.ListTopicsCommand, (input) => {
    const { page, next } = paged(store.list('AWS::SNS::Topic'), input.NextToken);
    return { Topics: page.map((r) => ({ TopicArn: r.id })), NextToken: next };
  });
  n(sns.ListSubscriptionsByTopicCommand, (input) => {
    const topic = store.get('AWS::SNS::Topic', input.TopicArn, 'NotFound', 404);
    return { Subscriptions: store.children(topic, 'AWS::SNS::Subscription').map((r) => ({ SubscriptionArn: r.id, TopicArn: topic.id, Protocol: 'sqs', Endpoint: 'x' })) };
  });
  n(sns.UnsubscribeCommand, (input) => {
    const s = store.find('AWS::SNS::Subscription', input.SubscriptionArn);
    if (s) store.remove(s);
    return {};
  });
  n(sns.DeleteTopicCommand, (input) => {
    const t = store.find('AWS::SNS::Topic', input.TopicArn);
    if (t) store.remove(t);
    return {};
  });

  // DynamoDB
  const d = mock(ddb.DynamoDBClient);
  const tableType = 'AWS::DynamoDB::Table';
  d(ddb.ListTablesCommand, (input) => {
    const names = store.list(tableType).map((r) => r.id).sort();
    const start = input.ExclusiveStartTableName ? names.indexOf(input.ExclusiveStartTableName) + 1 : 0;
    const page = names.slice(start, start + PAGE);
    return { TableNames: page, ...(start + PAGE < names.length ? { LastEvaluatedTableName: page[page.length - 1] } : {}) };
  });
  d(ddb.ListBackupsCommand, () => ({ BackupSummaries: [] }));
  d(ddb.DescribeTableCommand, (input) => {
    const t = readable(store.find(tableType, input.TableName), 'ResourceNotFoundException');
    return { Table: { TableName: t.id, TableArn: t.arn, TableStatus: status(t, 'ACTIVE') as ddb.TableStatus, DeletionProtectionEnabled: Boolean(t.state.deletionProtection) } };
  });
  d(ddb.UpdateTableCommand, (input) => {
    const t = store.get(tableType, input.TableName, 'ResourceNotFoundException');
    t.state.deletionProtection = input.DeletionProtectionEnabled;
    return { TableDescription: { TableName: t.id, TableStatus: 'ACTIVE' } };
  });
  d(ddb.DeleteTableCommand, (input) => {
    const t = store.get(tableType, input.TableName, 'ResourceNotFoundException');
    if (t.state.deletionProtection) throw awsError('ValidationException', 'Resource cannot be deleted as it is currently protected against deletion');
    store.remove(t, 1);
    return { TableDescription: { TableName: t.id, TableStatus: 'DELETING' } };
  });

  // CodeDeploy, CodeBuild, ECR
  const cd = mock(codedeploy.CodeDeployClient);
  cd(codedeploy.ListApplicationsCommand, () => ({ applications: store.list('AWS::CodeDeploy::Application').map((r) => r.id) }));
  cd(codedeploy.ListDeploymentGroupsCommand, (input) => ({
    applicationName: input.applicationName,
    deploymentGroups: store.children(store.get('AWS::CodeDeploy::Application', input.applicationName, 'ApplicationDoesNotExistException'), 'AWS::CodeDeploy::DeploymentGroup').map((r) => r.state.name as string),
  }));
  cd(codedeploy.ListDeploymentsCommand, () => ({ deployments: [] }));
  cd(codedeploy.DeleteDeploymentGroupCommand, (input) => {
    const app = store.get('AWS::CodeDeploy::Application', input.applicationName, 'ApplicationDoesNotExistException');
    for (const g of store.children(app, 'AWS::CodeDeploy::DeploymentGroup').filter((r) => r.state.name === input.deploymentGroupName)) store.remove(g);
    return { hooksNotCleanedUp: [] };
  });
  cd(codedeploy.DeleteApplicationCommand, (input) => {
    const app = store.find('AWS::CodeDeploy::Application', input.applicationName);
    if (app) store.remove(app);
    return {};
  });
  cd(codedeploy.ListDeploymentConfigsCommand, () => ({ deploymentConfigsList: ['CodeDeployDefault.LambdaAllAtOnce', 'CodeDeployDefault.LambdaCanary10Percent5Minutes'] }));
  const cb = mock(codebuild.CodeBuildClient);
  cb(codebuild.ListProjectsCommand, () => ({ projects: store.list('AWS::CodeBuild::Project').map((r) => r.id) }));
  cb(codebuild.DeleteProjectCommand, (input) => {
    const p = store.find('AWS::CodeBuild::Project', input.name);
    if (p) store.remove(p);
    return {};
  });
  cb(codebuild.ListReportGroupsCommand, () => ({ reportGroups: [] }));
  cb(codebuild.ListFleetsCommand, () => ({ fleets: [] }));
  cb(codebuild.ListSourceCredentialsCommand, () => ({ sourceCredentialsInfos: [] }));
  const er = mock(ecr.ECRClient);
  er(ecr.DescribeRepositoriesCommand, (input) => {
    const { page, next } = paged(store.list('AWS::ECR::Repository'), input.nextToken);
    return { repositories: page.map((r) => ({ repositoryName: r.id, repositoryArn: r.arn })), nextToken: next };
  });
  er(ecr.DeleteRepositoryCommand, (input) => {
    const r = store.get('AWS::ECR::Repository', input.repositoryName, 'RepositoryNotFoundException');
    if (((r.state.images as number | undefined) ?? 0) > 0 && !input.force) throw awsError('RepositoryNotEmptyException', 'The repository contains images');
    store.remove(r);
    return { repository: { repositoryName: r.id } };
  });
  er(ecr.DescribePullThroughCacheRulesCommand, () => ({ pullThroughCacheRules: [] }));

  // S3, S3 Vectors, OpenSearch Serverless
  const b = mock(s3.S3Client);
  const bucketType = 'AWS::S3::Bucket';
  b(s3.ListBucketsCommand, (input) => {
    const { page, next } = paged(store.list(bucketType), input.ContinuationToken);
    return { Buckets: page.map((r) => ({ Name: r.id, BucketRegion: r.region, CreationDate: EPOCH })), ...(next ? { ContinuationToken: next } : {}) };
  });
  b(s3.DeleteBucketPolicyCommand, () => ({}));
  b(s3.ListMultipartUploadsCommand, (input) => ({ Bucket: input.Bucket, IsTruncated: false, Uploads: [] }));
  const objects = (bucket: SimResource) => store.children(bucket, 'Sim::S3::ObjectVersion');
  b(s3.ListObjectVersionsCommand, (input) => {
    const bucket = store.get(bucketType, input.Bucket, 'NoSuchBucket', 404);
    const all = objects(bucket);
    const start = input.KeyMarker ? all.findIndex((o) => o.state.key === input.KeyMarker && o.state.versionId === input.VersionIdMarker) + 1 : 0;
    const page = all.slice(start, start + PAGE);
    const last = page[page.length - 1];
    const truncated = start + PAGE < all.length;
    return {
      IsTruncated: truncated,
      Versions: page.filter((o) => !o.state.marker).map((o) => ({ Key: o.state.key as string, VersionId: o.state.versionId as string, IsLatest: true })),
      DeleteMarkers: page.filter((o) => o.state.marker).map((o) => ({ Key: o.state.key as string, VersionId: o.state.versionId as string, IsLatest: true })),
      ...(truncated && last ? { NextKeyMarker: last.state.key as string, NextVersionIdMarker: last.state.versionId as string } : {}),
    };
  });
  b(s3.DeleteObjectsCommand, (input) => {
    const bucket = store.get(bucketType, input.Bucket, 'NoSuchBucket', 404);
    const errors: s3._Error[] = [];
    for (const id of input.Delete?.Objects ?? []) {
      const o = objects(bucket).find((x) => x.state.key === id.Key && x.state.versionId === id.VersionId);
      if (!o) continue;
      if (o.state.complianceLock) errors.push({ Key: id.Key, VersionId: id.VersionId, Code: 'AccessDenied', Message: 'Access Denied because object protected by object lock.' });
      else store.remove(o);
    }
    return { Errors: errors };
  });
  b(s3.DeleteBucketCommand, (input) => {
    const bucket = store.get(bucketType, input.Bucket, 'NoSuchBucket', 404);
    if (objects(bucket).length > 0) throw awsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409);
    store.remove(bucket);
    return {};
  });
  const v = mock(s3vectors.S3VectorsClient);
  const vbType = 'AWS::S3Vectors::VectorBucket';
  const vectorBucketNamed = (name: string | undefined) => store.list(vbType).find((r) => r.state.name === name);
  v(s3vectors.ListVectorBucketsCommand, (input) => {
    const { page, next } = paged(store.list(vbType), input.nextToken);
    return { vectorBuckets: page.map((r) => ({ vectorBucketName: r.state.name as string, vectorBucketArn: r.arn, creationTime: EPOCH })), nextToken: next };
  });
  v(s3vectors.ListIndexesCommand, (input) => {
    const bucket = vectorBucketNamed(input.vectorBucketName);
    if (!bucket) throw awsError('NotFoundException', 'vector bucket not found', 404);
    return { indexes: store.children(bucket, 'AWS::S3Vectors::Index').map((r) => ({ vectorBucketName: bucket.state.name as string, indexName: r.state.name as string, indexArn: r.arn, creationTime: EPOCH })) };
  });
  v(s3vectors.DeleteIndexCommand, (input) => {
    const bucket = vectorBucketNamed(input.vectorBucketName);
    for (const i of bucket ? store.children(bucket, 'AWS::S3Vectors::Index').filter((r) => r.state.name === input.indexName) : []) store.remove(i);
    return {};
  });
  v(s3vectors.DeleteVectorBucketCommand, (input) => {
    const bucket = vectorBucketNamed(input.vectorBucketName);
    if (!bucket) throw awsError('NotFoundException', 'vector bucket not found', 404);
    if (store.children(bucket, 'AWS::S3Vectors::Index').length > 0) throw awsError('ConflictException', 'The vector bucket is not empty');
    store.remove(bucket);
    return {};
  });
  const os = mock(aoss.OpenSearchServerlessClient);
  const colType = 'AWS::OpenSearchServerless::Collection';
  os(aoss.ListCollectionsCommand, (input) => {
    const { page, next } = paged(store.list(colType), input.nextToken);
    return { collectionSummaries: page.map((r) => ({ id: r.id, name: r.state.name as string, arn: r.arn, status: status(r, 'ACTIVE') as aoss.CollectionStatus })), nextToken: next };
  });
  os(aoss.BatchGetCollectionCommand, (input) => {
    const found = (input.ids ?? []).map((id) => store.find(colType, id)).filter((r): r is SimResource => r !== undefined && store.poll(r) !== 'gone');
    return { collectionDetails: found.map((r) => ({ id: r.id, name: r.state.name as string, status: status(r, 'ACTIVE') as aoss.CollectionStatus, deletionProtection: 'DISABLED' })), collectionErrorDetails: [] };
  });
  os(aoss.DeleteCollectionCommand, (input) => {
    const r = store.get(colType, input.id, 'ResourceNotFoundException', 404);
    store.remove(r, 1);
    return { deleteCollectionDetail: { id: r.id, status: 'DELETING' } };
  });
  const aossPolicies = (type: string, policyType: string) => store.list(type).filter((r) => r.state.policyType === policyType);
  os(aoss.ListAccessPoliciesCommand, (input) => ({ accessPolicySummaries: aossPolicies('AWS::OpenSearchServerless::AccessPolicy', input.type ?? '').map((r) => ({ type: 'data', name: r.state.name as string })) }));
  os(aoss.DeleteAccessPolicyCommand, (input) => {
    for (const r of aossPolicies('AWS::OpenSearchServerless::AccessPolicy', 'data').filter((p) => p.state.name === input.name)) store.remove(r);
    return {};
  });
  os(aoss.ListSecurityPoliciesCommand, (input) => ({
    securityPolicySummaries: aossPolicies('AWS::OpenSearchServerless::SecurityPolicy', input.type ?? '').map((r) => ({ type: input.type, name: r.state.name as string })),
  }));
  os(aoss.DeleteSecurityPolicyCommand, (input) => {
    if (input.type === 'encryption' && store.list(colType).length > 0) throw awsError('ValidationException', 'Policy is in use by a collection');
    for (const r of aossPolicies('AWS::OpenSearchServerless::SecurityPolicy', input.type ?? '').filter((p) => p.state.name === input.name)) store.remove(r);
    return {};
  });
  os(aoss.ListLifecyclePoliciesCommand, () => ({ lifecyclePolicySummaries: [] }));
  os(aoss.ListSecurityConfigsCommand, () => ({ securityConfigSummaries: [] }));

  // Cognito
  const cg = mock(cognito.CognitoIdentityProviderClient);
  const poolType = 'AWS::Cognito::UserPool';
  cg(cognito.ListUserPoolsCommand, (input) => {
    const { page, next } = paged(store.list(poolType), input.NextToken);
    return { UserPools: page.map((r) => ({ Id: r.id, Name: r.state.name as string })), NextToken: next };
  });
  cg(cognito.DescribeUserPoolCommand, (input) => {
    const pool = store.get(poolType, input.UserPoolId, 'ResourceNotFoundException');
    const domain = store.children(pool, 'AWS::Cognito::UserPoolDomain')[0];
    return { UserPool: { Id: pool.id, Name: pool.state.name as string, ...(domain ? { Domain: domain.id } : {}), DeletionProtection: 'INACTIVE' } };
  });
  cg(cognito.DeleteUserPoolDomainCommand, (input) => {
    const domain = store.find('AWS::Cognito::UserPoolDomain', input.Domain);
    if (domain) store.remove(domain);
    return {};
  });
  cg(cognito.DeleteUserPoolCommand, (input) => {
    const pool = store.get(poolType, input.UserPoolId, 'ResourceNotFoundException');
    if (store.children(pool, 'AWS::Cognito::UserPoolDomain').length > 0) throw awsError('InvalidParameterException', 'User pool cannot be deleted. It has a domain configured that should be deleted first.');
    store.remove(pool);
    return {};
  });
  cg(cognito.ListUserPoolClientsCommand, (input) => {
    const pool = store.get(poolType, input.UserPoolId, 'ResourceNotFoundException');
    return { UserPoolClients: store.children(pool, 'AWS::Cognito::UserPoolClient').map((r) => ({ ClientId: r.id, UserPoolId: pool.id, ClientName: r.state.name as string })) };
  });
  cg(cognito.DeleteUserPoolClientCommand, (input) => {
    const c = store.find('AWS::Cognito::UserPoolClient', input.ClientId);
    if (c) store.remove(c);
    return {};
  });
  cg(cognito.ListResourceServersCommand, (input) => {
    const pool = store.get(poolType, input.UserPoolId, 'ResourceNotFoundException');
    return { ResourceServers: store.children(pool, 'AWS::Cognito::UserPoolResourceServer').map((r) => ({ Identifier: r.id, Name: r.id, UserPoolId: pool.id })) };
  });
  cg(cognito.ListIdentityProvidersCommand, () => ({ Providers: [] }));

  // CloudWatch, Logs, X-Ray
  const c = mock(cw.CloudWatchClient);
  c(cw.DescribeAlarmsCommand, (input) => {
    const { page, next } = paged(store.list('AWS::CloudWatch::Alarm'), input.NextToken);
    return { MetricAlarms: page.map((r) => ({ AlarmName: r.id, AlarmArn: r.arn })), CompositeAlarms: [], NextToken: next };
  });
  c(cw.DeleteAlarmsCommand, (input) => {
    for (const name of input.AlarmNames ?? []) {
      const a = store.find('AWS::CloudWatch::Alarm', name);
      if (a) store.remove(a);
    }
    return {};
  });
  c(cw.ListDashboardsCommand, () => ({ DashboardEntries: [] }));
  c(cw.ListMetricStreamsCommand, () => ({ Entries: [] }));
  c(cw.DescribeAnomalyDetectorsCommand, () => ({ AnomalyDetectors: [] }));
  c(cw.DescribeInsightRulesCommand, () => ({ InsightRules: [] }));
  const l = mock(logs.CloudWatchLogsClient);
  l(logs.DescribeDeliveriesCommand, () => ({ deliveries: [] }));
  l(logs.DescribeDeliverySourcesCommand, () => ({ deliverySources: [] }));
  l(logs.DescribeDeliveryDestinationsCommand, () => ({ deliveryDestinations: [] }));
  l(logs.DescribeResourcePoliciesCommand, () => ({ resourcePolicies: [] }));
  l(logs.DescribeQueryDefinitionsCommand, () => ({ queryDefinitions: [] }));
  l(logs.DescribeLogGroupsCommand, (input) => {
    const { page, next } = paged(store.list('AWS::Logs::LogGroup'), input.nextToken);
    return { logGroups: page.map((r) => ({ logGroupName: r.id, arn: `${r.arn}:*` })), nextToken: next };
  });
  l(logs.DeleteLogGroupCommand, (input) => {
    store.remove(store.get('AWS::Logs::LogGroup', input.logGroupName, 'ResourceNotFoundException'));
    return {};
  });
  const x = mock(xray.XRayClient);
  x(xray.GetGroupsCommand, () => ({
    Groups: [{ GroupName: 'Default', GroupARN: regional('xray', 'group/Default') }, ...store.list('AWS::XRay::Group').map((r) => ({ GroupName: r.state.name as string, GroupARN: r.id }))],
  }));
  x(xray.DeleteGroupCommand, (input) => {
    const g = store.find('AWS::XRay::Group', input.GroupARN);
    if (g) store.remove(g);
    return {};
  });
  x(xray.GetSamplingRulesCommand, () => ({
    SamplingRuleRecords: [
      {
        SamplingRule: { RuleName: 'Default', RuleARN: regional('xray', 'sampling-rule/Default'), ResourceARN: '*', Priority: 10000, FixedRate: 0.05, ReservoirSize: 1, ServiceName: '*', ServiceType: '*', Host: '*', HTTPMethod: '*', URLPath: '*', Version: 1 },
      },
    ],
  }));
  x(xray.ListResourcePoliciesCommand, () => ({ ResourcePolicies: [] }));

  // IAM
  const i = mock(iam.IAMClient);
  const roleType = 'AWS::IAM::Role';
  const policyType = 'AWS::IAM::ManagedPolicy';
  const iamPage = <T>(items: T[], marker: string | undefined) => {
    const { page, next } = paged(items, marker);
    return { page, IsTruncated: next !== undefined, ...(next ? { Marker: next } : {}) };
  };
  const roleView = (r: SimResource): iam.Role => ({ Path: r.state.path as string, RoleName: r.id, RoleId: `AROA${r.id.length}`, Arn: r.arn, CreateDate: EPOCH });
  const attachedTo = (r: SimResource) => (r.state.attached as string[] | undefined) ?? [];
  i(iam.ListRolesCommand, (input) => {
    const { page, ...rest } = iamPage(store.list(roleType), input.Marker);
    return { Roles: page.map(roleView), ...rest };
  });
  i(iam.ListRolePoliciesCommand, (input) => {
    const role = store.get(roleType, input.RoleName, 'NoSuchEntity', 404);
    return { PolicyNames: store.children(role, 'AWS::IAM::Policy').map((p) => p.state.name as string), IsTruncated: false };
  });
  i(iam.DeleteRolePolicyCommand, (input) => {
    const role = store.get(roleType, input.RoleName, 'NoSuchEntity', 404);
    for (const p of store.children(role, 'AWS::IAM::Policy').filter((x) => x.state.name === input.PolicyName)) store.remove(p);
    return {};
  });
  i(iam.ListAttachedRolePoliciesCommand, (input) => {
    const role = store.get(roleType, input.RoleName, 'NoSuchEntity', 404);
    return { AttachedPolicies: attachedTo(role).map((PolicyArn) => ({ PolicyArn, PolicyName: PolicyArn.split('/').pop() })), IsTruncated: false };
  });
  i(iam.DetachRolePolicyCommand, (input) => {
    const role = store.get(roleType, input.RoleName, 'NoSuchEntity', 404);
    role.state.attached = attachedTo(role).filter((a) => a !== input.PolicyArn);
    return {};
  });
  i(iam.ListInstanceProfilesForRoleCommand, () => ({ InstanceProfiles: [], IsTruncated: false }));
  i(iam.DeleteRoleCommand, (input) => {
    const role = store.get(roleType, input.RoleName, 'NoSuchEntity', 404);
    if (store.children(role, 'AWS::IAM::Policy').length > 0 || attachedTo(role).length > 0) throw awsError('DeleteConflict', 'Cannot delete entity, must remove policies first.', 409);
    store.remove(role);
    return {};
  });
  i(iam.ListPoliciesCommand, (input) => {
    const { page, ...rest } = iamPage(store.list(policyType), input.Marker);
    return { Policies: page.map((p) => ({ PolicyName: p.state.name as string, Arn: p.id, Path: p.state.path as string, DefaultVersionId: 'v2' })), ...rest };
  });
  i(iam.ListEntitiesForPolicyCommand, (input) => ({
    PolicyRoles: store.list(roleType).filter((r) => attachedTo(r).includes(input.PolicyArn ?? '')).map((r) => ({ RoleName: r.id })),
    PolicyUsers: [],
    PolicyGroups: [],
    IsTruncated: false,
  }));
  i(iam.ListPolicyVersionsCommand, (input) => {
    const p = store.get(policyType, input.PolicyArn, 'NoSuchEntity', 404);
    return { Versions: ((p.state.versions as string[] | undefined) ?? ['v1']).map((VersionId, n, all) => ({ VersionId, IsDefaultVersion: n === all.length - 1 })), IsTruncated: false };
  });
  i(iam.DeletePolicyVersionCommand, (input) => {
    const p = store.get(policyType, input.PolicyArn, 'NoSuchEntity', 404);
    p.state.versions = ((p.state.versions as string[] | undefined) ?? ['v1']).filter((x) => x !== input.VersionId);
    return {};
  });
  i(iam.DeletePolicyCommand, (input) => {
    const p = store.get(policyType, input.PolicyArn, 'NoSuchEntity', 404);
    if (store.list(roleType).some((r) => attachedTo(r).includes(p.id))) throw awsError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
    if (((p.state.versions as string[] | undefined) ?? ['v1']).length > 1) throw awsError('DeleteConflict', 'This policy has more than one version. Before you delete a policy, you must delete the policy\'s versions.', 409);
    store.remove(p);
    return {};
  });
  i(iam.ListInstanceProfilesCommand, () => ({ InstanceProfiles: [], IsTruncated: false }));

  return {
    store,
    restore() {
      stubs.forEach((s) => s.restore());
    },
  };
}
