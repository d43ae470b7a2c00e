import {
  CognitoIdentityProviderClient,
  DeleteIdentityProviderCommand,
  DeleteResourceServerCommand,
  DeleteUserPoolClientCommand,
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
  DescribeUserPoolCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { allPages } from '../aws-call';
import type { PhaseContext } from '../context';

/**
 * Cognito user pools. A candidate's pool: its domains (prefix and custom) first, deletion protection off,
 * then the pool. SkillProof's seeded pool stays, but only what its stack made: app clients, resource servers
 * and identity providers the candidate added to it are removed.
 */
export async function cleanUserPools(ctx: PhaseContext): Promise<void> {
  const idp = ctx.client(CognitoIdentityProviderClient);
  const pools = await allPages(async (token) => {
    const out = await ctx.call(() => idp.send(new ListUserPoolsCommand({ NextToken: token, MaxResults: 60 })));
    return { items: out.UserPools, next: out.NextToken };
  });
  for (const summary of pools) {
    const poolId = summary.Id;
    if (!poolId) continue;
    const poolArn = ctx.arn('cognito-idp', `userpool/${poolId}`);
    if (ctx.isSkillProofs('AWS::Cognito::UserPool', poolId)) {
      await removeAdditions(ctx, idp, poolId, poolArn);
      continue;
    }
    await ctx.remove(poolArn, async () => {
      const { UserPool: pool } = await ctx.call(() => idp.send(new DescribeUserPoolCommand({ UserPoolId: poolId })));
      for (const domain of [pool?.Domain, pool?.CustomDomain]) {
        if (domain) await ctx.call(() => idp.send(new DeleteUserPoolDomainCommand({ UserPoolId: poolId, Domain: domain })));
      }
      // UpdateUserPool resets what it is not given; harmless here, as the pool is deleted next.
      if (pool?.DeletionProtection === 'ACTIVE') await ctx.call(() => idp.send(new UpdateUserPoolCommand({ UserPoolId: poolId, DeletionProtection: 'INACTIVE' })));
      return idp.send(new DeleteUserPoolCommand({ UserPoolId: poolId }));
    });
  }
}

async function removeAdditions(ctx: PhaseContext, idp: CognitoIdentityProviderClient, poolId: string, poolArn: string): Promise<void> {
  const clients = await allPages(async (token) => {
    const out = await ctx.call(() => idp.send(new ListUserPoolClientsCommand({ UserPoolId: poolId, NextToken: token, MaxResults: 60 })));
    return { items: out.UserPoolClients, next: out.NextToken };
  });
  for (const client of clients) {
    if (!client.ClientId || ctx.isSkillProofs('AWS::Cognito::UserPoolClient', client.ClientId)) continue;
    await ctx.remove(`${poolArn}/client/${client.ClientId}`, () => idp.send(new DeleteUserPoolClientCommand({ UserPoolId: poolId, ClientId: client.ClientId })));
  }
  const servers = await allPages(async (token) => {
    const out = await ctx.call(() => idp.send(new ListResourceServersCommand({ UserPoolId: poolId, NextToken: token, MaxResults: 50 })));
    return { items: out.ResourceServers, next: out.NextToken };
  });
  for (const server of servers) {
    if (!server.Identifier || ctx.isSkillProofs('AWS::Cognito::UserPoolResourceServer', server.Identifier)) continue;
    await ctx.remove(`${poolArn}/resource-server/${server.Identifier}`, () => idp.send(new DeleteResourceServerCommand({ UserPoolId: poolId, Identifier: server.Identifier })));
  }
  const providers = await allPages(async (token) => {
    const out = await ctx.call(() => idp.send(new ListIdentityProvidersCommand({ UserPoolId: poolId, NextToken: token, MaxResults: 60 })));
    return { items: out.Providers, next: out.NextToken };
  });
  for (const provider of providers) {
    if (!provider.ProviderName || ctx.isSkillProofs('AWS::Cognito::UserPoolIdentityProvider', provider.ProviderName)) continue;
    await ctx.remove(`${poolArn}/identity-provider/${provider.ProviderName}`, () => idp.send(new DeleteIdentityProviderCommand({ UserPoolId: poolId, ProviderName: provider.ProviderName })));
  }
}
