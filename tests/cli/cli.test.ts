import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, REPO_ROOT } from '../../src/catalog/load';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { listFixtureFiles } from '../../src/testing/scenarios';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), setExitCode: () => undefined };
  const code = await main(argv, io);
  return { code, out, err };
}

function bin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'skillproof'), ...args], { env: { ...process.env, ...env }, cwd: REPO_ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const EXIT_FOR = { pass: 0, alt: 0, fail: 1, error: 3 } as const;

describe('skillproof CLI', () => {
  const fixtures = loadCatalog().all().flatMap((entry) => listFixtureFiles(entry));

  it.each(fixtures.map((f) => [`${f.kind}/${f.name}`, f] as const))('regrade %s exits with its expected status code', async (_n, f) => {
    const r = await cli('regrade', f.file, '--format', 'json');
    expect(r.code).toBe(EXIT_FOR[f.kind]);
    expect(JSON.parse(r.out).format).toBe('skillproof.report/v1');
  });

  // Synthesises every task's sandbox stack to judge its grader role: seconds per task.
  it('grader test reports no mismatch, no task short of fixtures and no call its grader role refuses', async () => {
    const r = await cli('grader', 'test');
    expect(r.out).toMatch(/, 0 mismatched; (\d+) of \1 tasks with enough fixtures/);
    expect(r.out.split('\n')[0]).toMatch(/^RESULT +TASK +FIXTURE +STATUS$/);
    expect(r.code).toBe(0);
  }, 300_000);

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
    const results = await Promise.all([bin(['regrade', pick('pass')]), bin(['regrade', pick('fail')]), bin(['regrade', pick('error')])]);
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
      const r = await bin(['grade', 'serverless-orders-api', '--region', 'ap-southeast-2', '--format', 'json'], {
        AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_REGION: 'eu-west-1',
        AWS_PROFILE: '',
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
