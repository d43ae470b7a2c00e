import type { CheckResult } from '../model/report';
import type { CliIo } from './io';

/**
 * Progress for long operations (synthesis, grading, deployment) on stderr, for a person watching
 * a terminal: status lines and a spinner. Quiet when stderr is not a terminal (pipes, CI logs,
 * scripts) or the command prints --json, so stdout and logs hold only results.
 */
export interface Progress {
  readonly enabled: boolean;
  /** A line that stays (a check finished, a resource created). */
  line(text: string): void;
  /** A transient status that a spinner keeps alive until the next line, status or `done()`. */
  status(text: string): void;
  /** Clears the spinner. */
  done(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR = '\r\x1b[K';

export function startProgress(io: CliIo, opts: { json?: boolean } = {}): Progress {
  const enabled = Boolean(io.interactive) && !opts.json;
  let timer: NodeJS.Timeout | undefined;
  let current: { text: string; since: number } | undefined;
  let frame = 0;
  const write = io.errRaw ?? ((text: string) => io.err(text));
  const draw = () => {
    if (!current) return;
    const seconds = Math.floor((Date.now() - current.since) / 1000);
    write(`${CLEAR}${FRAMES[frame++ % FRAMES.length]} ${current.text}${seconds >= 2 ? ` (${seconds} s)` : ''}`);
  };
  const clear = () => {
    if (current) write(CLEAR);
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    clear();
    current = undefined;
  };
  if (!enabled) return { enabled, line: () => undefined, status: () => undefined, done: () => undefined };
  return {
    enabled,
    line(text) {
      clear();
      io.err(text);
      draw();
    },
    status(text) {
      clear();
      current = { text, since: Date.now() };
      draw();
      // Work that blocks the event loop (CDK synthesis) freezes the spinner; the status still says what is happening.
      timer ??= setInterval(draw, 120);
      timer.unref();
    },
    done: stop,
  };
}

const MARK: Record<CheckResult['outcome'], string> = { PASS: 'PASS', FAIL: 'FAIL', ERROR: 'ERROR', SKIPPED: 'SKIP' };

/** One line per finished check: outcome, task, title and how long it took. */
export function checkLine(taskId: string | undefined, check: Pick<CheckResult, 'outcome' | 'title' | 'durationMs'>): string {
  return `  ${MARK[check.outcome].padEnd(5)} ${taskId ? `${taskId}: ` : ''}${check.title}${check.durationMs >= 100 ? ` (${(check.durationMs / 1000).toFixed(1)} s)` : ''}`;
}
