import { readFileSync } from 'node:fs';
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const round = (n: number, digits = 0): number => Math.round(n * 10 ** digits) / 10 ** digits;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `op` for a warm-up of `ms / 2` (JIT, caches), then for about `ms`; returns operations per
 * second. `inFlight` operations run at once, as a server would have them: Node runs signature
 * checks on its thread pool, so one at a time would leave the CPU idle between them.
 */
export async function opsPerSecond(ms: number, op: (i: number) => Promise<unknown>, inFlight = 1): Promise<number> {
  let n = 0;
  const loop = async (until: number, counted: boolean) => {
    let done = 0;
    while (performance.now() < until) {
      await op(n++);
      if (counted) done++;
    }
    return done;
  };
  const lanes = (until: number, counted: boolean) => Promise.all(Array.from({ length: inFlight }, () => loop(until, counted)));
  await lanes(performance.now() + ms / 2, false);
  const start = performance.now();
  const measured = (await lanes(start + ms, true)).reduce((a, b) => a + b, 0);
  return measured / ((performance.now() - start) / 1000);
}

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const width = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === 'number'));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join('  ').trimEnd();
  return [line(header), line(width.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** CPU milliseconds a process has used (user + system), from /proc on Linux; undefined elsewhere. */
export function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th, in clock ticks (100/s on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
  } catch {
    return undefined;
  }
}

/** This process's CPU milliseconds, all threads. */
export const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The machine's CPU counters (all processes), from /proc/stat on Linux; undefined elsewhere. */
export function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((n, v) => n + v, 0);
    // idle and iowait are not busy.
    return { busy: total - fields[3]! - (fields[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** The share of the machine's CPU time that was busy between two readings (any process). */
export function busyShare(from: ReturnType<typeof machineCpu>, to: ReturnType<typeof machineCpu>): number | undefined {
  if (!from || !to || to.total === from.total) return undefined;
  return round((to.busy - from.busy) / (to.total - from.total), 2);
}
