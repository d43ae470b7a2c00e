import { isNotFound } from '../../src/aws/errors';

/** Resolves to `undefined` when the resource does not exist; any other failure propagates (ERROR). */
export async function orNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Collects every page of a paginated read; `fetch` gets the previous page's token. */
export async function allPages<P, T>(fetch: (token: string | undefined) => Promise<P>, items: (page: P) => T[] | undefined, next: (page: P) => string | undefined, maxPages = 50): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetch(token);
    out.push(...(items(page) ?? []));
    token = next(page);
    if (!token) return out;
  }
  throw new Error(`more than ${maxPages} pages; refusing to read on`);
}

/** The last path segment of an ARN's resource (`arn:aws:iam::1:role/path/name` gives `name`). */
export function arnResourceName(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  return resource.slice(resource.lastIndexOf('/') + 1);
}
