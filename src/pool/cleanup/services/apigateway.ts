import {
  APIGatewayClient,
  DeleteApiKeyCommand,
  DeleteClientCertificateCommand,
  DeleteRestApiCommand,
  DeleteUsagePlanCommand,
  GetAccountCommand,
  GetApiKeysCommand,
  GetClientCertificatesCommand,
  GetRestApisCommand,
  GetUsagePlansCommand,
  UpdateAccountCommand,
} from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, DeleteApiCommand, GetApisCommand } from '@aws-sdk/client-apigatewayv2';
import { allPages, errorText } from '../aws-call';
import type { PhaseContext } from '../context';

/**
 * API Gateway: usage plans and API keys (they reference stages), then each REST API (its stages,
 * deployments, resources and authorizers go with it; DeleteRestApi is limited to one call per 30 s per
 * account, which the throttling retry absorbs), client certificates, HTTP and WebSocket APIs, and the
 * account's CloudWatch role setting when it names a role that is not SkillProof's.
 */
export async function cleanApiGateway(ctx: PhaseContext): Promise<void> {
  const apigw = ctx.client(APIGatewayClient);
  const apiArn = (path: string) => ctx.arn('apigateway', path).replace(`:${ctx.target.accountId}:`, '::');

  const plans = await allPages(async (token) => {
    const out = await ctx.call(() => apigw.send(new GetUsagePlansCommand({ position: token, limit: 500 })));
    return { items: out.items, next: out.position };
  });
  for (const plan of plans) {
    if (!plan.id || ctx.isSkillProofs('AWS::ApiGateway::UsagePlan', plan.id)) continue;
    await ctx.remove(apiArn(`/usageplans/${plan.id}`), () => apigw.send(new DeleteUsagePlanCommand({ usagePlanId: plan.id })));
  }
  const keys = await allPages(async (token) => {
    const out = await ctx.call(() => apigw.send(new GetApiKeysCommand({ position: token, limit: 500 })));
    return { items: out.items, next: out.position };
  });
  for (const key of keys) {
    if (!key.id || ctx.isSkillProofs('AWS::ApiGateway::ApiKey', key.id)) continue;
    await ctx.remove(apiArn(`/apikeys/${key.id}`), () => apigw.send(new DeleteApiKeyCommand({ apiKey: key.id })));
  }
  const restApis = await allPages(async (token) => {
    const out = await ctx.call(() => apigw.send(new GetRestApisCommand({ position: token, limit: 500 })));
    return { items: out.items, next: out.position };
  });
  for (const api of restApis) {
    if (!api.id || ctx.isSkillProofs('AWS::ApiGateway::RestApi', api.id)) continue;
    await ctx.remove(apiArn(`/restapis/${api.id}`), () => apigw.send(new DeleteRestApiCommand({ restApiId: api.id })));
  }
  const certificates = await allPages(async (token) => {
    const out = await ctx.call(() => apigw.send(new GetClientCertificatesCommand({ position: token, limit: 500 })));
    return { items: out.items, next: out.position };
  });
  for (const certificate of certificates) {
    const id = certificate.clientCertificateId;
    if (!id || ctx.isSkillProofs('AWS::ApiGateway::ClientCertificate', id)) continue;
    await ctx.remove(apiArn(`/clientcertificates/${id}`), () => apigw.send(new DeleteClientCertificateCommand({ clientCertificateId: id })));
  }

  const v2 = ctx.client(ApiGatewayV2Client);
  const apis = await allPages(async (token) => {
    const out = await ctx.call(() => v2.send(new GetApisCommand({ NextToken: token, MaxResults: '500' })));
    return { items: out.Items, next: out.NextToken };
  });
  for (const api of apis) {
    if (!api.ApiId || ctx.isSkillProofs('AWS::ApiGatewayV2::Api', api.ApiId)) continue;
    await ctx.remove(apiArn(`/apis/${api.ApiId}`), () => v2.send(new DeleteApiCommand({ ApiId: api.ApiId })));
  }

  // The account setting is not a resource: it cannot be deleted, only pointed elsewhere. A stale role ARN is
  // harmless (the role is deleted with the candidate's roles), so failing to reset it is logged, not dirty.
  const account = await ctx.call(() => apigw.send(new GetAccountCommand({})));
  const roleName = account.cloudwatchRoleArn?.split('/').pop();
  if (roleName && !ctx.ownership.isSkillProofs('AWS::IAM::Role', roleName, ctx.region)) {
    try {
      await ctx.call(() => apigw.send(new UpdateAccountCommand({ patchOperations: [{ op: 'replace', path: '/cloudwatchRoleArn', value: '' }] })));
    } catch (err) {
      ctx.log(`could not reset the account's CloudWatch role (${account.cloudwatchRoleArn}): ${errorText(err)}`);
    }
  }
}
