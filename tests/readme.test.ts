import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/catalog/load';
import { binFolderForBundle } from './support/cli-bundle';

/**
 * Every command in a `bash` block of the root README runs as written, in order, in one shell:
 * a fresh working folder (tasks/ and the package linked in; its bin/skillproof runs the same CLI
 * bundled by tests/support/cli-bundle.ts, which starts faster than the launcher's tsx over some
 * thirty commands — tests/cli/cli.test.ts and terminal.test.ts run the launcher), a fresh HOME and so a fresh
 * data directory, and no AWS configuration. A block preceded by `<!-- readme-test: needs AWS -->`
 * is not run (and must visibly need an account); `npm install` and `npm test` are not run either
 * (the first needs the registry, the second runs this test). A trailing `# exit N…` comment states
 * the exit code a command must give; every other command must exit 0. `serve` is started on a free
 * port (its `--port` is overridden), asked for its JWKS, and stopped.
 */

interface Statement {
  command: string;
  expectedExit: number;
  line: number;
}

interface Block {
  line: number;
  needsAws: boolean;
  statements: Statement[];
}

/** The comment of a shell line (a `#` after whitespace, outside quotes), and the command before it. */
function splitComment(line: string): { command: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return { command: line.slice(0, i).trimEnd(), comment: line.slice(i) };
    }
  }
  return { command: line.trimEnd(), comment: '' };
}

function readmeBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```bash') continue;
    let before = i - 1;
    while (before >= 0 && lines[before]?.trim() === '') before--;
    const block: Block = { line: i + 1, needsAws: /^<!-- readme-test: needs AWS -->$/.test(lines[before] ?? ''), statements: [] };
    let pending: { text: string; line: number; comment: string } | undefined;
    for (i += 1; i < lines.length && lines[i] !== '```'; i++) {
      const { command, comment } = splitComment(lines[i] as string);
      if (!pending && command === '') continue;
      const text = pending ? `${pending.text}\n${command}` : command;
      const start = pending?.line ?? i + 1;
      const allComments = `${pending?.comment ?? ''} ${comment}`;
      if (command.endsWith('\\')) {
        pending = { text, line: start, comment: allComments };
        continue;
      }
      pending = undefined;
      const exit = /#\s*exit (\d+)/.exec(allComments);
      block.statements.push({ command: text, expectedExit: exit ? Number(exit[1]) : 0, line: start });
    }
    blocks.push(block);
  }
  return blocks;
}

const NOT_RUN: Array<[RegExp, string]> = [
  [/^npm (install|ci)\b/, 'installs from the registry; the test runs on the installed tree'],
  [/^npm test\b/, 'runs the test suite this test is part of'],
];
/** What makes a block need an AWS account: the marker is only allowed where one of these appears. */
const NEEDS_AWS = /--role-arn|--account \d{12}|\bsandbox (deploy|access|freeze|destroy)\b|\bgrade [a-z-]+ --region\b|\bpool (sync|lease|release|clean|quarantine)\b|\bservice (deploy|destroy)\b/;

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const blocks = readmeBlocks(README);
const runnable = blocks.filter((b) => !b.needsAws).flatMap((b) => b.statements.filter((s) => !NOT_RUN.some(([re]) => re.test(s.command))));

describe('README.md', () => {
  it('marks as needing AWS only blocks that use an AWS account, and skips no other command', () => {
    for (const block of blocks.filter((b) => b.needsAws)) {
      expect({ line: block.line, needsAws: block.statements.some((s) => NEEDS_AWS.test(s.command)) }).toEqual({ line: block.line, needsAws: true });
    }
    const skipped = blocks.filter((b) => !b.needsAws).flatMap((b) => b.statements.filter((s) => NOT_RUN.some(([re]) => re.test(s.command))));
    expect(skipped.map((s) => s.command).sort()).toEqual(['npm install', 'npm test']);
    expect(runnable.length).toBeGreaterThanOrEqual(25);
  });

  it('explains the --replay folder layout and mentions demo --keep', () => {
    expect(README).toMatch(/`bin\/skillproof demo --keep`/);
    expect(README).toMatch(/--replay PATH`?[\s\S]{0,200}one evidence file per task/);
    expect(README).toMatch(/each file's `task\.id` says which task/);
  });

  it('runs every command that needs no AWS account as written, with the exit code it states', async () => {
    const work = mkdtempSync(join(tmpdir(), 'skillproof-readme-'));
    try {
      const home = join(work, 'home');
      const cwd = join(work, 'repo');
      mkdirSync(home);
      mkdirSync(cwd);
      for (const entry of ['tasks', 'package.json', 'node_modules']) symlinkSync(join(REPO_ROOT, entry), join(cwd, entry));
      await binFolderForBundle(cwd);
      const results = join(work, 'results');
      const script = ['cd "$README_CWD"'];
      runnable.forEach((s, i) => {
        const marker = `echo "@@readme ${i}"; echo "@@readme ${i}" >&2`;
        if (/^bin\/skillproof serve\b/.test(s.command)) {
          // A server runs until stopped: start it on a free port, ask it for the issuer's JWKS, stop it.
          script.push(
            marker,
            `${s.command} --port 0 > "$README_WORK/serve.out" 2>&1 &`,
            'SERVE_PID=$!',
            'for _ in $(seq 150); do grep -q "listening on" "$README_WORK/serve.out" && break; sleep 0.2; done',
            'SERVE_URL=$(sed -n "s/.*listening on \\(http[^ ]*\\).*/\\1/p" "$README_WORK/serve.out")',
            `node -e 'fetch(process.argv[1] + "/.well-known/jwks.json").then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$SERVE_URL"`,
            `echo "${i} $?" >> "${results}"`,
            'kill -TERM $SERVE_PID; wait $SERVE_PID; cat "$README_WORK/serve.out"',
          );
        } else {
          script.push(marker, s.command, `echo "${i} $?" >> "${results}"`);
        }
      });
      writeFileSync(join(work, 'readme.sh'), `${script.join('\n')}\n`);
      // CDK_VALIDATION=false: CDK's built-in template validation only warns, into an assembly `sandbox synth` and
      // `service deploy` discard, and costs those two commands most of their CPU.
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, README_CWD: cwd, README_WORK: work, npm_config_update_notifier: 'false', LANG: 'C.UTF-8', CDK_VALIDATION: 'false' };
      const run = spawnSync('bash', [join(work, 'readme.sh')], { env, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
      const codes = new Map(
        readFileSync(results, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' ').map(Number) as [number, number]),
      );
      const outputOf = (i: number, text: string) => text.split(`@@readme ${i}\n`)[1]?.split(/@@readme \d+\n/)[0] ?? '';
      const outcomes = runnable.map((s, i) => {
        const output = outputOf(i, run.stdout) + outputOf(i, run.stderr);
        return {
          line: s.line,
          command: s.command,
          exit: codes.get(i),
          ...(/\n\s+at \S+ \(|This is a bug in SkillProof/.test(output) ? { crashed: output } : {}),
          ...(codes.get(i) !== s.expectedExit ? { output: output.slice(-2000) } : {}),
        };
      });
      expect(outcomes).toEqual(runnable.map((s) => ({ line: s.line, command: s.command, exit: s.expectedExit })));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 600_000);
});
