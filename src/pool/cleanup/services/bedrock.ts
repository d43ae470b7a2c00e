import {
  BedrockClient,
  DeleteAutomatedReasoningPolicyCommand,
  DeleteGuardrailCommand,
  DeleteInferenceProfileCommand,
  DeleteModelInvocationLoggingConfigurationCommand,
  DeletePromptRouterCommand,
  GetGuardrailCommand,
  GetModelInvocationLoggingConfigurationCommand,
  ListAutomatedReasoningPoliciesCommand,
  ListGuardrailsCommand,
  ListInferenceProfilesCommand,
  ListPromptRoutersCommand,
} from '@aws-sdk/client-bedrock';
import {
  BedrockAgentClient,
  DeleteAgentActionGroupCommand,
  DeleteAgentAliasCommand,
  DeleteAgentCommand,
  DeleteDataSourceCommand,
  DeleteFlowAliasCommand,
  DeleteFlowCommand,
  DeleteKnowledgeBaseCommand,
  DeletePromptCommand,
  DisassociateAgentCollaboratorCommand,
  DisassociateAgentKnowledgeBaseCommand,
  GetAgentCommand,
  GetDataSourceCommand,
  GetKnowledgeBaseCommand,
  ListAgentActionGroupsCommand,
  ListAgentAliasesCommand,
  ListAgentCollaboratorsCommand,
  ListAgentKnowledgeBasesCommand,
  ListAgentsCommand,
  ListDataSourcesCommand,
  ListFlowAliasesCommand,
  ListFlowsCommand,
  ListKnowledgeBasesCommand,
  ListPromptsCommand,
  UpdateDataSourceCommand,
} from '@aws-sdk/client-bedrock-agent';
import { allPages, isGone } from '../aws-call';
import type { PhaseContext } from '../context';

/** The draft an agent's action groups, collaborators and knowledge-base associations are edited on. */
const DRAFT = 'DRAFT';
/** The test alias every agent has; it cannot be deleted on its own and goes with the agent. */
const TEST_ALIAS = 'TSTALIASID';

/**
 * Bedrock Agents: first every collaborator association (a supervisor holds its collaborators' aliases), then
 * per agent its aliases, action groups and knowledge-base associations, then the agent. Knowledge bases
 * after agents: each data source (which deletes its vectors, so before the vector stores), then the base.
 * Then flows (aliases first) and prompts.
 */
export async function cleanBedrockAgents(ctx: PhaseContext): Promise<void> {
  const agentClient = ctx.client(BedrockAgentClient);
  const agents = await allPages(async (token) => {
    const out = await ctx.call(() => agentClient.send(new ListAgentsCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.agentSummaries, next: out.nextToken };
  });
  const candidateAgents = agents.filter((a) => a.agentId && !ctx.isSkillProofs('AWS::Bedrock::Agent', a.agentId));
  const agentArn = (id: string) => ctx.arn('bedrock', `agent/${id}`);

  for (const agent of candidateAgents) {
    const agentId = agent.agentId!;
    const collaborators = await allPages(async (token) => {
      const out = await ctx.call(() => agentClient.send(new ListAgentCollaboratorsCommand({ agentId, agentVersion: DRAFT, nextToken: token, maxResults: 100 })));
      return { items: out.agentCollaboratorSummaries, next: out.nextToken };
    });
    for (const collaborator of collaborators) {
      await ctx.prepare(agentArn(agentId), `DisassociateAgentCollaborator ${collaborator.collaboratorId}`, () =>
        agentClient.send(new DisassociateAgentCollaboratorCommand({ agentId, agentVersion: DRAFT, collaboratorId: collaborator.collaboratorId })),
      );
    }
  }
  for (const agent of candidateAgents) {
    const agentId = agent.agentId!;
    const aliases = await allPages(async (token) => {
      const out = await ctx.call(() => agentClient.send(new ListAgentAliasesCommand({ agentId, nextToken: token, maxResults: 100 })));
      return { items: out.agentAliasSummaries, next: out.nextToken };
    });
    for (const alias of aliases) {
      if (!alias.agentAliasId || alias.agentAliasId === TEST_ALIAS) continue;
      await ctx.remove(ctx.arn('bedrock', `agent-alias/${agentId}/${alias.agentAliasId}`), () =>
        agentClient.send(new DeleteAgentAliasCommand({ agentId, agentAliasId: alias.agentAliasId })),
      );
    }
    const actionGroups = await allPages(async (token) => {
      const out = await ctx.call(() => agentClient.send(new ListAgentActionGroupsCommand({ agentId, agentVersion: DRAFT, nextToken: token, maxResults: 100 })));
      return { items: out.actionGroupSummaries, next: out.nextToken };
    });
    for (const group of actionGroups) {
      await ctx.prepare(agentArn(agentId), `DeleteAgentActionGroup ${group.actionGroupName}`, () =>
        agentClient.send(new DeleteAgentActionGroupCommand({ agentId, agentVersion: DRAFT, actionGroupId: group.actionGroupId, skipResourceInUseCheck: true })),
      );
    }
    const knowledgeBases = await allPages(async (token) => {
      const out = await ctx.call(() => agentClient.send(new ListAgentKnowledgeBasesCommand({ agentId, agentVersion: DRAFT, nextToken: token, maxResults: 100 })));
      return { items: out.agentKnowledgeBaseSummaries, next: out.nextToken };
    });
    for (const kb of knowledgeBases) {
      await ctx.prepare(agentArn(agentId), `DisassociateAgentKnowledgeBase ${kb.knowledgeBaseId}`, () =>
        agentClient.send(new DisassociateAgentKnowledgeBaseCommand({ agentId, agentVersion: DRAFT, knowledgeBaseId: kb.knowledgeBaseId })),
      );
    }
    await ctx.remove(agentArn(agentId), () => agentClient.send(new DeleteAgentCommand({ agentId, skipResourceInUseCheck: true })), {
      gone: () => ctx.notFound(() => agentClient.send(new GetAgentCommand({ agentId }))),
    });
  }

  const bases = await allPages(async (token) => {
    const out = await ctx.call(() => agentClient.send(new ListKnowledgeBasesCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.knowledgeBaseSummaries, next: out.nextToken };
  });
  for (const kb of bases) {
    const knowledgeBaseId = kb.knowledgeBaseId;
    if (!knowledgeBaseId || ctx.isSkillProofs('AWS::Bedrock::KnowledgeBase', knowledgeBaseId)) continue;
    const kbArn = ctx.arn('bedrock', `knowledge-base/${knowledgeBaseId}`);
    const sources = await allPages(async (token) => {
      const out = await ctx.call(() => agentClient.send(new ListDataSourcesCommand({ knowledgeBaseId, nextToken: token, maxResults: 100 })));
      return { items: out.dataSourceSummaries, next: out.nextToken };
    });
    for (const source of sources) {
      const dataSourceId = source.dataSourceId;
      if (!dataSourceId) continue;
      await ctx.remove(`${kbArn}/data-source/${dataSourceId}`, () => deleteDataSource(ctx, agentClient, knowledgeBaseId, dataSourceId), {
        gone: () => ctx.notFound(() => agentClient.send(new GetDataSourceCommand({ knowledgeBaseId, dataSourceId }))),
      });
    }
    await ctx.remove(kbArn, () => agentClient.send(new DeleteKnowledgeBaseCommand({ knowledgeBaseId })), {
      retryCodes: ['ConflictException'],
      gone: () => ctx.notFound(() => agentClient.send(new GetKnowledgeBaseCommand({ knowledgeBaseId }))),
    });
  }

  const flows = await allPages(async (token) => {
    const out = await ctx.call(() => agentClient.send(new ListFlowsCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.flowSummaries, next: out.nextToken };
  });
  for (const flow of flows) {
    if (!flow.id || ctx.isSkillProofs('AWS::Bedrock::Flow', flow.arn ?? flow.id)) continue;
    const aliases = await allPages(async (token) => {
      const out = await ctx.call(() => agentClient.send(new ListFlowAliasesCommand({ flowIdentifier: flow.id, nextToken: token, maxResults: 100 })));
      return { items: out.flowAliasSummaries, next: out.nextToken };
    });
    for (const alias of aliases) {
      if (!alias.id) continue;
      await ctx.remove(alias.arn ?? `${flow.arn}/alias/${alias.id}`, () => agentClient.send(new DeleteFlowAliasCommand({ flowIdentifier: flow.id, aliasIdentifier: alias.id })));
    }
    await ctx.remove(flow.arn ?? ctx.arn('bedrock', `flow/${flow.id}`), () => agentClient.send(new DeleteFlowCommand({ flowIdentifier: flow.id, skipResourceInUseCheck: true })));
  }
  const prompts = await allPages(async (token) => {
    const out = await ctx.call(() => agentClient.send(new ListPromptsCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.promptSummaries, next: out.nextToken };
  });
  for (const prompt of prompts) {
    if (!prompt.id || ctx.isSkillProofs('AWS::Bedrock::Prompt', prompt.arn ?? prompt.id)) continue;
    await ctx.remove(prompt.arn ?? ctx.arn('bedrock', `prompt/${prompt.id}`), () => agentClient.send(new DeletePromptCommand({ promptIdentifier: prompt.id })));
  }
}

/**
 * Deletes a data source. With the DELETE data-deletion policy Bedrock also deletes its vectors, and the
 * deletion ends DELETE_UNSUCCESSFUL when it cannot reach the vector store; then the policy is switched to
 * RETAIN (the vectors go with the store, which a later phase deletes) and the deletion repeated.
 */
async function deleteDataSource(ctx: PhaseContext, client: BedrockAgentClient, knowledgeBaseId: string, dataSourceId: string): Promise<void> {
  await client.send(new DeleteDataSourceCommand({ knowledgeBaseId, dataSourceId }));
  let status: string | undefined;
  await ctx.waitUntil(async () => {
    try {
      status = (await client.send(new GetDataSourceCommand({ knowledgeBaseId, dataSourceId }))).dataSource?.status;
    } catch (err) {
      if (isGone(err)) return true;
      throw err;
    }
    return status !== 'DELETING';
  });
  if (status !== 'DELETE_UNSUCCESSFUL') return;
  const { dataSource } = await ctx.call(() => client.send(new GetDataSourceCommand({ knowledgeBaseId, dataSourceId })));
  if (!dataSource) return;
  ctx.log(`data source ${dataSourceId} of ${knowledgeBaseId} could not delete its vectors (${(dataSource.failureReasons ?? []).join('; ')}); retrying with RETAIN`);
  await ctx.call(() =>
    client.send(
      new UpdateDataSourceCommand({
        knowledgeBaseId,
        dataSourceId,
        name: dataSource.name,
        dataSourceConfiguration: dataSource.dataSourceConfiguration,
        ...(dataSource.vectorIngestionConfiguration ? { vectorIngestionConfiguration: dataSource.vectorIngestionConfiguration } : {}),
        ...(dataSource.serverSideEncryptionConfiguration ? { serverSideEncryptionConfiguration: dataSource.serverSideEncryptionConfiguration } : {}),
        dataDeletionPolicy: 'RETAIN',
      }),
    ),
  );
  await client.send(new DeleteDataSourceCommand({ knowledgeBaseId, dataSourceId }));
}

/**
 * Bedrock (control plane): guardrails (all versions go with DeleteGuardrail), application inference profiles,
 * custom prompt routers, Automated Reasoning policies, and the account's model-invocation logging setting.
 */
export async function cleanBedrock(ctx: PhaseContext): Promise<void> {
  const bedrock = ctx.client(BedrockClient);
  const guardrails = await allPages(async (token) => {
    const out = await ctx.call(() => bedrock.send(new ListGuardrailsCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.guardrails, next: out.nextToken };
  });
  for (const guardrail of guardrails) {
    if (!guardrail.id || ctx.isSkillProofs('AWS::Bedrock::Guardrail', guardrail.arn ?? guardrail.id)) continue;
    await ctx.remove(guardrail.arn ?? ctx.arn('bedrock', `guardrail/${guardrail.id}`), () => bedrock.send(new DeleteGuardrailCommand({ guardrailIdentifier: guardrail.id })), {
      gone: () => ctx.notFound(() => bedrock.send(new GetGuardrailCommand({ guardrailIdentifier: guardrail.id }))),
    });
  }
  const profiles = await allPages(async (token) => {
    const out = await ctx.call(() => bedrock.send(new ListInferenceProfilesCommand({ typeEquals: 'APPLICATION', nextToken: token, maxResults: 100 })));
    return { items: out.inferenceProfileSummaries, next: out.nextToken };
  });
  for (const profile of profiles) {
    if (!profile.inferenceProfileArn || ctx.isSkillProofs('AWS::Bedrock::ApplicationInferenceProfile', profile.inferenceProfileArn)) continue;
    await ctx.remove(profile.inferenceProfileArn, () => bedrock.send(new DeleteInferenceProfileCommand({ inferenceProfileIdentifier: profile.inferenceProfileArn })));
  }
  const routers = await allPages(async (token) => {
    const out = await ctx.call(() => bedrock.send(new ListPromptRoutersCommand({ type: 'custom', nextToken: token, maxResults: 100 })));
    return { items: out.promptRouterSummaries, next: out.nextToken };
  });
  for (const router of routers) {
    if (!router.promptRouterArn || ctx.isSkillProofs('AWS::Bedrock::IntelligentPromptRouter', router.promptRouterArn)) continue;
    await ctx.remove(router.promptRouterArn, () => bedrock.send(new DeletePromptRouterCommand({ promptRouterArn: router.promptRouterArn })));
  }
  const policies = await allPages(async (token) => {
    const out = await ctx.call(() => bedrock.send(new ListAutomatedReasoningPoliciesCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.automatedReasoningPolicySummaries, next: out.nextToken };
  });
  for (const policy of policies) {
    if (!policy.policyArn || ctx.isSkillProofs('AWS::Bedrock::AutomatedReasoningPolicy', policy.policyArn)) continue;
    await ctx.remove(policy.policyArn, () => bedrock.send(new DeleteAutomatedReasoningPolicyCommand({ policyArn: policy.policyArn, force: true })));
  }
  const logging = await ctx.call(() => bedrock.send(new GetModelInvocationLoggingConfigurationCommand({})));
  if (logging.loggingConfig) {
    await ctx.prepare(ctx.arn('bedrock', 'model-invocation-logging'), 'DeleteModelInvocationLoggingConfiguration', () => bedrock.send(new DeleteModelInvocationLoggingConfigurationCommand({})));
  }
}
