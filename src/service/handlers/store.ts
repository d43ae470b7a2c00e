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
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const where = colon < 0 ? '' : spec.slice(colon + 1);
  if (!where) throw new StoreSpecError(`${SERVICE_ENV.store}="${spec}" names no table or directory; use dynamodb:<table> or sqlite:<dir>`);
  if (kind === 'sqlite') {
    const { SqliteStore } = require('../../store/sqlite-store') as typeof import('../../store/sqlite-store'); // eslint-disable-line @typescript-eslint/no-require-imports
    return SqliteStore.open(where);
  }
  if (kind === 'dynamodb') {
    throw new StoreSpecError(`${SERVICE_ENV.store}="${spec}": the DynamoDB store (src/store/dynamodb) is not integrated in this build`);
  }
  throw new StoreSpecError(`${SERVICE_ENV.store}="${spec}" is neither dynamodb:<table> nor sqlite:<dir>`);
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
