/**
 * Exit codes shared by every command: 0 passed/valid, 1 failed/invalid, 2 bad input or usage,
 * 3 incomplete (SkillProof could not tell: grade again once the cause is fixed), 4 rate-limited
 * (nothing was done; the same command works after the time it prints).
 */
export const EXIT = { passed: 0, ok: 0, failed: 1, invalid: 1, usage: 2, incomplete: 3, rateLimited: 4 } as const;

/**
 * An error a person will read: what was wrong, where, and what to do.
 * The CLI prints `message` (never a stack trace) and exits with `exitCode`.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Sets the process exit code (the highest severity wins is not applied: last call wins). */
  setExitCode(code: number): void;
  /** True when stderr is a terminal a person watches: long operations then show progress there. */
  interactive?: boolean;
  /** Writes to stderr as is, without a newline (a spinner redrawing its line). */
  errRaw?(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  get interactive() {
    return Boolean(process.stderr.isTTY);
  },
  errRaw: (text) => void process.stderr.write(text),
};

/**
 * A reader that stops early (`skillproof … | head`) closes the pipe; the next write then fails
 * with EPIPE, which Node raises as an unhandled 'error' event and a stack trace. Nobody is
 * reading any more, so the command stops quietly instead, with the exit code it had so far.
 */
export function exitQuietlyOnClosedPipe(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
    });
  }
}

/** Prints a value as one JSON document. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
