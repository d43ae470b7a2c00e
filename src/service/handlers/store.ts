/**
 * The store a service function works with, opened from `SKILLPROOF_STORE` (SERVICE_ENV.store):
 * `dynamodb:<table>` in the deployed service, `sqlite:<dir>` for a local run of the handlers.
 * Handlers take a Store through their dependencies; this is the one place that opens it.
 */
import type { AccessStore, Store } from '../../store/types';
import { SERVICE_ENV } from '../jobs';

export type ServiceStore = Store & AccessStore;

/** Opens a store from its spec; swapped for the DynamoDB backend's `openStore(spec)` once it is integrated. */
export type StoreOpener = (spec: string) => ServiceStore | Promise<ServiceStore>;

export class StoreSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreSpecError';
  }
}

export const openStoreFromSpec: StoreOpener = (spec) => {
  // One reading of a store spec for the CLI and the service (src/store/open-store.ts); the DynamoDB
  // store keeps evidence in the bucket SERVICE_ENV.evidenceBucket names.
  const { openStore, resolveStoreSpec } = require('../../store/open-store') as typeof import('../../store/open-store'); // eslint-disable-line @typescript-eslint/no-require-imports
  try {
    return openStore(resolveStoreSpec({ store: spec }));
  } catch (e) {
    if ((e as Error).name === 'StoreSpecError') throw new StoreSpecError(`${SERVICE_ENV.store}: ${(e as Error).message}`);
    throw e;
  }
};

let opened: Promise<ServiceStore> | undefined;

/** The process's store, opened once per execution environment from the environment's spec. */
export function serviceStore(env: NodeJS.ProcessEnv = process.env, open: StoreOpener = openStoreFromSpec): Promise<ServiceStore> {
  opened ??= (async () => {
    const spec = env[SERVICE_ENV.store];
    if (!spec) throw new StoreSpecError(`${SERVICE_ENV.store} is not set; the service stack sets it to dynamodb:<table>`);
    return open(spec);
  })().catch((e: unknown) => {
    opened = undefined;
    throw e;
  });
  return opened;
}
