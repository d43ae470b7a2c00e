/**
 * A DynamoDB-compatible server (dynalite, in memory) started by the tests themselves: no Java, no
 * Docker. dynalite implements the single-item API (GetItem, PutItem, UpdateItem, DeleteItem,
 * Query, Scan, Batch*), conditions included, but not TransactWriteItems/TransactGetItems — code
 * that must run against it holds its invariants with single-item conditional writes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface Dynalite {
  endpoint: string;
  /** A client for this server with dummy credentials; no SDK retries, so a test sees every failure. */
  client(options?: { maxAttempts?: number }): DynamoDBClient;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  return {
    endpoint,
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
