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
  /**
   * The packaged agent (solution/agent/: main.py with boto3, zipped for ARM64; or an image built from it).
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
      'AgentCoreRuntimeSolution needs the packaged agent: zip tasks/agentic-agentcore-runtime/solution/agent (with boto3 installed into it for linux/arm64), upload it to S3, and pass -c agentcoreAgentCode=s3://<bucket>/<key>.zip (or an ECR image URI), or give the construct an `agent` prop',
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

/** The ticket tool behind the gateway: the gateway passes the tool's arguments as the event. */
const TOOL_SOURCE = `
exports.handler = async (event) => {
  const ticketId = String(event.ticketId || '');
  if (!ticketId) return { error: 'ticketId is required' };
  const statuses = ['OPEN', 'IN_PROGRESS', 'WAITING_FOR_USER', 'RESOLVED'];
  const n = [...ticketId].reduce((a, c) => a + c.charCodeAt(0), 0);
  return { ticketId, status: statuses[n % statuses.length] };
};`;

/**
 * The reference solution of agentic-agentcore-runtime: agent helpdesk_agent on AgentCore Runtime (IAM
 * inbound auth, DEFAULT endpoint), gateway helpdesk-tools exposing a Lambda tool behind a JWT authoriser
 * trusting the sandbox's user pool for its helpdesk-agent client, and memory helpdesk_memory with a semantic strategy the agent reads and writes.
 */
export class AgentCoreRuntimeSolution extends Construct {
  readonly runtime: agentcore.CfnRuntime;
  readonly gateway: agentcore.CfnGateway;
  readonly memory: agentcore.CfnMemory;

  constructor(scope: Construct, id: string, props: AgentCoreRuntimeSolutionProps = {}) {
    super(scope, id);
    const artifact = props.agent ?? artifactFromContext(this);
    const idp = props.identityProvider ?? identityProviderFromContext(this);
    const foundationModel = props.foundationModel ?? 'amazon.nova-lite-v1:0';

    this.memory = new agentcore.CfnMemory(this, 'Memory', {
      name: 'helpdesk_memory',
      description: 'What helpdesk users told the agent',
      eventExpiryDuration: 30,
      memoryStrategies: [{ semanticMemoryStrategy: { name: 'facts', description: 'Facts users state about themselves', namespaces: ['/facts/{actorId}'] } }],
    });

    const tool = new lambda.Function(this, 'TicketTool', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', timeout: Duration.seconds(10), code: lambda.Code.fromInline(TOOL_SOURCE) });
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
    runtimeRole.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${foundationModel}`] }));
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
      environmentVariables: { MEMORY_ID: this.memory.attrMemoryId, MODEL_ID: foundationModel },
    });
    this.runtime.node.addDependency(runtimeRole);
  }
}
