import { measureCredentials } from './credentials';

/** Measures one algorithm's credential operations and prints them as JSON (run pinned to one CPU by run.ts). */
(async () => {
  const [alg, ms, issueCount] = process.argv.slice(2);
  const notes: string[] = [];
  const ops = await measureCredentials(alg as 'ES256' | 'EdDSA', Number(ms), Number(issueCount), notes);
  process.stdout.write(JSON.stringify({ ops, notes }));
})().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
