import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';
import { median, round } from './stats';

/** Wall time of a freshly spawned `bin/skillproof <args>`, from spawn to exit. */
function timeCli(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'skillproof'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`skillproof ${args.join(' ')} exited with ${code}: ${err.trim()}`))));
  });
}

/** Median start-up time of `--help` and `tasks list`, each spawned `runs` times after one warm-up. */
export async function measureCliStart(runs: number): Promise<{ help: number; tasksList: number }> {
  const median_ = async (args: string[]) => {
    await timeCli(args);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timeCli(args));
    return round(median(times));
  };
  return { help: await median_(['--help']), tasksList: await median_(['tasks', 'list']) };
}
