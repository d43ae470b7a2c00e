import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface DataDirOptions {
  /** `--data-dir`; wins over the environment. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** `--data-dir`, else `SKILLPROOF_HOME`, else `~/.skillproof`. */
export function resolveDataDir(options: DataDirOptions = {}): string {
  const env = options.env ?? process.env;
  const chosen = options.dataDir ?? env.SKILLPROOF_HOME ?? join(options.home ?? homedir(), '.skillproof');
  return resolve(chosen);
}

/** Creates the data directory (owner-only: it holds the issuer's private key and candidates' data). */
export function ensureDataDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
