import type { RequestContext } from '../context';
import type { Reply } from '../http';
import { adminPages } from './admin';
import { adminPoolPages } from './admin-pool';
import { candidatePages } from './candidate';
import { publicPages } from './public';

export interface PageRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(ctx: RequestContext): Promise<Reply>;
}

/** The server-rendered pages: public, candidate and admin. */
export function pageRoutes(): PageRoute[] {
  return [...publicPages(), ...candidatePages(), ...adminPages(), ...adminPoolPages()];
}
