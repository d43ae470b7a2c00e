import type { ExcessGrant } from './iam-policy';

/**
 * Condenses excess grants for people: one line per statement and resource, naming a few actions
 * ("dynamodb:DeleteTable, dynamodb:Scan and 55 more on * (inline policy X)") rather than thousands.
 */
export function summariseExcess(excess: readonly ExcessGrant[]): string[] {
  const groups = new Map<string, string[]>();
  for (const g of excess) {
    const key = `${g.resource}\u0000${g.source}${g.sid ? ` (${g.sid})` : ''}`;
    const list = groups.get(key) ?? [];
    list.push(g.action);
    groups.set(key, list);
  }
  return [...groups.entries()].map(([key, actions]) => {
    const [resource, source] = key.split('\u0000');
    const shown = actions.slice(0, 3).join(', ');
    const more = actions.length > 3 ? ` and ${actions.length - 3} more` : '';
    return `${shown}${more} on ${resource} (${source})`;
  });
}
