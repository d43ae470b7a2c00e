import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
 * The grading worker as esbuild bundles it for Lambda, run in a plain node process outside the
 * repository (no tasks/ or graders/ to load, no TypeScript): it grades a recorded fixture through
 * the catalog compiled into the bundle.
 */
describe('the worker function bundle', () => {
  let dir: string;
  let bundle: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-worker-bundle-'));
    const stub = join(dir, 'stub');
    mkdirSync(stub);
    writeFileSync(join(stub, 'index.js'), 'exports.handler = async () => ({});\n');
    const app = new App({ outdir: join(dir, 'assembly') });
    new ServiceStack(app, 'Bundle', { poolAccountIds: ['444455556666'], code: (entry) => (entry === 'worker' ? undefined : Code.fromAsset(stub)) });
    const template = app.synth().getStackByName('Bundle').template as { Resources: Record<string, { Type: string; Properties: { Code: { S3Key: string } } }> };
    const [, worker] = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('Worker'))!;
    bundle = join(dir, 'assembly', `asset.${worker.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('grades a recorded fixture with the catalog it carries', async () => {
    expect(existsSync(join(bundle, 'index.js'))).toBe(true);
    const data = join(dir, 'data');
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
      const { handler } = require(${JSON.stringify(join(bundle, 'index.js'))});
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
