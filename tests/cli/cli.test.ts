import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog/load';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { FIXTURE_KINDS, listFixtureFiles } from '../../src/testing/scenarios';
import { spawnBin, spawnCli } from '../support/cli-bundle';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), setExitCode: () => undefined };
  const code = await main(argv, io);
  return { code, out, err };
}

const EXIT_FOR = { pass: 0, alt: 0, fail: 1, error: 3 } as const;

describe('skillproof CLI', () => {
  const fixtures = loadCatalog().all().flatMap((entry) => listFixtureFiles(entry));
  // One fixture of each kind of each task: that every fixture grades as its kind says is proven in
  // tests/tasks/fixtures.test.ts; here, that regrade turns each task's reports into the exit codes.
  const firstOfKind = loadCatalog()
    .all()
    .flatMap((entry) => FIXTURE_KINDS.map((kind) => [entry.task.id, listFixtureFiles(entry).find((f) => f.kind === kind)!] as const));

  it.each(firstOfKind.map(([task, f]) => [`${task} ${f.kind}/${f.name}`, f] as const))('regrade %s exits with its expected status code', async (_n, f) => {
    const r = await cli('regrade', f.file, '--format', 'json');
    expect(r.code).toBe(EXIT_FOR[f.kind]);
    expect(JSON.parse(r.out).format).toBe('skillproof.report/v1');
  });

  // The command's table, summary and exit code, on one task (it synthesises the task's sandbox stack to judge its
  // grader role: seconds per task). Every task's fixtures and grader role are judged by the same checkFixture and
  // missingGraderPermissions in tests/tasks/fixtures.test.ts.
  it('grader test reports no mismatch, no task short of fixtures and no call its grader role refuses', async () => {
    const entry = loadCatalog().get('serverless-orders-api');
    const r = await cli('grader', 'test', 'serverless-orders-api');
    expect(r.out).toMatch(/\n(\d+) fixtures as expected, 0 mismatched; 1 of 1 tasks with enough fixtures/);
    expect(Number(/\n(\d+) fixtures as expected/.exec(r.out)?.[1])).toBe(listFixtureFiles(entry).length);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^RESULT +TASK +FIXTURE +STATUS$/);
    expect(lines.filter((l) => /^ok +serverless-orders-api +(pass|alt|fail|error)\//.test(l))).toHaveLength(listFixtureFiles(entry).length);
    expect(r.code).toBe(0);
  }, 120_000);

  it('writes JUnit XML with a failure for each failed check', async () => {
    const file = fixtures.find((f) => f.file.endsWith('serverless-orders-api/fixtures/fail/tracing-off.json'))!.file;
    const r = await cli('regrade', file, '--format', 'junit');
    expect(r.out).toContain('<testsuite name="serverless-orders-api"');
    expect(r.out.match(/<failure /g)).toHaveLength(1);
  });

  it('lists tasks as JSON', async () => {
    const r = await cli('tasks', 'list', '--json');
    expect(JSON.parse(r.out).tasks.map((t: { id: string }) => t.id)).toContain('serverless-orders-api');
  });

  it.each([
    ['an unknown task', ['tasks', 'show', 'no-such-task'], /no task "no-such-task"; known tasks:/],
    ['a missing evidence file', ['regrade', '/nonexistent/evidence.json'], /cannot read evidence file \/nonexistent\/evidence.json: ENOENT/],
    ['an unknown option', ['grade', 'serverless-orders-api', '--colour'], /unknown option '--colour'/],
    ['--role-arn without --external-id', ['grade', 'serverless-orders-api', '--role-arn', 'arn:aws:iam::111122223333:role/G'], /needs --external-id/],
    ['a bad account id', ['grade', 'serverless-orders-api', '--account', '12'], /12-digit/],
  ])('exits 2 with a clear message for %s', async (_what, argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('refuses an evidence file that was modified after it was sealed', async () => {
    const source = fixtures.find((f) => f.kind === 'pass')!.file;
    const tampered = join(mkdtempSync(join(tmpdir(), 'sp-')), 'tampered.json');
    writeFileSync(tampered, readFileSync(source, 'utf8').replace('"Mode": "Active"', '"Mode": "PassThrough"').replace(/"nonce": "[0-9a-f]+"/, '"nonce": "0000000000000000"'));
    const r = await cli('regrade', tampered);
    expect(r.code).toBe(2);
    expect(r.err).toContain('does not match its sha256');
  });

  it('runs from bin/ with real exit codes: passed 0, failed 1, incomplete 3', async () => {
    const pick = (kind: string) => fixtures.find((f) => f.kind === kind)!.file;
    const results = await Promise.all([spawnBin(['regrade', pick('pass')]), spawnBin(['regrade', pick('fail')]), spawnBin(['regrade', pick('error')])]);
    expect(results.map((r) => r.code)).toEqual([0, 1, 3]);
    expect(results[0]!.out).toContain('PASSED');
  });

  it('sends live calls to AWS_ENDPOINT_URL, signed for the --region given', async () => {
    const seen: Array<{ url: string; auth: string; target: string }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', auth: String(req.headers.authorization ?? ''), target: body.includes('GetCallerIdentity') ? 'sts' : 'other' });
        if (body.includes('Action=GetCallerIdentity')) {
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/t</Arn><UserId>AIDA</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>');
          return;
        }
        res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' });
        res.end('{"__type":"AccessDeniedException","message":"not in this emulator"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const r = await spawnCli(['grade', 'serverless-orders-api', '--region', 'ap-southeast-2', '--format', 'json'], {
        env: {
          AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
          AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
          AWS_REGION: 'eu-west-1',
          AWS_PROFILE: '',
        },
      });
      expect(r.code).toBe(3);
      const report = JSON.parse(r.out);
      expect(report).toMatchObject({ status: 'incomplete', region: 'ap-southeast-2', accountId: '111122223333' });
      expect(seen.length).toBeGreaterThan(1);
      for (const s of seen) expect(s.auth).toContain('/ap-southeast-2/');
    } finally {
      server.close();
    }
  });
});

describe('skillproof assessments', () => {
  it('shows the serverless track with its four tasks', async () => {
    const r = await cli('assessments', 'show', 'aws-serverless', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).tasks.map((t: { id: string }) => t.id)).toEqual(['serverless-orders-api', 'serverless-queue-worker', 'serverless-order-workflow', 'serverless-safe-deploy']);
  });
});
