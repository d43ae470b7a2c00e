import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  type UserPoolClientType,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { CheckContext } from '../../src/model/grader';
import { allPages, orNotFound } from './aws-calls';

/**
 * The user pool named exactly `name` with its details, or undefined when there is none. Two pools of one
 * name is an error: names are not unique in Cognito, so the caller could not tell which one is meant.
 */
export function findUserPoolByName(ctx: CheckContext, name: string): Promise<UserPoolType | undefined> {
  return ctx.memo(`cognito-user-pool-named:${name}`, async () => {
    const client = ctx.client(CognitoIdentityProviderClient);
    const all = await allPages(
      (NextToken) => client.send(new ListUserPoolsCommand({ MaxResults: 60, ...(NextToken ? { NextToken } : {}) })),
      (page) => page.UserPools,
      (page) => page.NextToken,
    );
    const named = all.filter((p) => p.Name === name && p.Id);
    if (named.length > 1) throw new Error(`${named.length} user pools are named ${name}; expected the sandbox's one`);
    if (named.length === 0) return undefined;
    return (await orNotFound(client.send(new DescribeUserPoolCommand({ UserPoolId: named[0]!.Id! }))))?.UserPool;
  });
}

/** The app client of a pool named exactly `name`, with its secret, or undefined. */
export function findUserPoolClientByName(ctx: CheckContext, userPoolId: string, name: string): Promise<UserPoolClientType | undefined> {
  return ctx.memo(`cognito-user-pool-client-named:${userPoolId}:${name}`, async () => {
    const client = ctx.client(CognitoIdentityProviderClient);
    const all = await allPages(
      (NextToken) => client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, ...(NextToken ? { NextToken } : {}) })),
      (page) => page.UserPoolClients,
      (page) => page.NextToken,
    );
    const summary = all.find((c) => c.ClientName === name && c.ClientId);
    if (!summary) return undefined;
    return (await orNotFound(client.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: summary.ClientId! }))))?.UserPoolClient;
  });
}

/** A user pool's OpenID Connect discovery URL (what a JWT authorizer is configured with). */
export function discoveryUrlOf(region: string, userPoolId: string): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}/.well-known/openid-configuration`;
}

/** The OAuth 2.0 token endpoint of a pool's Cognito-hosted domain (its prefix, as DescribeUserPool reports it). */
export function tokenEndpointOf(region: string, domainPrefix: string): string {
  return `https://${domainPrefix}.auth.${region}.amazoncognito.com/oauth2/token`;
}

export type TokenResult = { ok: true; accessToken: string } | { ok: false; problem: string };

/**
 * An access token for an app client by the client-credentials grant (client id and secret in HTTP Basic
 * authentication, as Cognito's token endpoint accepts them). The request's Authorization header and the
 * answer's `access_token` are redacted from the evidence; the token is handed to the caller as sent.
 */
export async function clientCredentialsToken(ctx: CheckContext, tokenUrl: string, client: Pick<UserPoolClientType, 'ClientId' | 'ClientSecret' | 'AllowedOAuthScopes'>): Promise<TokenResult> {
  if (!client.ClientId || !client.ClientSecret) return { ok: false, problem: `app client ${client.ClientId ?? '?'} has no secret` };
  const basic = Buffer.from(`${client.ClientId}:${client.ClientSecret}`).toString('base64');
  const scope = (client.AllowedOAuthScopes ?? []).join(' ');
  const res = await ctx.http.request({
    method: 'POST',
    url: tokenUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
  });
  if (res.status !== 200) return { ok: false, problem: `the token endpoint ${tokenUrl} answered HTTP ${res.status}: ${res.body.slice(0, 200)}` };
  let token: unknown;
  try {
    token = (JSON.parse(res.body) as { access_token?: unknown }).access_token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '') return { ok: false, problem: `the token endpoint ${tokenUrl} answered without an access_token` };
  return { ok: true, accessToken: token };
}
