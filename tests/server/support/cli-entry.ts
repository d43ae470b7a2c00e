import { Command } from 'commander';
import { CliError, EXIT, processIo, type CliIo } from '../../../src/cli/io';
import { register as registerAdmin } from '../../../src/cli/admin';
import { register as registerServe } from '../../../src/cli/serve';

/**
 * The portal's command groups on their own, as src/cli/main.ts runs them once they are listed in
 * its GROUPS: `serve` and `admin`. Runs as a script (for `serve`, which waits for a signal) or in-process.
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('skillproof').exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const withExit = { ...io, setExitCode: (c: number) => (code = c) };
  registerServe(program, withExit);
  registerAdmin(program, withExit);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`error: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof Error && e.name === 'CommanderError') return EXIT.usage;
    throw e;
  }
  return code;
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
