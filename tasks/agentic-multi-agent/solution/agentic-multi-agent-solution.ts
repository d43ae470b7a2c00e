import { Aws } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface SupportDeskSolutionProps {
  /** A model id or inference profile id for every agent; default: the EU cross-region profile of Amazon Nova Pro. */
  foundationModel?: string;
  /** The sandbox's CandidateBoundary, which every role the candidate creates must carry. */
  permissionsBoundaryArn?: string;
}

interface Specialist {
  collaboratorName: string;
  agentName: string;
  description: string;
  instruction: string;
  /** Tells the supervisor when to hand a request to this specialist. */
  collaborationInstruction: string;
}

const SPECIALISTS: Specialist[] = [
  {
    collaboratorName: 'orders',
    agentName: 'orders-specialist',
    description: 'Answers questions about orders and deliveries',
    instruction: 'You are the order desk of a shop. Answer questions about where an order is, its status and when it will be delivered, politely and briefly.',
    collaborationInstruction: 'Hand every question about where an order is, its status, shipping or its delivery date to this collaborator.',
  },
  {
    collaboratorName: 'returns',
    agentName: 'returns-specialist',
    description: 'Answers questions about returns and refunds',
    instruction:
      'You are the returns desk of a shop. Explain how to return, exchange or get a refund for an item, including damaged items: items go back within 30 days with the prepaid label, and refunds take up to 5 working days.',
    collaborationInstruction: 'Hand every question about returning, exchanging or refunding an item, damaged or not, to this collaborator.',
  },
];

/** Model ARNs an agent role may invoke for a model id or a geographic inference profile id. */
function modelResources(model: string): string[] {
  const profile = /^(us|eu|apac|us-gov|global)\.(.+)$/.exec(model);
  if (!profile) return [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${model}`];
  return [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:inference-profile/${model}`, `arn:${Aws.PARTITION}:bedrock:*::foundation-model/${profile[2]}`];
}

/**
 * The reference solution of agentic-multi-agent: two specialist agents, each prepared and published
 * under an alias "live", and a supervisor "support-supervisor" with multi-agent collaboration that
 * calls them as collaborators "orders" and "returns", itself published under "live".
 */
export class SupportDeskSolution extends Construct {
  readonly supervisor: bedrock.CfnAgent;
  readonly supervisorAlias: bedrock.CfnAgentAlias;
  readonly specialistAliases: Record<string, bedrock.CfnAgentAlias> = {};

  constructor(scope: Construct, id: string, props: SupportDeskSolutionProps = {}) {
    super(scope, id);
    const model = props.foundationModel ?? 'eu.amazon.nova-pro-v1:0';
    const agentRole = (roleId: string, extra: iam.PolicyStatement[] = []) =>
      new iam.Role(this, roleId, {
        path: '/candidate/',
        assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:agent/*` },
          },
        }),
        inlinePolicies: { agent: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: modelResources(model) }), ...extra] }) },
      });

    const collaborators: bedrock.CfnAgent.AgentCollaboratorProperty[] = [];
    for (const s of SPECIALISTS) {
      const role = agentRole(`${s.collaboratorName}Role`);
      const agent = new bedrock.CfnAgent(this, `${s.collaboratorName}Agent`, {
        agentName: s.agentName,
        description: s.description,
        agentResourceRoleArn: role.roleArn,
        foundationModel: model,
        instruction: s.instruction,
        idleSessionTtlInSeconds: 600,
        autoPrepare: true,
      });
      agent.node.addDependency(role);
      // Without a routing configuration, creating the alias publishes a new numbered version of the draft.
      const alias = new bedrock.CfnAgentAlias(this, `${s.collaboratorName}Live`, { agentId: agent.attrAgentId, agentAliasName: 'live' });
      this.specialistAliases[s.collaboratorName] = alias;
      collaborators.push({ collaboratorName: s.collaboratorName, collaborationInstruction: s.collaborationInstruction, agentDescriptor: { aliasArn: alias.attrAgentAliasArn }, relayConversationHistory: 'DISABLED' });
    }

    // The supervisor reads its collaborators' aliases and invokes them.
    const aliasArns = Object.values(this.specialistAliases).map((a) => a.attrAgentAliasArn);
    const supervisorRole = agentRole('SupervisorRole', [new iam.PolicyStatement({ actions: ['bedrock:GetAgentAlias', 'bedrock:InvokeAgent'], resources: aliasArns })]);
    this.supervisor = new bedrock.CfnAgent(this, 'Supervisor', {
      agentName: 'support-supervisor',
      description: 'Front desk that routes customer requests to the right specialist',
      agentResourceRoleArn: supervisorRole.roleArn,
      foundationModel: model,
      instruction:
        'You run the support desk of a shop. Do not answer customer requests yourself: hand each one to the collaborator whose collaboration instruction matches it, and pass its answer back to the customer.',
      idleSessionTtlInSeconds: 600,
      agentCollaboration: 'SUPERVISOR',
      agentCollaborators: collaborators,
      autoPrepare: true,
    });
    this.supervisor.node.addDependency(supervisorRole);
    this.supervisorAlias = new bedrock.CfnAgentAlias(this, 'SupervisorLive', { agentId: this.supervisor.attrAgentId, agentAliasName: 'live' });

    if (props.permissionsBoundaryArn) {
      iam.PermissionsBoundary.of(this).apply(iam.ManagedPolicy.fromManagedPolicyArn(this, 'Boundary', props.permissionsBoundaryArn));
    }
  }
}
