import { assessmentRule } from '../../src/attempts/assessment-rule';
import { everyTaskMustPass } from '../../src/attempts/types';
import { assessmentSchema } from '../../src/model/assessment';
import type { RunStatus } from '../../src/store/types';

const definition = (passRule: 'all' | { minTasksPassed: number }) =>
  assessmentSchema.parse({
    id: 'three-tasks',
    title: 'Three tasks',
    track: 'aws-serverless',
    description: 'An assessment of three tasks, for the pass rule.',
    criteria: 'Pass enough of the three tasks, as the pass rule says.',
    tasks: ['task-a', 'task-b', 'task-c'],
    timeLimitMinutes: 60,
    passRule,
  });

const outcomes = (...statuses: RunStatus[]) => statuses.map((status, i) => ({ taskId: `task-${'abc'[i]}`, status }));

describe('the attempt result follows the assessment pass rule', () => {
  it('"all" is every task must pass', () => {
    expect(assessmentRule(definition('all'))).toBe(everyTaskMustPass);
  });

  it.each([
    [['passed', 'passed', 'failed'], 'passed'],
    [['passed', 'failed', 'failed'], 'failed'],
    [['passed', 'incomplete', 'failed'], 'incomplete'],
    [['incomplete', 'incomplete', 'failed'], 'incomplete'],
    [['incomplete', 'failed', 'failed'], 'failed'],
  ] as Array<[RunStatus[], RunStatus]>)('at least 2 of 3 passed: %j is %s', (statuses, expected) => {
    expect(assessmentRule(definition({ minTasksPassed: 2 }))(outcomes(...statuses))).toBe(expected);
  });
});
