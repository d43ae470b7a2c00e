/**
 * Placing members in learning groups: one set of groups per (target assessment, level), none
 * larger than the cohort's group size, sizes as even as stability allows.
 *
 * - Balanced: 23 people with size 10 make 8/8/7, not 10/10/3 (as few groups as fit everyone, with
 *   sizes differing by at most one).
 * - Stable: a member already placed keeps their group on every re-import; only a member whose
 *   level or target changed moves, to a group of their new (target, level).
 * - Newcomers fill the existing groups of their (target, level) that have room first, the emptiest
 *   first; only those who do not fit make new groups, as few as hold them, evenly sized.
 * - Deterministic: the same input gives the same plan; newcomers are handed out in row order, so
 *   people listed together land together.
 */
import type { GroupRecord, ImportPlan, MemberRecord } from '../store/cohort-types';

export interface Arrival {
  candidateId: string;
  level: string;
  targetAssessmentId: string;
  /** Display name for a new member (an existing member keeps the one they chose). */
  displayName: string | null;
  importRow: number;
}

export interface PlacementInput {
  cohortId: string;
  groupSize: number;
  groups: readonly GroupRecord[];
  members: readonly MemberRecord[];
  /** In row order; one per candidate. */
  arrivals: readonly Arrival[];
  /** The name of the `index`-th (1-based) group of a (target, level). */
  groupName(targetAssessmentId: string, level: string, index: number): string;
  newGroupId(): string;
}

export interface Placement {
  newGroups: ImportPlan['newGroups'];
  members: ImportPlan['members'];
  /** Members whose level or target changed, moved to another group. */
  moved: number;
}

const bucketOf = (target: string, level: string) => `${target}\u0000${level}`;

/** Splits `total` into `groups` sizes that differ by at most one, larger first. */
export function balancedSizes(total: number, groups: number): number[] {
  if (groups <= 0) return [];
  const base = Math.floor(total / groups);
  return Array.from({ length: groups }, (_, i) => base + (i < total % groups ? 1 : 0));
}

export function planPlacement(input: PlacementInput): Placement {
  const size = input.groupSize;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`group size must be a whole number of at least 1, got ${size}`);
  const existing = new Map(input.members.map((m) => [m.candidateId, m]));
  const groupById = new Map(input.groups.map((g) => [g.id, g]));
  const counts = new Map<string, number>();
  for (const m of input.members) counts.set(m.groupId, (counts.get(m.groupId) ?? 0) + 1);

  const members: Placement['members'] = [];
  const newcomers = new Map<string, Arrival[]>();
  let moved = 0;
  for (const a of input.arrivals) {
    const member = existing.get(a.candidateId);
    const group = member ? groupById.get(member.groupId) : undefined;
    if (member && member.level === a.level && member.targetAssessmentId === a.targetAssessmentId) {
      members.push({ ...keep(member), importRow: a.importRow });
      continue;
    }
    if (member) {
      moved += 1;
      if (group) counts.set(group.id, (counts.get(group.id) ?? 1) - 1);
    }
    const key = bucketOf(a.targetAssessmentId, a.level);
    const bucket = newcomers.get(key);
    if (bucket) bucket.push(a);
    else newcomers.set(key, [a]);
  }

  const newGroups: Placement['newGroups'] = [];
  for (const arrivals of newcomers.values()) {
    const { targetAssessmentId, level } = arrivals[0]!;
    const groups = input.groups
      .filter((g) => g.targetAssessmentId === targetAssessmentId && g.level === level)
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }) || a.id.localeCompare(b.id));
    const slots = groups.map((g) => ({ id: g.id, count: counts.get(g.id) ?? 0 }));
    const room = slots.reduce((n, s) => n + Math.max(0, size - s.count), 0);
    const extra = Math.ceil(Math.max(0, arrivals.length - room) / size);
    const usedNames = new Set(input.groups.map((g) => g.name));
    let index = groups.length;
    for (let i = 0; i < extra; i += 1) {
      let name: string;
      do name = input.groupName(targetAssessmentId, level, ++index);
      while (usedNames.has(name));
      usedNames.add(name);
      const group = { id: input.newGroupId(), cohortId: input.cohortId, name, level, targetAssessmentId };
      newGroups.push(group);
      slots.push({ id: group.id, count: 0 });
    }
    // Groups with room first, the emptiest first (ties: the earlier group); the rest evenly over the new groups.
    const quota = slots.map(() => 0);
    let left = arrivals.length;
    for (; left > 0; left -= 1) {
      let best = -1;
      for (let i = 0; i < groups.length; i += 1) {
        const load = slots[i]!.count + quota[i]!;
        if (load < size && (best < 0 || load < slots[best]!.count + quota[best]!)) best = i;
      }
      if (best < 0) break;
      quota[best] = quota[best]! + 1;
    }
    balancedSizes(left, extra).forEach((n, i) => (quota[groups.length + i] = n));
    // Hand the quotas out in row order, group after group.
    let next = 0;
    slots.forEach((slot, i) => {
      for (let q = 0; q < quota[i]!; q += 1) {
        const a = arrivals[next++]!;
        const member = existing.get(a.candidateId);
        members.push({
          cohortId: input.cohortId,
          candidateId: a.candidateId,
          groupId: slot.id,
          level,
          targetAssessmentId,
          displayName: member ? member.displayName : a.displayName,
          hidden: member ? member.hidden : false,
          importRow: a.importRow,
        });
      }
    });
  }
  return { newGroups, members, moved };
}

function keep(m: MemberRecord): Placement['members'][number] {
  return {
    cohortId: m.cohortId,
    candidateId: m.candidateId,
    groupId: m.groupId,
    level: m.level,
    targetAssessmentId: m.targetAssessmentId,
    displayName: m.displayName,
    hidden: m.hidden,
    importRow: m.importRow,
  };
}
