import { addMonths, defaultMilestones, milestoneProblems, parseInstant } from '../../src/cohorts/schedule';
import { parseVoucherRule, slugify } from '../../src/cohorts/setup';
import { testCatalog } from './support/world';

describe('cohort schedule', () => {
  it.each([
    ['2026-03-02T00:00:00.000Z', 3, '2026-06-02T00:00:00.000Z'],
    ['2026-01-31T09:00:00.000Z', 1, '2026-02-28T09:00:00.000Z'],
    ['2027-08-31T00:00:00.000Z', 6, '2028-02-29T00:00:00.000Z'],
    ['2026-05-15T00:00:00.000Z', 9, '2027-02-15T00:00:00.000Z'],
  ])('%s plus %i calendar months is %s', (from, months, to) => {
    expect(addMonths(from, months)).toBe(to);
  });

  it('spaces each target’s task milestones evenly and ends every target with its credential', () => {
    const milestones = defaultMilestones({ startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-07-01T00:00:00.000Z', targetAssessmentIds: ['aws-serverless', 'aws-agentic-ai'] }, testCatalog);
    expect(milestones.map((m) => [m.id, m.dueAt.slice(0, 10), m.requirement.kind === 'credential' ? m.requirement.assessmentId : m.requirement.taskIds[0]])).toEqual([
      ['m1', '2026-02-06', 't-api'],
      ['m2', '2026-03-02', 't-agent'],
      ['m3', '2026-03-14', 't-queue'],
      ['m4', '2026-04-20', 't-flow'],
      ['m5', '2026-05-02', 't-rag'],
      ['m6', '2026-05-26', 't-deploy'],
      ['m7', '2026-07-01', 'aws-serverless'],
      ['m8', '2026-07-01', 'aws-agentic-ai'],
    ]);
  });

  it('finds every problem in custom milestones', () => {
    const cohort = { startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-04-01T00:00:00.000Z', targetAssessmentIds: ['aws-serverless'] };
    expect(
      milestoneProblems(
        [
          { id: 'a', title: 'ok', dueAt: '2026-02-01T00:00:00.000Z', requirement: { kind: 'tasks-passed', taskIds: ['t-api'] } },
          { id: 'a', title: '', dueAt: '2026-05-01T00:00:00.000Z', requirement: { kind: 'tasks-passed', taskIds: ['t-agent'] } },
          { id: 'B', title: 'x', dueAt: '2026-02-01T00:00:00.000Z', requirement: { kind: 'credential', assessmentId: 'aws-agentic-ai' } },
        ],
        cohort,
        testCatalog,
      ),
    ).toEqual([
      'milestone a: the id is used twice',
      'milestone a: needs a title',
      'milestone a: due 2026-05-01T00:00:00.000Z lies outside the cohort (2026-01-01T00:00:00.000Z to 2026-04-01T00:00:00.000Z)',
      'milestone a: task "t-agent" is not a task of the cohort\'s target assessments (aws-serverless)',
      'milestone B: id must be 1-32 lower-case letters, digits or "-"',
      'milestone B: credential "aws-agentic-ai" is not one of the cohort\'s targets (aws-serverless)',
    ]);
  });

  it('reads dates, voucher rules and ids the way an organiser writes them', () => {
    expect(parseInstant('2026-03-02', 'start')).toBe('2026-03-02T00:00:00.000Z');
    expect(() => parseInstant('02/03/2026', 'start date')).toThrow('start date "02/03/2026" is not a date');
    expect(parseVoucherRule('credential:2026-06-30')).toEqual({ kind: 'credential-by', deadline: '2026-06-30T00:00:00.000Z' });
    expect(parseVoucherRule('milestones:3')).toEqual({ kind: 'milestones', count: 3 });
    expect(() => parseVoucherRule('milestones:0')).toThrow();
    expect(slugify('Level Up 2026 — Été')).toBe('level-up-2026-ete');
  });
});
