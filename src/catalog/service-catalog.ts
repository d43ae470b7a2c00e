/**
 * The catalog a service function grades with. From a checkout (tests, a local run of the handlers)
 * it is the repository's, loaded from tasks/ and graders/ like the CLI's; inside an esbuild bundle
 * (Lambda) those TypeScript files are not there to load, and the bundle carries the generated
 * src/catalog/bundled.ts instead, checked the same way.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Catalog, catalogFromModules, loadCatalog, REPO_ROOT } from './load';

/** Where a bundled catalog says it came from (Catalog.root: error messages, task folders). */
export const BUNDLED_ROOT = '/skillproof-bundled-catalog';

let bundled: Catalog | undefined;

/** The catalog compiled into this code (src/catalog/bundled.ts). */
export function loadBundledCatalog(): Catalog {
  const { BUNDLED_CATALOG } = require('./bundled') as typeof import('./bundled'); // eslint-disable-line @typescript-eslint/no-require-imports
  return (bundled ??= catalogFromModules(BUNDLED_ROOT, BUNDLED_CATALOG));
}

/**
 * Whether this code runs from the repository's TypeScript sources with tasks/ beside them (an esbuild
 * bundle is one .js file, and REPO_ROOT resolves to wherever it was unpacked).
 */
export function runsFromRepository(): boolean {
  return __filename.endsWith('.ts') && existsSync(join(REPO_ROOT, 'tasks'));
}

/** The repository's catalog when its files are there, else the bundled one. */
export function serviceCatalog(): Catalog {
  return runsFromRepository() ? loadCatalog() : loadBundledCatalog();
}
