import type { AssessmentDefinition } from '../model/assessment';
import type { IssuanceOptions } from './issue';

/** What a credential for `assessment` says (its Achievement) and how long it stays valid. */
export function assessmentIssuance(assessment: AssessmentDefinition): Pick<IssuanceOptions, 'achievement' | 'validForDays'> {
  return {
    ...(assessment.validForDays ? { validForDays: assessment.validForDays } : {}),
    achievement: () => ({ name: assessment.title, description: assessment.description, criteriaNarrative: assessment.criteria, achievementType: assessment.achievementType }),
  };
}
