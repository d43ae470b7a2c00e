/** Exit codes shared by every command. */
export const EXIT = { passed: 0, ok: 0, failed: 1, invalid: 1, usage: 2, incomplete: 3 } as const;

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
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/** Prints a value as one JSON document. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
