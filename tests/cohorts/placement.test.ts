import { balancedSizes, planPlacement, type Arrival, type PlacementInput } from '../../src/cohorts/placement';
import type { GroupRecord, MemberRecord } from '../../src/store/cohort-types';

const arrivals = (n: number, level = 'foundation', from = 1, target = 'aws-serverless'): Arrival[] =>
  Array.from({ length: n }, (_, i) => ({ candidateId: `c${from + i}`, level, targetAssessmentId: target, displayName: `P${from + i}`, importRow: from + i + 1 }));

function place(input: Partial<PlacementInput> & Pick<PlacementInput, 'arrivals'>) {
  let id = input.groups?.length ?? 0;
  return planPlacement({
    cohortId: 'co',
    groupSize: 10,
    groups: [],
    members: [],
    groupName: (t, l, i) => `${t} · ${l} · ${i}`,
    newGroupId: () => `g${++id}`,
    ...input,
  });
}

/** Applies a placement to the records, as the store would. */
function applied(previous: { groups: GroupRecord[]; members: MemberRecord[] }, placement: ReturnType<typeof place>) {
  const groups = [...previous.groups, ...placement.newGroups.map((g) => ({ ...g, createdAt: 'now' }))];
  const members = new Map(previous.members.map((m) => [m.candidateId, m]));
  for (const m of placement.members) members.set(m.candidateId, { ...m, joinedAt: 'now', updatedAt: 'now' });
  return { groups, members: [...members.values()] };
}

const sizes = (s: { groups: GroupRecord[]; members: MemberRecord[] }) => s.groups.map((g) => s.members.filter((m) => m.groupId === g.id).length);

describe('placement in learning groups', () => {
  it.each([
    [23, 10, [8, 8, 7]],
    [20, 10, [10, 10]],
    [21, 10, [7, 7, 7]],
    [9, 10, [9]],
    [31, 6, [6, 5, 5, 5, 5, 5]],
  ])('puts %i people in groups of at most %i as %j (as few groups as fit, sizes within one)', (n, size, expected) => {
    const placement = place({ groupSize: size, arrivals: arrivals(n) });
    expect(sizes(applied({ groups: [], members: [] }, placement))).toEqual(expected);
  });

  it('keeps each (target, level) apart', () => {
    const placement = place({ arrivals: [...arrivals(3, 'foundation'), ...arrivals(2, 'advanced', 10), ...arrivals(2, 'foundation', 20, 'aws-agentic-ai')] });
    expect(placement.newGroups.map((g) => g.name)).toEqual(['aws-serverless · foundation · 1', 'aws-serverless · advanced · 1', 'aws-agentic-ai · foundation · 1']);
    for (const m of placement.members) {
      const g = placement.newGroups.find((x) => x.id === m.groupId)!;
      expect([g.level, g.targetAssessmentId]).toEqual([m.level, m.targetAssessmentId]);
    }
  });

  it('keeps people listed together in the same group', () => {
    const placement = place({ arrivals: arrivals(23) });
    expect(placement.members.slice(0, 8).every((m) => m.groupId === 'g1')).toBe(true);
    expect(placement.members.slice(16).every((m) => m.groupId === 'g3')).toBe(true);
  });

  it('leaves existing members where they are and fills the groups with room first, the emptiest first', () => {
    const first = applied({ groups: [], members: [] }, place({ arrivals: arrivals(23) }));
    const again = place({ ...first, arrivals: [...arrivals(23), ...arrivals(4, 'foundation', 100)] });
    const after = applied(first, again);
    for (const m of first.members) expect(after.members.find((x) => x.candidateId === m.candidateId)!.groupId).toBe(m.groupId);
    expect(again.newGroups).toEqual([]);
    expect(sizes(after)).toEqual([9, 9, 9]);
  });

  it('makes new groups only for those who do not fit, evenly sized among themselves', () => {
    const first = applied({ groups: [], members: [] }, place({ arrivals: arrivals(29) }));
    expect(sizes(first)).toEqual([10, 10, 9]);
    const after = applied(first, place({ ...first, arrivals: arrivals(13, 'foundation', 100) }));
    expect(sizes(after)).toEqual([10, 10, 10, 6, 6]);
  });

  it('moves only a member whose level changed, to a group of the new level, keeping their display name and choice to hide', () => {
    const first = applied({ groups: [], members: [] }, place({ arrivals: arrivals(5) }));
    first.members[0] = { ...first.members[0]!, displayName: 'Chosen', hidden: true };
    const next = place({ ...first, arrivals: [{ ...arrivals(1)[0]!, level: 'advanced' }, ...arrivals(4, 'foundation', 2)] });
    expect(next.moved).toBe(1);
    const moved = next.members.find((m) => m.candidateId === 'c1')!;
    expect(next.newGroups).toEqual([expect.objectContaining({ level: 'advanced', name: 'aws-serverless · advanced · 1' })]);
    expect(moved).toMatchObject({ groupId: next.newGroups[0]!.id, displayName: 'Chosen', hidden: true });
  });

  it('is deterministic: the same input gives the same plan', () => {
    expect(place({ arrivals: arrivals(57) })).toEqual(place({ arrivals: arrivals(57) }));
  });

  it('balancedSizes splits evenly, larger first', () => {
    expect(balancedSizes(23, 3)).toEqual([8, 8, 7]);
    expect(balancedSizes(0, 2)).toEqual([0, 0]);
  });
});
