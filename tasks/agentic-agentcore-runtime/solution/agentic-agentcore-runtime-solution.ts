import { Aws, Duration } from 'aws-cdk-lib';
import * as agentcore from 'aws-cdk-lib/aws-bedrockagentcore';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Where the agent's code lives: a zip in S3 (direct code deployment) or an image in ECR. */
export type AgentArtifact = { kind: 'code-zip'; bucket: string; key: string } | { kind: 'container'; imageUri: string };

/** The sandbox's seeded user pool (`skillproof-<attempt>-helpdesk-idp`) and its `helpdesk-agent` app client. */
export interface SeededIdentityProvider {
  readonly userPoolId: string;
  readonly agentClientId: string;
}

export interface AgentCoreRuntimeSolutionProps {
  /** Default: the CDK context values `helpdeskUserPoolId` and `helpdeskAgentClientId`. */
  readonly identityProvider?: SeededIdentityProvider;
  /** The sandbox's tickets table, which the tool reads. Default: the CDK context value `helpdeskTicketsTable`. */
  readonly ticketsTable?: string;
  /**
   * The packaged agent (solution/agent/: main.py with its requirements.txt installed beside it, zipped for
   * linux/arm64; or an image built from it).
   * The runtime is the one part of this solution that cannot be inline code. Default: the CDK context
   * value `agentcoreAgentCode`, either `s3://bucket/key.zip` or an ECR image URI.
   */
  readonly agent?: AgentArtifact;
  readonly foundationModel?: string;
}

/** Reads `s3://bucket/key` or an image URI from the CDK context, saying how to provide it when absent. */
function artifactFromContext(scope: Construct): AgentArtifact {
  const value: unknown = scope.node.tryGetContext('agentcoreAgentCode');
  if (typeof value !== 'string' || value === '') {
    throw new Error(
      'AgentCoreRuntimeSolution needs the packaged agent: zip tasks/agentic-agentcore-runtime/solution/agent (with its requirements.txt installed into it for linux/arm64), upload it to S3, and pass -c agentcoreAgentCode=s3://<bucket>/<key>.zip (or an ECR image URI), or give the construct an `agent` prop',
    );
  }
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(value);
  return s3 ? { kind: 'code-zip', bucket: s3[1]!, key: s3[2]! } : { kind: 'container', imageUri: value };
}

/** Reads the seeded pool's ids from the CDK context, saying where to find them when absent. */
function identityProviderFromContext(scope: Construct): SeededIdentityProvider {
  const userPoolId: unknown = scope.node.tryGetContext('helpdeskUserPoolId');
  const agentClientId: unknown = scope.node.tryGetContext('helpdeskAgentClientId');
  if (typeof userPoolId !== 'string' || !userPoolId || typeof agentClientId !== 'string' || !agentClientId) {
    throw new Error(
      "AgentCoreRuntimeSolution needs the sandbox's user pool: pass -c helpdeskUserPoolId=<id of skillproof-<attempt>-helpdesk-idp> -c helpdeskAgentClientId=<id of its helpdesk-agent app client> (the sandbox stack's Seeds output holds the pool id), or give the construct an `identityProvider` prop",
    );
  }
  return { userPoolId, agentClientId };
}

/** Reads the tickets table's name from the CDK context, saying where to find it when absent. */
function ticketsTableFromContext(scope: Construct): string {
  const table: unknown = scope.node.tryGetContext('helpdeskTicketsTable');
  if (typeof table !== 'string' || !table) {
    throw new Error("AgentCoreRuntimeSolution needs the sandbox's tickets table: pass -c helpdeskTicketsTable=skillproof-<attempt id>-tickets (the sandbox stack's Seeds output lists it), or give the construct a `ticketsTable` prop");
  }
  return table;
}

/**
 * The ticket tool behind the gateway: the gateway passes the tool's arguments as the event; the answer is
 * the ticket's item from the sandbox's tickets table (the Node.js runtime ships the AWS SDK v3).
 */
const TOOL_SOURCE = `
const { DynamoDBClient, GetItemCommand } = require('@aws-sdk/client-dynamodb');
const ddb = new DynamoDBClient({});
exports.handler = async (event) => {
  const ticketId = String(event.ticketId || '');
  if (!ticketId) return { error: 'ticketId is required' };
  const res = await ddb.send(new GetItemCommand({ TableName: process.env.TICKETS_TABLE, Key: { ticketId: { S: ticketId } }, ConsistentRead: true }));
  if (!res.Item) return { ticketId, error: 'no such ticket' };
  return Object.fromEntries(Object.entries(res.Item).map(([k, v]) => [k, v.S ?? v.N ?? v.BOOL ?? null]));
};`;

/**
 * The reference solution of agentic-agentcore-runtime: agent helpdesk_agent on AgentCore Runtime (IAM
 * inbound auth, DEFAULT endpoint), gateway helpdesk-tools exposing a Lambda tool behind a JWT authoriser
 * trusting the sandbox's user pool for its helpdesk-agent client (the tool reads the sandbox's tickets table; the
 * agent calls it through the gateway with that client's token), and memory helpdesk_memory with a semantic strategy
 * the agent reads and writes.
 */
export class AgentCoreRuntimeSolution extends Construct {
  readonly runtime: agentcore.CfnRuntime;
  readonly gateway: agentcore.CfnGateway;
  readonly memory: agentcore.CfnMemory;

  constructor(scope: Construct, id: string, props: AgentCoreRuntimeSolutionProps = {}) {
    super(scope, id);
    const artifact = props.agent ?? artifactFromContext(this);
    const idp = props.identityProvider ?? identityProviderFromContext(this);
    const ticketsTable = props.ticketsTable ?? ticketsTableFromContext(this);
    const foundationModel = props.foundationModel ?? 'amazon.nova-lite-v1:0';

    this.memory = new agentcore.CfnMemory(this, 'Memory', {
      name: 'helpdesk_memory',
      description: 'What helpdesk users told the agent',
      eventExpiryDuration: 30,
      memoryStrategies: [{ semanticMemoryStrategy: { name: 'facts', description: 'Facts users state about themselves', namespaces: ['/facts/{actorId}'] } }],
    });

    const tool = new lambda.Function(this, 'TicketTool', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      timeout: Duration.seconds(10),
      code: lambda.Code.fromInline(TOOL_SOURCE),
      environment: { TICKETS_TABLE: ticketsTable },
    });
    tool.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [`arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${ticketsTable}`] }));
    const gatewayRole = new iam.Role(this, 'GatewayRole', { assumedBy: new iam.ServicePrincipal('bedrock-agentcore.amazonaws.com') });
    tool.grantInvoke(gatewayRole);

    this.gateway = new agentcore.CfnGateway(this, 'Gateway', {
      name: 'helpdesk-tools',
      protocolType: 'MCP',
      roleArn: gatewayRole.roleArn,
      authorizerType: 'CUSTOM_JWT',
      authorizerConfiguration: {
        // The sandbox's pool issues the agent's tokens (client-credentials grant); only its helpdesk-agent client gets in.
        customJwtAuthorizer: { discoveryUrl: `https://cognito-idp.${Aws.REGION}.amazonaws.com/${idp.userPoolId}/.well-known/openid-configuration`, allowedClients: [idp.agentClientId] },
      },
    });
    new agentcore.CfnGatewayTarget(this, 'TicketTarget', {
      gatewayIdentifier: this.gateway.attrGatewayIdentifier,
      name: 'ticket-status',
      credentialProviderConfigurations: [{ credentialProviderType: 'GATEWAY_IAM_ROLE' }],
      targetConfiguration: {
        mcp: {
          lambda: {
            lambdaArn: tool.functionArn,
            toolSchema: {
              inlinePayload: [
                {
                  name: 'get_ticket_status',
                  description: 'Looks up a helpdesk ticket by its id and returns its status.',
                  inputSchema: { type: 'object', properties: { ticketId: { type: 'string', description: 'The ticket id, e.g. HD-1042' } }, required: ['ticketId'] },
                },
              ],
            },
          },
        },
      },
    }).node.addDependency(gatewayRole);

    const runtimeRole = new iam.Role(this, 'RuntimeRole', { assumedBy: new iam.ServicePrincipal('bedrock-agentcore.amazonaws.com') });
    // Strands calls the model with ConverseStream (bedrock:InvokeModelWithResponseStream). Nothing here reads the
    // tickets table or invokes the tool's function: the agent reaches tickets only through the gateway.
    runtimeRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], resources: [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${foundationModel}`] }),
    );
    // The agent's gateway token: the pool's domain and its helpdesk-agent client's secret, for the client-credentials grant.
    runtimeRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['cognito-idp:DescribeUserPool', 'cognito-idp:DescribeUserPoolClient'], resources: [`arn:${Aws.PARTITION}:cognito-idp:${Aws.REGION}:${Aws.ACCOUNT_ID}:userpool/${idp.userPoolId}`] }),
    );
    runtimeRole.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock-agentcore:CreateEvent', 'bedrock-agentcore:ListEvents', 'bedrock-agentcore:RetrieveMemoryRecords'], resources: [this.memory.attrMemoryArn] }));
    runtimeRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/bedrock-agentcore/runtimes/*`],
      }),
    );
    if (artifact.kind === 'code-zip') {
      runtimeRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:${Aws.PARTITION}:s3:::${artifact.bucket}/${artifact.key}`] }));
    } else {
      runtimeRole.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
      runtimeRole.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], resources: [`arn:${Aws.PARTITION}:ecr:${Aws.REGION}:${Aws.ACCOUNT_ID}:repository/*`] }));
    }

    this.runtime = new agentcore.CfnRuntime(this, 'Runtime', {
      agentRuntimeName: 'helpdesk_agent',
      description: 'Northwind helpdesk agent with long-term memory',
      roleArn: runtimeRole.roleArn,
      networkConfiguration: { networkMode: 'PUBLIC' },
      protocolConfiguration: 'HTTP',
      agentRuntimeArtifact:
        artifact.kind === 'code-zip'
          ? { codeConfiguration: { code: { s3: { bucket: artifact.bucket, prefix: artifact.key } }, runtime: 'PYTHON_3_13', entryPoint: ['main.py'] } }
          : { containerConfiguration: { containerUri: artifact.imageUri } },
      environmentVariables: { MEMORY_ID: this.memory.attrMemoryId, MODEL_ID: foundationModel, GATEWAY_URL: this.gateway.attrGatewayUrl, USER_POOL_ID: idp.userPoolId, AGENT_CLIENT_ID: idp.agentClientId },
    });
    this.runtime.node.addDependency(runtimeRole);
  }
}
