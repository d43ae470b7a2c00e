import { Command, CommanderError } from 'commander';
import { CliError, EXIT, processIo, type CliIo } from './io';

/**
 * Command groups, one file each. A group module exports `register(program, io)` and loads its heavy
 * dependencies (AWS SDK, CDK, SQLite) inside its actions, so `skillproof --help` stays fast.
 */
const GROUPS: Array<() => { register(program: Command, io: CliIo): void }> = [
  () => require('./tasks'),
  () => require('./assessments'),
  () => require('./grade'),
  () => require('./grader'),
  () => require('./attempt'),
  () => require('./credential'),
  () => require('./issuer'),
  () => require('./sandbox'),
  () => require('./service'),
  () => require('./pool'),
  () => require('./serve'),
  () => require('./admin'),
  () => require('./demo'),
  () => require('./cohort'),
];

export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('skillproof')
    .description('Hands-on AWS micro-credentials: grade real resources, issue verifiable credentials.')
    .version(require('../../package.json').version as string)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });
  for (const load of GROUPS) load().register(program, io);
  return program;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.ok;
  // A getter (processIo.interactive) does not survive a spread; read it once here.
  const program = buildProgram({ ...io, interactive: io.interactive, setExitCode: (c) => (code = c) });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof CliError) {
      io.err(`error: ${e.message}`);
      return e.exitCode;
    }
    io.err(`error: ${e instanceof Error ? e.message : String(e)}`);
    io.err('This is a bug in SkillProof; please report it with the command you ran.');
    return EXIT.usage;
  }
  return code;
}
