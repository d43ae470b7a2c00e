import { AccountPool } from '../../../src/pool/pool';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { candidateResources, fileCleaner, fileFreeze, updateAccount } from './simulated-account';

export const CRASH_ACCOUNT = '111122223333';
export const CRASH_ATTEMPT = 'att-crash-1';
const ACTOR = 'system:crash-child';
const REGION = 'eu-west-1';

/**
 * One pool cycle against a simulated account, as a separate process the crash test kills: resume
 * whatever a killed predecessor left, join the account (initial clean-up), lease it to an attempt,
 * let the "candidate" create resources, release it (freeze, clean-up) and end with it available.
 * Every step is idempotent with respect to the store, so a restarted run carries on where the
 * killed one stopped. With `pauseAt` = N it prints `paused N <step>` after the N-th durable step
 * and waits there to be killed.
 */
export async function main(dataDir: string, accountFile: string, pauseAt: number): Promise<void> {
  const state = await runCycle(dataDir, accountFile, pauseAt);
  process.stdout.write(`done ${state}\n`);
}

/** The cycle itself; returns the account's final state. The test also runs it in its own process, as the restart. */
export async function runCycle(dataDir: string, accountFile: string, pauseAt = 0): Promise<string> {
  let steps = 0;
  const step = async (name: string) => {
    if (name === 'lease:recorded') {
      // What the candidate finds when the lease is granted: the test asserts it was an empty account.
      updateAccount(accountFile, (s) => s.events.push(`leased with ${s.resources.length} resources`));
    }
    steps += 1;
    if (steps === pauseAt) {
      process.stdout.write(`paused ${steps} ${name}\n`);
      // Wait to be killed: a timer keeps the process alive (a bare pending promise would let it exit).
      await new Promise(() => setInterval(() => undefined, 60_000));
    }
  };
  const store = SqliteStore.open(dataDir);
  const now = () => new Date();
  const pool = new AccountPool({
    store: store.pool,
    cleaner: fileCleaner(accountFile, { now, afterRemoval: (arn) => step(`clean:removed ${arn}`) }),
    freeze: fileFreeze(accountFile),
    now,
    cooldownMs: 0,
    onStep: step,
  });
  try {
    const resumed = await pool.resume(ACTOR);
    const failed = resumed.filter((r) => r.state === 'error');
    if (failed.length > 0) throw new Error(`resume failed: ${JSON.stringify(failed)}`);

    if (!(await store.pool.getPoolAccount(CRASH_ACCOUNT))) {
      await pool.join({ accountId: CRASH_ACCOUNT, name: 'sandbox-crash', email: null, arn: null, source: 'configured', ouId: null }, [REGION], ACTOR);
      await pool.clean(CRASH_ACCOUNT, ACTOR);
    }
    if ((await store.pool.listPoolLeases({ attemptId: CRASH_ATTEMPT })).length === 0) {
      await pool.lease({ attemptId: CRASH_ATTEMPT, region: REGION }, ACTOR);
    }
    const account = await pool.get(CRASH_ACCOUNT);
    if (account.attemptId === CRASH_ATTEMPT) {
      if (account.pending === null) {
        // The candidate works in the sandbox (idempotent: the same resources each time).
        updateAccount(accountFile, (s) => {
          for (const r of candidateResources(CRASH_ATTEMPT)) if (!s.resources.some((x) => x.arn === r.arn)) s.resources.push(r);
          s.events.push(`candidate worked in ${CRASH_ATTEMPT}`);
        });
        await step('candidate:worked');
      }
      await pool.release(CRASH_ACCOUNT, ACTOR);
    }
    return (await pool.get(CRASH_ACCOUNT)).state;
  } finally {
    store.close();
  }
}
