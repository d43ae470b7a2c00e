import type { AssessmentDefinition } from '../model/assessment';
import { assessmentPassed } from '../model/assessment';
import { everyTaskMustPass, type AssessmentRule } from './types';

/**
 * The assessment's own pass rule over its tasks' final runs. With "at least n tasks passed", the
 * attempt is incomplete (never failed) while the tasks we could not grade might still reach n.
 */
export function assessmentRule(assessment: AssessmentDefinition): AssessmentRule {
  if (assessment.passRule === 'all') return everyTaskMustPass;
  return (outcomes) => {
    const passed = outcomes.filter((o) => o.status === 'passed').length;
    const incomplete = outcomes.filter((o) => o.status === 'incomplete').length;
    if (assessmentPassed(assessment, passed)) return 'passed';
    return assessmentPassed(assessment, passed + incomplete) ? 'incomplete' : 'failed';
  };
}
