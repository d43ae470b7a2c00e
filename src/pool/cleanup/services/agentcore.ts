import {
  BedrockAgentCoreControlClient,
  DeleteAgentRuntimeCommand,
  DeleteAgentRuntimeEndpointCommand,
  DeleteApiKeyCredentialProviderCommand,
  DeleteBrowserCommand,
  DeleteCodeInterpreterCommand,
  DeleteGatewayCommand,
  DeleteGatewayTargetCommand,
  DeleteMemoryCommand,
  DeleteOauth2CredentialProviderCommand,
  DeleteWorkloadIdentityCommand,
  GetAgentRuntimeCommand,
  GetAgentRuntimeEndpointCommand,
  GetGatewayCommand,
  GetGatewayTargetCommand,
  GetMemoryCommand,
  ListAgentRuntimeEndpointsCommand,
  ListAgentRuntimesCommand,
  ListApiKeyCredentialProvidersCommand,
  ListBrowsersCommand,
  ListCodeInterpretersCommand,
  ListGatewaysCommand,
  ListGatewayTargetsCommand,
  ListMemoriesCommand,
  ListOauth2CredentialProvidersCommand,
  ListWorkloadIdentitiesCommand,
} from '@aws-sdk/client-bedrock-agentcore-control';
import { allPages } from '../aws-call';
import type { PhaseContext } from '../context';

/** The endpoint every runtime has; it cannot be deleted on its own and goes with the runtime. */
const DEFAULT_ENDPOINT = 'DEFAULT';

/**
 * Bedrock AgentCore: runtime endpoints before runtimes, gateway targets before gateways, memories, custom
 * browsers and code interpreters, then the identity resources runtimes and gateways used (credential
 * providers, workload identities). Deletions are asynchronous; each is waited for.
 */
export async function cleanAgentCore(ctx: PhaseContext): Promise<void> {
  const ac = ctx.client(BedrockAgentCoreControlClient);

  const runtimes = await allPages(async (token) => {
    const out = await ctx.call(() => ac.send(new ListAgentRuntimesCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.agentRuntimes, next: out.nextToken };
  });
  for (const runtime of runtimes) {
    const agentRuntimeId = runtime.agentRuntimeId;
    if (!agentRuntimeId || ctx.isSkillProofs('AWS::BedrockAgentCore::Runtime', runtime.agentRuntimeArn ?? agentRuntimeId)) continue;
    const endpoints = await allPages(async (token) => {
      const out = await ctx.call(() => ac.send(new ListAgentRuntimeEndpointsCommand({ agentRuntimeId, nextToken: token, maxResults: 100 })));
      return { items: out.runtimeEndpoints, next: out.nextToken };
    });
    for (const endpoint of endpoints) {
      const endpointName = endpoint.name;
      if (!endpointName || endpointName === DEFAULT_ENDPOINT) continue;
      await ctx.remove(endpoint.agentRuntimeEndpointArn ?? `${runtime.agentRuntimeArn}/runtime-endpoint/${endpointName}`, () => ac.send(new DeleteAgentRuntimeEndpointCommand({ agentRuntimeId, endpointName })), {
        retryCodes: ['ConflictException'],
        gone: () => ctx.notFound(() => ac.send(new GetAgentRuntimeEndpointCommand({ agentRuntimeId, endpointName }))),
      });
    }
    await ctx.remove(runtime.agentRuntimeArn ?? ctx.arn('bedrock-agentcore', `runtime/${agentRuntimeId}`), () => ac.send(new DeleteAgentRuntimeCommand({ agentRuntimeId })), {
      retryCodes: ['ConflictException'],
      gone: () => ctx.notFound(() => ac.send(new GetAgentRuntimeCommand({ agentRuntimeId }))),
    });
  }

  const gateways = await allPages(async (token) => {
    const out = await ctx.call(() => ac.send(new ListGatewaysCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.items, next: out.nextToken };
  });
  for (const gateway of gateways) {
    const gatewayIdentifier = gateway.gatewayId;
    if (!gatewayIdentifier || ctx.isSkillProofs('AWS::BedrockAgentCore::Gateway', gatewayIdentifier)) continue;
    const gatewayArn = ctx.arn('bedrock-agentcore', `gateway/${gatewayIdentifier}`);
    const targets = await allPages(async (token) => {
      const out = await ctx.call(() => ac.send(new ListGatewayTargetsCommand({ gatewayIdentifier, nextToken: token, maxResults: 100 })));
      return { items: out.items, next: out.nextToken };
    });
    for (const target of targets) {
      const targetId = target.targetId;
      if (!targetId) continue;
      await ctx.remove(`${gatewayArn}/target/${targetId}`, () => ac.send(new DeleteGatewayTargetCommand({ gatewayIdentifier, targetId })), {
        retryCodes: ['ConflictException'],
        gone: () => ctx.notFound(() => ac.send(new GetGatewayTargetCommand({ gatewayIdentifier, targetId }))),
      });
    }
    await ctx.remove(gatewayArn, () => ac.send(new DeleteGatewayCommand({ gatewayIdentifier })), {
      retryCodes: ['ConflictException', 'ValidationException'],
      gone: () => ctx.notFound(() => ac.send(new GetGatewayCommand({ gatewayIdentifier }))),
    });
  }

  const memories = await allPages(async (token) => {
    const out = await ctx.call(() => ac.send(new ListMemoriesCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.memories, next: out.nextToken };
  });
  for (const memory of memories) {
    const memoryId = memory.id;
    // A memory another AgentCore resource manages goes with that resource.
    if (!memoryId || memory.managedByResourceArn || ctx.isSkillProofs('AWS::BedrockAgentCore::Memory', memory.arn ?? memoryId)) continue;
    await ctx.remove(memory.arn ?? ctx.arn('bedrock-agentcore', `memory/${memoryId}`), () => ac.send(new DeleteMemoryCommand({ memoryId })), {
      retryCodes: ['ConflictException'],
      gone: () => ctx.notFound(() => ac.send(new GetMemoryCommand({ memoryId }))),
    });
  }

  const browsers = await allPages(async (token) => {
    const out = await ctx.call(() => ac.send(new ListBrowsersCommand({ type: 'CUSTOM', nextToken: token, maxResults: 100 })));
    return { items: out.browserSummaries, next: out.nextToken };
  });
  for (const browser of browsers) {
    if (!browser.browserId || ctx.isSkillProofs('AWS::BedrockAgentCore::BrowserCustom', browser.browserId)) continue;
    await ctx.remove(browser.browserArn ?? ctx.arn('bedrock-agentcore', `browser-custom/${browser.browserId}`), () => ac.send(new DeleteBrowserCommand({ browserId: browser.browserId })));
  }
  const interpreters = await allPages(async (token) => {
    const out = await ctx.call(() => ac.send(new ListCodeInterpretersCommand({ type: 'CUSTOM', nextToken: token, maxResults: 100 })));
    return { items: out.codeInterpreterSummaries, next: out.nextToken };
  });
  for (const interpreter of interpreters) {
    const id = interpreter.codeInterpreterId;
    if (!id || ctx.isSkillProofs('AWS::BedrockAgentCore::CodeInterpreterCustom', id)) continue;
    await ctx.remove(interpreter.codeInterpreterArn ?? ctx.arn('bedrock-agentcore', `code-interpreter-custom/${id}`), () => ac.send(new DeleteCodeInterpreterCommand({ codeInterpreterId: id })));
  }

  const oauth = await allPages(async (token) => {
    const out = await ctx.call(() => ac.send(new ListOauth2CredentialProvidersCommand({ nextToken: token, maxResults: 20 })));
    return { items: out.credentialProviders, next: out.nextToken };
  });
  for (const provider of oauth) {
    if (!provider.name || !provider.credentialProviderArn || ctx.isSkillProofs('AWS::BedrockAgentCore::OAuth2CredentialProvider', provider.credentialProviderArn)) continue;
    await ctx.remove(provider.credentialProviderArn, () => ac.send(new DeleteOauth2CredentialProviderCommand({ name: provider.name })));
  }
  const apiKeys = await allPages(async (token) => {
    const out = await ctx.call(() => ac.send(new ListApiKeyCredentialProvidersCommand({ nextToken: token, maxResults: 20 })));
    return { items: out.credentialProviders, next: out.nextToken };
  });
  for (const provider of apiKeys) {
    if (!provider.name || !provider.credentialProviderArn || ctx.isSkillProofs('AWS::BedrockAgentCore::ApiKeyCredentialProvider', provider.credentialProviderArn)) continue;
    await ctx.remove(provider.credentialProviderArn, () => ac.send(new DeleteApiKeyCredentialProviderCommand({ name: provider.name })));
  }
  const identities = await allPages(async (token) => {
    const out = await ctx.call(() => ac.send(new ListWorkloadIdentitiesCommand({ nextToken: token, maxResults: 20 })));
    return { items: out.workloadIdentities, next: out.nextToken };
  });
  for (const identity of identities) {
    if (!identity.name || ctx.isSkillProofs('AWS::BedrockAgentCore::WorkloadIdentity', identity.workloadIdentityArn ?? identity.name)) continue;
    await ctx.remove(identity.workloadIdentityArn ?? ctx.arn('bedrock-agentcore', `workload-identity-directory/default/workload-identity/${identity.name}`), () =>
      ac.send(new DeleteWorkloadIdentityCommand({ name: identity.name })),
    );
  }
}
