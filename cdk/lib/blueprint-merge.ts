import type { AccountQuota, Blueprint, SeedResource } from '../../src/model/task';

/** One task's part of a sandbox: the task id (for error messages) and its parsed blueprint. */
export interface SandboxPart {
  id: string;
  blueprint: Blueprint;
}

const serviceOf = (action: string): string => action.slice(0, action.indexOf(':')).toLowerCase();
const union = (lists: string[][]): string[] => [...new Set(lists.flat())].sort();

/** What makes two seeds the same resource: equal identities with different content conflict. */
function seedIdentity(seed: SeedResource): string {
  switch (seed.kind) {
    case 'ssm-parameter':
      return `ssm-parameter ${seed.name}`;
    case 's3-object':
      return `s3-object ${seed.bucketLogicalId}/${seed.key}`;
    case 'dynamodb-item':
      return `dynamodb-item ${seed.tableLogicalId} ${JSON.stringify(seed.item)}`;
    case 'cognito-user-pool':
      return `cognito-user-pool ${seed.logicalId}`;
  }
}

/**
 * Merges the blueprints of an assessment's tasks into the blueprint of one sandbox that can host them
 * all: the union of services, reads, probes and seeds, and the sum of the budgets. An action stays
 * denied only if every task that allows its service denies it, so one task's restriction never takes
 * away what another task needs.
 */
export function mergeBlueprints(parts: readonly SandboxPart[]): Blueprint {
  if (parts.length === 0) throw new Error('a sandbox needs at least one task blueprint');
  const blueprints = parts.map((p) => p.blueprint);

  const deniedActions = union(blueprints.map((b) => b.candidate.deniedActions)).filter((action) =>
    blueprints
      .filter((b) => b.candidate.services.includes(serviceOf(action)))
      .every((b) => b.candidate.deniedActions.includes(action)),
  );

  const seeds = new Map<string, { seed: SeedResource; from: string }>();
  for (const part of parts) {
    for (const seed of part.blueprint.seed) {
      const identity = seedIdentity(seed);
      const existing = seeds.get(identity);
      if (existing && JSON.stringify(existing.seed) !== JSON.stringify(seed)) {
        throw new Error(`tasks ${existing.from} and ${part.id} seed ${identity} differently; give one of them another name`);
      }
      if (!existing) seeds.set(identity, { seed, from: part.id });
    }
  }

  return {
    candidate: {
      services: union(blueprints.map((b) => b.candidate.services)),
      deniedActions,
      solutionActions: union(blueprints.map((b) => b.candidate.solutionActions)),
    },
    grader: {
      reads: union(blueprints.map((b) => b.grader.reads)),
      probes: union(blueprints.map((b) => b.grader.probes)),
      probeResources: mergeProbeResources(blueprints),
    },
    seed: [...seeds.values()].map((s) => s.seed),
    ...(blueprints.some((b) => b.accountQuotas?.length) ? { accountQuotas: mergeAccountQuotas(blueprints) } : {}),
    budgetUsd: blueprints.reduce((sum, b) => sum + b.budgetUsd, 0),
  };
}

/** Each quota once, at the highest minimum any task needs (with that task's reason). */
export function mergeAccountQuotas(blueprints: readonly Blueprint[]): AccountQuota[] {
  const byCode = new Map<string, AccountQuota>();
  for (const quota of blueprints.flatMap((b) => b.accountQuotas ?? [])) {
    const key = `${quota.serviceCode}/${quota.quotaCode}`;
    const existing = byCode.get(key);
    if (!existing || quota.minimum > existing.minimum) byCode.set(key, quota);
  }
  return [...byCode.values()];
}

/** A probe scoped in every task that has it keeps the union of its resources; scoped in none, it stays unscoped. */
function mergeProbeResources(blueprints: readonly Blueprint[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const probes = new Set(blueprints.flatMap((b) => b.grader.probes));
  for (const action of probes) {
    const having = blueprints.filter((b) => b.grader.probes.includes(action));
    if (having.every((b) => b.grader.probeResources[action])) out[action] = [...new Set(having.flatMap((b) => b.grader.probeResources[action]!))];
  }
  return out;
}
