export * from './types';
export * from './errors';
export { canonicalJson, sha256Hex } from './canonical-json';
export { resolveDataDir, ensureDataDir, type DataDirOptions } from './data-dir';
export { SqliteStore, DATABASE_FILE, type SqliteStoreOptions } from './sqlite-store';
export { MIGRATIONS, LATEST_SCHEMA_VERSION, type Migration } from './migrations';
export type { BadgeSettingsRecord, BadgeStore } from './badge-types';
export { openStore, resolveStoreSpec, describeStoreSpec, StoreSpecError, STORE_ENV, EVIDENCE_BUCKET_ENV, type StoreSpec, type StoreSelection } from './open-store';
