import type { LoadedGrader } from '../../../src/model/grader';

/** Any listing: an empty page is how AWS says "none", whichever grader reads it. */
const LISTING = /\.(List\w+|Describe(Alarms|LogGroups)|Get(RestApis|Resources|Stages|Apis|Routes))$/;

/**
 * Whether `{}` is a real answer to `call` (`Service.Operation`) for this grader, so a FAIL after an
 * injected empty body is the right verdict: a listing, or an operation the grader declares in
 * `validEmptyAnswers` (an empty queue, a missing item, a bucket never versioned).
 */
export function emptyIsAnAnswer(grader: Pick<LoadedGrader, 'validEmptyAnswers'>, call: string): boolean {
  return LISTING.test(call) || grader.validEmptyAnswers.includes(call);
}
