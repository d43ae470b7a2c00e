/**
 * Which store a command or server uses: `--store <spec>`, else `SKILLPROOF_STORE`, else SQLite in
 * the data directory. Specs:
 *   sqlite:<dir>        the embedded store in <dir> (`sqlite:` alone: the data directory)
 *   dynamodb:<table>    DynamoDbStore on that table, evidence bundles in the S3 bucket named by
 *                       SKILLPROOF_EVIDENCE_BUCKET (optionally under SKILLPROOF_EVIDENCE_PREFIX)
 * DynamoDB and S3 use the SDK's standard configuration: AWS_REGION, AWS_ENDPOINT_URL (or the
 * per-service AWS_ENDPOINT_URL_DYNAMODB / _S3), and the default credential chain. The issuer's
 * private key stays in the data directory whichever store is chosen.
 */
import { resolve } from 'node:path';
import { resolveDataDir } from './data-dir';
import { StoreError } from './errors';
import { SqliteStore } from './sqlite-store';
import type { AccessStore, Store } from './types';

export const STORE_ENV = 'SKILLPROOF_STORE';
export const EVIDENCE_BUCKET_ENV = 'SKILLPROOF_EVIDENCE_BUCKET';
export const EVIDENCE_PREFIX_ENV = 'SKILLPROOF_EVIDENCE_PREFIX';

export type StoreSpec = { kind: 'sqlite'; dir: string } | { kind: 'dynamodb'; table: string; bucket: string; prefix?: string };

/** A store spec that cannot be used; the message says what to write instead. */
export class StoreSpecError extends StoreError {}

export interface StoreSelection {
  /** `--store`. */
  store?: string;
  /** `--data-dir`: where a bare `sqlite:` (and the default) puts the database. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** The spec chosen by `--store`, else SKILLPROOF_STORE, else SQLite in the data directory. */
export function resolveStoreSpec(selection: StoreSelection = {}): StoreSpec {
  const env = selection.env ?? process.env;
  const text = selection.store ?? env[STORE_ENV];
  const dataDir = () => resolveDataDir({ ...(selection.dataDir ? { dataDir: selection.dataDir } : {}), env });
  if (text === undefined || text.trim() === '') return { kind: 'sqlite', dir: dataDir() };
  const from = selection.store !== undefined ? '--store' : STORE_ENV;
  const match = /^([a-z]+):(.*)$/.exec(text.trim());
  if (!match) throw new StoreSpecError(`${from} "${text}" is not a store spec; use sqlite:<dir> or dynamodb:<table>.`);
  const [, kind, rest] = match as unknown as [string, string, string];
  if (kind === 'sqlite') return { kind: 'sqlite', dir: rest ? resolve(rest) : dataDir() };
  if (kind === 'dynamodb') {
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(rest)) {
      throw new StoreSpecError(`${from} "${text}": "${rest}" is not a DynamoDB table name (3-255 of letters, digits, _ . -).`);
    }
    const bucket = env[EVIDENCE_BUCKET_ENV];
    if (!bucket) {
      throw new StoreSpecError(
        `${from} "${text}" keeps evidence bundles in S3, and ${EVIDENCE_BUCKET_ENV} is not set; set it to the evidence bucket's name (the service stack outputs it).`,
      );
    }
    const prefix = env[EVIDENCE_PREFIX_ENV];
    return { kind: 'dynamodb', table: rest, bucket, ...(prefix ? { prefix } : {}) };
  }
  throw new StoreSpecError(`${from} "${text}": unknown store kind "${kind}"; use sqlite:<dir> or dynamodb:<table>.`);
}

export interface OpenStoreOptions {
  now?: () => Date;
}

/** Opens the store a spec names (a string is parsed as `--store` would be). */
export function openStore(spec: StoreSpec | string, options: OpenStoreOptions = {}): Store & AccessStore {
  const chosen = typeof spec === 'string' ? resolveStoreSpec({ store: spec }) : spec;
  const clock = options.now ? { now: options.now } : {};
  if (chosen.kind === 'sqlite') {
    return SqliteStore.open(chosen.dir, clock);
  }
  // Loaded only when chosen: the SDK clients are large, and most commands use SQLite.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { DynamoDbStore } = require('./dynamodb/dynamodb-store') as typeof import('./dynamodb/dynamodb-store');
  const { S3BlobStore } = require('./blobs/s3-blob-store') as typeof import('./blobs/s3-blob-store');
  const { S3Client } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const blobs = new S3BlobStore({ client: new S3Client({}), bucket: chosen.bucket, ...(chosen.prefix ? { prefix: chosen.prefix } : {}) });
  return new DynamoDbStore({ client: {}, tableName: chosen.table, blobs, ...clock });
}

/** How a spec is shown in messages. */
export function describeStoreSpec(spec: StoreSpec): string {
  return spec.kind === 'sqlite' ? `sqlite:${spec.dir}` : `dynamodb:${spec.table} (evidence in s3://${spec.bucket}/${spec.prefix ?? ''})`;
}
