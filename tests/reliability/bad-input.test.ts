import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';

/**
 * Bad input never crashes SkillProof: a malformed evidence file or a wrong command line gets exit
 * code 2 and an error a person can act on (what is wrong, where), never a stack trace. (Malformed
 * task and grader definitions are covered in tests/catalog/load.test.ts.)
 */

const STACK_FRAME = /\n\s+at .+:\d+:\d+/;
const PASSING = join(REPO_ROOT, 'tasks', 'serverless-orders-api', 'fixtures', 'pass', 'http-api.json');
const dir = mkdtempSync(join(tmpdir(), 'skillproof-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), setExitCode: () => undefined };
  return { code: await main(argv, io), out, err };
}

function spawnCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'skillproof'), ...args], { cwd: REPO_ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

/** Writes a variant of the passing fixture; `edit` gets the parsed bundle, or the text when `raw`. */
function evidence(name: string, edit: (bundle: Record<string, unknown>) => unknown): string {
  const file = join(dir, `${name}.json`);
  const edited = edit(JSON.parse(readFileSync(PASSING, 'utf8')) as Record<string, unknown>);
  writeFileSync(file, typeof edited === 'string' ? edited : JSON.stringify(edited));
  return file;
}

const text = readFileSync(PASSING, 'utf8');
const EVIDENCE: Array<{ name: string; file: string; what: RegExp }> = [
  { name: 'truncated JSON', file: evidence('truncated', () => text.slice(0, 300)), what: /not valid JSON/ },
  { name: 'an empty file', file: evidence('empty', () => ''), what: /not valid JSON/ },
  { name: 'a JSON array instead of a bundle', file: evidence('array', () => '[]'), what: /top level.*expected object/ },
  { name: 'an unknown format', file: evidence('format', (b) => ({ ...b, format: 'skillproof.evidence/v9' })), what: /field format: .*skillproof\.evidence\/v1/ },
  { name: 'no transcript', file: evidence('no-transcript', ({ transcript: _t, ...b }) => b), what: /field transcript: / },
  {
    name: 'a call record of the wrong type',
    file: evidence('bad-record', (b) => ({ ...b, transcript: (b.transcript as object[]).map((r, i) => (i === 2 ? { ...r, seq: 'third' } : r)) })),
    what: /field transcript\.2\.seq: /,
  },
  {
    name: 'content changed after sealing',
    file: evidence('tampered', (b) => ({ ...b, run: { ...(b.run as object), accountId: '999999999999' } })),
    what: /does not match its sha256.*modified after it was sealed/,
  },
  { name: 'a sha256 that is no hash', file: evidence('bad-sha', (b) => ({ ...b, sha256: 'abc' })), what: /field sha256: / },
  { name: 'a file that does not exist', file: join(dir, 'missing.json'), what: /cannot read evidence file .*ENOENT/ },
  { name: 'a directory', file: dir, what: /cannot read evidence file .*EISDIR/ },
];

describe('bad evidence files', () => {
  it.each(EVIDENCE.map((c) => [c.name, c] as const))('regrade rejects %s with exit 2, naming the file and the problem, without a stack trace', async (_name, c) => {
    const r = await cli('regrade', c.file);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).not.toMatch(STACK_FRAME);
    expect(r.err).toMatch(/^error: /);
    expect(r.err).toContain(c.file);
    expect(r.err).toMatch(c.what);
  });

  it('regrade of evidence for a task this installation does not have names the evidence file and its field task.id', async () => {
    const file = evidence('unknown-task', ({ sha256: _s, ...b }) => ({ ...b, task: { ...(b.task as object), id: 'no-such-task' } }));
    const r = await cli('regrade', file);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(STACK_FRAME);
    expect(r.err).toContain(file);
    expect(r.err).toMatch(/task\.id/);
  });

  it('every rejection of an evidence file says how to get a usable one', async () => {
    const silent: string[] = [];
    for (const c of EVIDENCE) {
      const r = await cli('regrade', c.file);
      if (!/skillproof grade --evidence-out|skillproof grader record|; (use|check|give) /.test(r.err)) silent.push(`${c.name}: ${r.err.trim()}`);
    }
    expect(silent).toEqual([]);
  });

  it('a spawned skillproof prints the error alone, without a stack trace, and exits with 2', async () => {
    const r = await spawnCli(['regrade', EVIDENCE[0]!.file]);
    expect({ code: r.code, out: r.out }).toEqual({ code: 2, out: '' });
    expect(r.err).not.toMatch(STACK_FRAME);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*truncated\.json: not valid JSON/)]);
  });
});

describe('bad command lines', () => {
  const CASES: Array<[string, string[], RegExp]> = [
    ['no command', [], /Usage: skillproof/],
    ['an unknown command', ['nope'], /unknown command 'nope'[\s\S]*Usage: skillproof/],
    ['an unknown option', ['--nope'], /unknown option '--nope'[\s\S]*Usage: skillproof/],
    ['a missing argument', ['tasks', 'show'], /missing required argument 'task-id'[\s\S]*Usage: skillproof tasks show/],
    ['too many arguments', ['tasks', 'list', 'extra'], /too many arguments[\s\S]*Usage: skillproof tasks list/],
    ['an unknown task', ['tasks', 'show', 'no-such-task'], /no task "no-such-task"; known tasks: .*serverless-orders-api/],
    ['an unknown task to grade', ['grade', 'no-such-task'], /no task "no-such-task"; known tasks: /],
    ['an unknown task to test', ['grader', 'test', 'no-such-task'], /no task "no-such-task"; known tasks: /],
    ['an evidence file missing', ['regrade'], /missing required argument 'evidence-file'/],
    ['a report format that does not exist', ['regrade', PASSING, '--format', 'xml'], /'xml' is invalid\. Allowed choices are table, json, junit/],
    ['a scope that does not exist', ['grade', 'serverless-orders-api', '--scope', 'everything'], /'everything' is invalid\. Allowed choices are final, progress/],
    ['an option without its value', ['grade', 'serverless-orders-api', '--region'], /option '--region <region>' argument missing/],
    ['an account id that is not 12 digits', ['grade', 'serverless-orders-api', '--account', '123'], /--account must be a 12-digit AWS account id, got "123"/],
    ['a role without its external id', ['grade', 'serverless-orders-api', '--role-arn', 'arn:aws:iam::123456789012:role/Grader'], /--role-arn needs --external-id/],
  ];

  it.each(CASES)('%s: exit 2 with an error that says what to fix, without a stack trace', async (_name, argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).not.toMatch(STACK_FRAME);
    expect(r.err).toMatch(message);
  });
});
