/**
 * A DynamoDB-compatible server (dynalite, in memory) started by the tests themselves: no Java, no
 * Docker. dynalite implements the single-item API (GetItem, PutItem, UpdateItem, DeleteItem,
 * Query, Scan, Batch*), conditions included, but not TransactWriteItems/TransactGetItems — code
 * that must run against it holds its invariants with single-item conditional writes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface Dynalite {
  endpoint: string;
  /** A client for this server with dummy credentials; no SDK retries, so a test sees every failure. */
  client(options?: { maxAttempts?: number }): DynamoDBClient;
  /** The server's own process, when it runs in one (`inProcess: false`). */
  pid?: number;
  close(): Promise<void>;
}

const OPTIONS = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };

/**
 * `inProcess: false` runs the server in a child process of its own, as DynamoDB is a service
 * elsewhere: its CPU is not taken from the code under test (benchmarks). Default: in this process.
 */
export async function startDynalite(options: { inProcess?: boolean } = {}): Promise<Dynalite> {
  const { port, stop, pid } = options.inProcess === false ? await startChild() : await startHere();
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  return {
    endpoint,
    ...(pid !== undefined ? { pid } : {}),
    client(options = {}) {
      const client = new DynamoDBClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: options.maxAttempts ?? 1,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.destroy();
      await stop();
    },
  };
}

async function startHere(): Promise<{ port: number; stop: () => Promise<void>; pid?: number }> {
  const server = dynalite(OPTIONS);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function startChild(): Promise<{ port: number; stop: () => Promise<void>; pid?: number }> {
  const script = `const s = require('dynalite')(${JSON.stringify(OPTIONS)}); s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n')); process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;
  const child = spawn(process.execPath, ['-e', script], { cwd: __dirname, stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dynalite's process ended (exit ${code}) before it listened`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
  });
  child.removeAllListeners('exit');
  return {
    port,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    // Closing its stdin ends it; so does this process ending, however it ends.
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
