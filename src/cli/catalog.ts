import { Catalog, DefinitionError, loadCatalog } from '../catalog/load';
import { EvidenceError } from '../evidence/bundle';
import { CliError, EXIT } from './io';

/** Runs `fn` with the loaded catalog; a bad task, grader or evidence file becomes a clear CLI error. */
export async function withCatalog<T>(fn: (catalog: Catalog) => T | Promise<T>): Promise<T> {
  try {
    return await fn(loadCatalog());
  } catch (e) {
    if (e instanceof DefinitionError || e instanceof EvidenceError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}
