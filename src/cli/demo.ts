import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { Catalog } from '../catalog/load';
import { readBundle } from '../evidence/bundle';
import { formatTable } from '../report/format';
import { withCatalog } from './catalog';
import { CliError, EXIT, type CliIo } from './io';

/** The assessment the demo takes, replaying the first pass/ fixture of each of its tasks. */
const DEMO_ASSESSMENT = 'aws-serverless';

/** The offline demo behind `npm start`: replays recorded evidence, needs no AWS account. */
export function register(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      "offline demo: replay each task's passing and failing fixture, then take an assessment on recorded evidence, earn, verify and revoke its credential",
    )
    .option('--keep', 'keep the temporary data directory of the attempts and credentials (it is removed by default)')
    .action((opts: { keep?: boolean }) =>
      withCatalog(async (catalog) => {
        const { regrade } = require('../engine/grade') as typeof import('../engine/grade');
        const { listFixtureFiles } = require('../testing/scenarios') as typeof import('../testing/scenarios');
        io.out('SkillProof demo: grading recorded evidence offline (no AWS account needed).\n');
        for (const entry of catalog.all()) {
          const files = listFixtureFiles(entry);
          for (const pick of [files.find((f) => f.kind === 'pass'), files.find((f) => f.kind === 'fail')]) {
            if (!pick) continue;
            const bundle = readBundle(pick.file);
            const { report } = await regrade(entry, bundle);
            io.out(`── ${pick.kind}/${pick.name}: ${bundle.expect?.description ?? ''}\n`);
            io.out(formatTable(report));
            io.out('');
          }
        }
        await attemptsAndCredentials(catalog, io, opts.keep ?? false);
        io.out(
          'Next: `skillproof tasks list`, `skillproof grader test`, grade your own account with `skillproof grade <task-id> --region <region>`, ' +
            'or take an assessment with `skillproof attempt start <assessment-id> --candidate <you> --replay <evidence>`.',
        );
      }),
    );
}

/** A candidate's side and an issuer's side of one assessment, told through the real commands in a throw-away data directory. */
async function attemptsAndCredentials(catalog: Catalog, io: CliIo, keep: boolean): Promise<void> {
  const { listFixtureFiles } = require('../testing/scenarios') as typeof import('../testing/scenarios');
  const assessment = catalog.assessment(DEMO_ASSESSMENT);
  const dataDir = mkdtempSync(join(tmpdir(), 'skillproof-demo-'));
  try {
    const replay = join(dataDir, 'replay');
    mkdirSync(replay);
    for (const taskId of assessment.tasks) {
      const pass = listFixtureFiles(catalog.get(taskId)).find((f) => f.kind === 'pass');
      if (!pass) throw new Error(`task ${taskId} has no pass/ fixture for the demo to replay`);
      copyFileSync(pass.file, join(replay, `${taskId}.json`));
    }
    const firstTask = catalog.get(assessment.tasks[0] as string);
    const failing = listFixtureFiles(firstTask).find((f) => f.kind === 'fail');

    const run = commandRunner(io, dataDir);
    io.out(`══ Attempts and credentials: ${assessment.title} (${assessment.id}), taken on recorded evidence`);
    io.out(`   data directory ${dataDir}, shown as $SKILLPROOF_HOME${keep ? '' : ' (removed at the end; --keep keeps it)'}`);
    io.out('');
    await run(['issuer', 'init'], EXIT.ok);
    await run(['attempt', 'start', assessment.id, '--candidate', 'demo-candidate', '--replay', replay], EXIT.ok);
    const attemptOf = async (kind: 'assessment' | 'practice'): Promise<string> =>
      (JSON.parse(await run(['attempt', 'list', '--json'], EXIT.ok, false)) as { attempts: Array<{ id: string; kind: string }> }).attempts.find((a) => a.kind === kind)
        ?.id ?? '';
    const attemptId = await attemptOf('assessment');
    await run(['attempt', 'submit', attemptId], EXIT.passed);
    await run(['credential', 'issue', attemptId], EXIT.ok);
    const credentialId = (JSON.parse(await run(['credential', 'list', '--json'], EXIT.ok, false)) as { credentials: Array<{ id: string }> }).credentials[0]?.id ?? '';
    const jwtFile = join(dataDir, 'credential.jwt');
    writeFileSync(jwtFile, `${await run(['credential', 'show', credentialId, '--jwt'], EXIT.ok, false)}\n`);
    io.out(`$ skillproof credential show ${credentialId} --jwt > $SKILLPROOF_HOME/credential.jwt`);
    io.out('');
    await run(['credential', 'verify', jwtFile], EXIT.ok);
    await run(['credential', 'revoke', credentialId, '--reason', 'demo: showing revocation'], EXIT.ok);
    await run(['credential', 'verify', jwtFile], EXIT.invalid);

    if (!failing) return;
    io.out(`══ A practice attempt on ${firstTask.task.id} that fails (fail/${failing.name}): the candidate's feedback`);
    io.out('');
    await run(['attempt', 'start', firstTask.task.id, '--candidate', 'demo-candidate', '--replay', relative(process.cwd(), failing.file)], EXIT.ok);
    await run(['attempt', 'submit', await attemptOf('practice')], EXIT.failed);
  } finally {
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Runs attempt, credential and issuer commands against `dataDir` and, unless hidden, prints each
 * as the shell command a reader could type, followed by its output. A step that exits with another
 * code than the demo expects stops the demo.
 */
function commandRunner(io: CliIo, dataDir: string): (args: string[], expected: number, show?: boolean) => Promise<string> {
  const groups = [require('./issuer'), require('./attempt'), require('./credential')] as Array<{ register(program: Command, io: CliIo): void }>;
  const shown = (text: string) => text.split(dataDir).join('$SKILLPROOF_HOME');
  const quote = (arg: string) => (/^[\w@%+=:,./$-]+$/.test(arg) ? arg : `"${arg}"`);
  return async (args, expected, show = true) => {
    const lines: string[] = [];
    let code: number = EXIT.ok;
    const capture: CliIo = { out: (t) => void lines.push(t), err: (t) => void lines.push(t), setExitCode: (c) => (code = c) };
    const program = new Command('skillproof')
      .exitOverride()
      .configureOutput({ writeOut: (s) => capture.out(s.replace(/\n$/, '')), writeErr: (s) => capture.err(s.replace(/\n$/, '')) });
    for (const group of groups) group.register(program, capture);
    try {
      await program.parseAsync([...args, '--data-dir', dataDir], { from: 'user' });
    } catch (e) {
      if (!(e instanceof CliError || e instanceof CommanderError)) throw e;
      lines.push(`error: ${e.message}`);
      code = e.exitCode === 0 ? EXIT.ok : e instanceof CliError ? e.exitCode : EXIT.usage;
    }
    const text = lines.join('\n');
    if (show) {
      io.out(`$ ${shown(['skillproof', ...args].map(quote).join(' '))}\n${shown(text).replace(/^/gm, '  ')}`);
      io.out('');
    }
    if (code !== expected) throw new Error(`demo step \`skillproof ${args.join(' ')}\` exited ${code}, expected ${expected}:\n${text}`);
    return text;
  };
}
