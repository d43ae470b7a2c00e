import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { ServiceStack } from '../../cdk/lib/service-stack';
import { REPO_ROOT } from '../../src/catalog/load';

/**
 * The API function as esbuild bundles it for Lambda (the other functions prebuilt: the lifecycle's
 * bundle carries aws-cdk-lib and takes minutes). The bundle runs in a plain node process, as Lambda
 * runs it, not through jest's module system.
 */
describe('the API function bundle', () => {
  let dir: string;
  let bundle: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-api-bundle-'));
    const stub = join(dir, 'stub');
    mkdirSync(stub);
    writeFileSync(join(stub, 'index.js'), 'exports.handler = async () => ({});\n');
    const app = new App({ outdir: join(dir, 'assembly') });
    new ServiceStack(app, 'Bundle', { poolAccountIds: ['444455556666'], code: (entry) => (entry === 'api' ? undefined : Code.fromAsset(stub)) });
    const template = app.synth().getStackByName('Bundle').template as { Resources: Record<string, { Type: string; Properties: { Code: { S3Key: string } } }> };
    const [, api] = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('Api'))!;
    // The assembly keeps each asset in asset.<hash>; the function's S3 key is <hash>.zip.
    bundle = join(dir, 'assembly', `asset.${api.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('carries the portal files the server reads beside its code', () => {
    for (const file of ['index.js', 'assets/portal.css', 'assets/portal.js', 'assets/favicon.svg']) expect(existsSync(join(bundle, file))).toBe(true);
  });

  it('answers HTTP API events for /healthz and the stylesheet', () => {
    const data = join(dir, 'data');
    const script = `
      const { handler } = require(${JSON.stringify(join(bundle, 'index.js'))});
      const event = (path) => ({ version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '', headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
        requestContext: { accountId: '111122223333', apiId: 'abc123', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', domainPrefix: 'abc123',
          http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' }, requestId: 'r1', routeKey: '$default', stage: '$default', time: '', timeEpoch: 0 },
        isBase64Encoded: false });
      (async () => {
        const health = await handler(event('/healthz'));
        const css = await handler(event('/static/portal.css'));
        await handler.close();
        process.stdout.write(JSON.stringify({ health: [health.statusCode, health.body], css: [css.statusCode, css.headers['content-type']] }));
      })().catch((e) => { process.stderr.write(e.stack); process.exit(1); });`;
    // better-sqlite3 stays outside the bundle (only the local sqlite: store loads it): found through NODE_PATH here.
    const run = spawnSync(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, NODE_PATH: join(REPO_ROOT, 'node_modules'), SKILLPROOF_STORE: `sqlite:${data}`, AWS_REGION: 'eu-west-1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ health: [200, '{\n  "status": "ok"\n}\n'], css: [200, 'text/css; charset=utf-8'] });
  });
});
