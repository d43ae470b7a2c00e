import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { SQSEvent } from 'aws-lambda';
import { ServiceStack } from '../../cdk/lib/service-stack';
import { AttemptService } from '../../src/attempts/attempt-service';
import { REPO_ROOT } from '../../src/catalog/load';
import type { GradingJob } from '../../src/service/jobs';
import { openStore } from '../../src/store/open-store';

/**
 * The API and grading worker functions as esbuild bundles them for Lambda, from one synthesis of the
 * service stack (the lifecycle prebuilt: its bundle carries aws-cdk-lib and takes minutes). Each bundle
 * runs in a plain node process, as Lambda runs it, not through jest's module system.
 */
let dir: string;
const bundle = { api: '', worker: '' };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillproof-lambda-bundles-'));
  const stub = join(dir, 'stub');
  mkdirSync(stub);
  writeFileSync(join(stub, 'index.js'), 'exports.handler = async () => ({});\n');
  const app = new App({ outdir: join(dir, 'assembly') });
  new ServiceStack(app, 'Bundle', { poolAccountIds: ['444455556666'], code: (entry) => (entry === 'lifecycle' ? Code.fromAsset(stub) : undefined) });
  const template = app.synth().getStackByName('Bundle').template as { Resources: Record<string, { Type: string; Properties: { Code: { S3Key: string } } }> };
  // The assembly keeps each asset in asset.<hash>; the function's S3 key is <hash>.zip.
  const asset = (prefix: string) => {
    const [, fn] = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix))!;
    return join(dir, 'assembly', `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  };
  bundle.api = asset('Api');
  bundle.worker = asset('Worker');
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the API function bundle', () => {
  it('carries the portal files the server reads beside its code', () => {
    for (const file of ['index.js', 'assets/portal.css', 'assets/portal.js', 'assets/favicon.svg']) expect(existsSync(join(bundle.api, file))).toBe(true);
  });

  it('answers HTTP API events for /healthz and the stylesheet', () => {
    const data = join(dir, 'api-data');
    const script = `
      const { handler } = require(${JSON.stringify(join(bundle.api, 'index.js'))});
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

/**
 * The grading worker's bundle, run outside the repository (no tasks/ or graders/ to load, no
 * TypeScript): it grades a recorded fixture through the catalog compiled into the bundle.
 */
describe('the worker function bundle', () => {
  it('grades a recorded fixture with the catalog it carries', async () => {
    expect(existsSync(join(bundle.worker, 'index.js'))).toBe(true);
    const data = join(dir, 'worker-data');
    const fixture = join(REPO_ROOT, 'tasks', 'serverless-queue-worker', 'fixtures', 'pass', 'cdk-solution.json');
    const store = openStore(`sqlite:${data}`);
    const jobs: GradingJob[] = [];
    const service = new AttemptService({
      store,
      grade: () => Promise.reject(new Error('graded by the bundle, not here')),
      freeze: async () => undefined,
      dispatcher: { kind: 'queue', enqueue: async (queued) => void jobs.push(...queued) },
    });
    const created = await service.create({ candidate: 'bundle-test', target: { kind: 'practice', taskId: 'serverless-queue-worker' }, sandbox: { kind: 'replay', path: fixture } });
    await service.start(created.id);
    await service.check(created.id);
    store.close();
    expect(jobs).toHaveLength(1);

    const event: SQSEvent = {
      Records: jobs.map((job, i) => ({
        messageId: `m-${i}`,
        receiptHandle: `r-${i}`,
        body: JSON.stringify(job),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:GradingQueue',
        awsRegion: 'eu-west-1',
      })),
    };
    const script = `
      const { handler } = require(${JSON.stringify(join(bundle.worker, 'index.js'))});
      handler(${JSON.stringify(event)}).then((out) => process.stdout.write('\\n' + JSON.stringify(out)), (e) => { process.stderr.write(e.stack); process.exit(1); });`;
    // Outside the repository: the bundle must not find tasks/ anywhere. better-sqlite3 (the local
    // sqlite: store only; the service uses DynamoDB) stays outside the bundle and comes through NODE_PATH.
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: dir,
      env: { PATH: process.env.PATH, NODE_PATH: join(REPO_ROOT, 'node_modules'), SKILLPROOF_STORE: `sqlite:${data}`, SKILLPROOF_HOME: join(dir, 'home'), AWS_REGION: 'eu-west-1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    // The worker logs a JSON line per job; the handler's answer comes last.
    const lines = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.at(-1)).toEqual({ batchItemFailures: [] });
    expect(lines).toContainEqual(expect.objectContaining({ event: 'job-graded', jobId: jobs[0]!.jobId, status: 'passed' }));

    const after = openStore(`sqlite:${data}`);
    const runs = await after.listGradingRuns(created.id, { scope: 'progress' });
    after.close();
    expect(runs.map((r) => [r.taskId, r.status])).toEqual([['serverless-queue-worker', 'passed']]);
  });
});
