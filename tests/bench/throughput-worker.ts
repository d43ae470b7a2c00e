import { parentPort } from 'node:worker_threads';
import { passFixtures } from '../reliability/support/pass-fixtures';
import { gradeAccounts } from './throughput';

/** Worker thread of the throughput bench: loads the fixtures, says ready, grades the accounts it is sent. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const byLabel = new Map(passFixtures({ firstPerTask: true }).map((fx) => [fx.label, fx]));
parentPort!.once('message', async (m: { labels: string[][]; rps: number; latencyMs: number }) => {
  const queues = m.labels.map((q) => q.map((label) => byLabel.get(label)!));
  parentPort!.postMessage({ type: 'done', ...(await gradeAccounts(queues, m)) });
});
parentPort!.postMessage({ type: 'ready' });
