import type { RequestContext } from '../context';
import type { Reply } from '../http';
import { adminPages } from './admin';
import { badgePages } from './badges';
import { cohortPages } from './cohorts';
import { adminPoolPages } from './admin-pool';
import { candidatePages } from './candidate';
import { publicPages } from './public';

export interface PageRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(ctx: RequestContext): Promise<Reply>;
}

/** The server-rendered pages: public (badges first), candidate, cohorts and admin. */
export function pageRoutes(): PageRoute[] {
  return [...badgePages(), ...publicPages(), ...candidatePages(), ...cohortPages(), ...adminPages(), ...adminPoolPages()];
}
