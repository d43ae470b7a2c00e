import { APIGatewayClient, GetDeploymentCommand, GetStagesCommand as GetRestStagesCommand } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, ExportApiCommand, GetStagesCommand } from '@aws-sdk/client-apigatewayv2';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { findDeployment, type Api } from '../../../graders/lib/api-gateway';
import { awsError, FakeAccount } from '../../../src/testing/fake-account';
import { inCheck } from '../../support/harness';

const REST: Api = { kind: 'rest', id: 'a1b2c3d4e5', name: 'orders-api' };
const HTTP: Api = { kind: 'http', id: 'h7t8p9q0r1', name: 'orders-api', endpoint: 'https://h7t8p9q0r1.execute-api.eu-west-1.amazonaws.com' };
const exported = (paths: object) => Uint8ArrayBlobAdapter.fromString(JSON.stringify({ openapi: '3.0.1', info: { title: 'orders-api', version: '1' }, paths }));

/** An HTTP API whose stages come in pages of one, each stage exporting the given paths. */
function httpApi(stages: Array<{ name: string; paths: object; autoDeploy?: boolean; deployed?: boolean }>): FakeAccount {
  return new FakeAccount()
    .on(ApiGatewayV2Client, GetStagesCommand, ({ NextToken }) => {
      const i = NextToken ? Number(NextToken) : 0;
      const st = stages[i]!;
      const item = { StageName: st.name, AutoDeploy: st.autoDeploy ?? false, ...(st.deployed === false ? {} : { DeploymentId: `dep${i}` }) };
      return { Items: [item], ...(i + 1 < stages.length ? { NextToken: String(i + 1) } : {}) };
    })
    .on(ApiGatewayV2Client, ExportApiCommand, ({ StageName }) => ({ body: exported(stages.find((s) => s.name === StageName)!.paths) }));
}

function restApi(stages: Array<{ name: string; summary: Record<string, Record<string, { authorizationType: string; apiKeyRequired: boolean }>> }>): FakeAccount {
  return new FakeAccount()
    .on(APIGatewayClient, GetRestStagesCommand, () => ({ item: stages.map((s, i) => ({ stageName: s.name, deploymentId: `d${i}` })) }))
    .on(APIGatewayClient, GetDeploymentCommand, ({ deploymentId, embed }) => {
      const stage = stages[Number(deploymentId?.slice(1))];
      if (!stage) throw awsError('NotFoundException', 'Invalid Deployment identifier specified', 404);
      return { id: deploymentId, ...(embed?.includes('apisummary') ? { apiSummary: stage.summary } : {}) };
    });
}

const post = { authorizationType: 'NONE', apiKeyRequired: false };
const describe_ = (d: Awaited<ReturnType<typeof findDeployment>>) => (d.deployed ? { stage: d.stage, url: d.invokeUrl('/orders') } : { reason: d.reason });

describe('graders/lib/api-gateway findDeployment', () => {
  it('reads every page of an HTTP API\'s stages and picks the one whose deployment serves the route', async () => {
    const account = httpApi([{ name: '$default', paths: {} }, { name: 'live', paths: { '/orders': { post: {} } }, autoDeploy: true }]);
    expect(describe_(await inCheck(account, (ctx) => findDeployment(ctx, HTTP, 'POST', '/orders')))).toEqual({ stage: 'live', url: 'https://h7t8p9q0r1.execute-api.eu-west-1.amazonaws.com/live/orders' });
  });

  it('counts an ANY route of an HTTP API, and calls $default at the API endpoint itself', async () => {
    const account = httpApi([{ name: '$default', paths: { '/orders': { 'x-amazon-apigateway-any-method': {} } }, autoDeploy: true }]);
    expect(describe_(await inCheck(account, (ctx) => findDeployment(ctx, HTTP, 'POST', '/orders')))).toEqual({ stage: '$default', url: 'https://h7t8p9q0r1.execute-api.eu-west-1.amazonaws.com/orders' });
  });

  it('says, stage by stage, why no HTTP API stage serves the route', async () => {
    const account = httpApi([{ name: '$default', paths: {}, autoDeploy: true, deployed: false }, { name: 'prod', paths: { '/orders': { get: {} } } }]);
    expect(describe_(await inCheck(account, (ctx) => findDeployment(ctx, HTTP, 'POST', '/orders')))).toEqual({
      reason: 'no stage of the HTTP API h7t8p9q0r1 serves POST /orders: stage $default: auto-deploy is on, but nothing has been deployed to it yet; stage prod: its deployment dep1 has no POST /orders (auto-deploy is off: deploy the API again)',
    });
  });

  it('skips a REST stage whose deployment predates the route, in favour of one that has it (ANY counts)', async () => {
    const account = restApi([{ name: 'dev', summary: { '/orders': { GET: post } } }, { name: 'prod', summary: { '/orders': { ANY: post } } }]);
    expect(describe_(await inCheck(account, (ctx) => findDeployment(ctx, REST, 'POST', '/orders')))).toEqual({ stage: 'prod', url: 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/orders' });
  });

  it('gives no verdict on a deployment read without its API summary (API Gateway never deploys an API without methods)', async () => {
    const account = new FakeAccount()
      .on(APIGatewayClient, GetRestStagesCommand, () => ({ item: [{ stageName: 'prod', deploymentId: 'd0' }] }))
      .on(APIGatewayClient, GetDeploymentCommand, ({ deploymentId }) => ({ id: deploymentId }));
    await expect(inCheck(account, (ctx) => findDeployment(ctx, REST, 'POST', '/orders'))).rejects.toThrow(/no API summary for deployment d0/);
  });

  it('gives no verdict on an HTTP API export without a definition', async () => {
    const account = httpApi([{ name: '$default', paths: {}, autoDeploy: true }]).on(ApiGatewayV2Client, ExportApiCommand, () => ({}));
    await expect(inCheck(account, (ctx) => findDeployment(ctx, HTTP, 'POST', '/orders'))).rejects.toThrow(/ExportApi returned no definition for stage \$default/);
  });

  it('lets AccessDenied on a deployment propagate: no verdict on the candidate', async () => {
    const account = restApi([{ name: 'prod', summary: { '/orders': { GET: post } } }]).failing(APIGatewayClient, GetDeploymentCommand, 'AccessDeniedException', 403);
    await expect(inCheck(account, (ctx) => findDeployment(ctx, REST, 'POST', '/orders'))).rejects.toThrow(/ERROR: APIGateway\.GetDeployment failed with AccessDeniedException/);
  });
});
