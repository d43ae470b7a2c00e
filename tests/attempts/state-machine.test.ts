import {
  allowedTransitions,
  IllegalTransitionError,
  nextState,
  TRANSITIONS,
  type AttemptStatus,
  type Transition,
} from '../../src/attempts/state-machine';
import { ATTEMPT_STATES, type AttemptState, type RunStatus } from '../../src/store/types';

const attempt = (state: AttemptState, result: RunStatus | null = null, kind: AttemptStatus['kind'] = 'assessment'): AttemptStatus => ({
  id: 'att-0123456789ab',
  kind,
  state,
  result: state === 'graded' || state === 'credentialed' ? (result ?? 'passed') : null,
});

type Kind = AttemptStatus['kind'];

/** Every legal move: [from, result, kind, transition, to] ('any' matches all). Anything not listed is refused. */
const LEGAL: Array<[AttemptState, RunStatus | 'any', Kind | 'any', Transition, AttemptState]> = [
  ['created', 'any', 'any', 'start', 'active'],
  ['created', 'any', 'any', 'expire', 'expired'],
  ['created', 'any', 'any', 'cancel', 'cancelled'],
  ['active', 'any', 'any', 'submit', 'submitted'],
  ['active', 'any', 'any', 'expire', 'expired'],
  ['active', 'any', 'any', 'cancel', 'cancelled'],
  ['submitted', 'any', 'any', 'grade', 'graded'],
  ['graded', 'incomplete', 'any', 'regrade', 'submitted'],
  ['graded', 'passed', 'assessment', 'credential', 'credentialed'],
];

const isLegal = (state: AttemptState, result: RunStatus, kind: Kind, t: Transition) =>
  LEGAL.some(([f, r, k, tr]) => f === state && tr === t && (r === 'any' || r === result) && (k === 'any' || k === kind));

describe('attempt state machine', () => {
  it.each(LEGAL)('%s (%s, %s) --%s--> %s', (from, result, kind, transition, to) => {
    const r = result === 'any' ? null : result;
    for (const k of kind === 'any' ? (['assessment', 'practice'] as const) : [kind]) {
      expect(nextState(attempt(from, r, k), transition)).toBe(to);
    }
  });

  const cases = ATTEMPT_STATES.flatMap((state) =>
    (['passed', 'failed', 'incomplete'] as const)
      .filter((r) => state === 'graded' || state === 'credentialed' || r === 'passed')
      .flatMap((result) =>
        (['assessment', 'practice'] as const).flatMap((kind) => TRANSITIONS.map((t) => [state, result, kind, t] as const)),
      ),
  );
  const illegal = cases.filter(([state, result, kind, t]) => !isLegal(state, result, kind, t));

  it.each(illegal)('refuses %s (%s, %s) --%s-->, naming the attempt, its state and the transition', (state, result, kind, transition) => {
    const a = attempt(state, result, kind);
    let error: unknown;
    try {
      nextState(a, transition);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IllegalTransitionError);
    const e = error as IllegalTransitionError;
    expect(e.message).toContain('att-0123456789ab');
    expect(e.message).toContain(state);
    expect(e.message).toContain(`cannot ${transition}`);
    expect(e).toMatchObject({ attemptId: a.id, state, transition });
  });

  it('says why a failed or passed result cannot be re-run', () => {
    expect(() => nextState(attempt('graded', 'failed'), 'regrade')).toThrow(
      'Attempt att-0123456789ab is graded (failed); cannot regrade: only an incomplete result may be re-run; failed is final.',
    );
    expect(() => nextState(attempt('graded', 'passed'), 'regrade')).toThrow(/passed is final/);
  });

  it('never credentials a practice attempt, even a passed one', () => {
    expect(() => nextState(attempt('graded', 'passed', 'practice'), 'credential')).toThrow(/practice attempt never earns a credential/);
  });

  it('only credentials a passed assessment', () => {
    expect(() => nextState(attempt('graded', 'incomplete'), 'credential')).toThrow(/only a passed attempt earns a credential; this one is incomplete/);
    expect(() => nextState(attempt('graded', 'failed'), 'credential')).toThrow(/this one is failed/);
  });

  it('lists what may happen next', () => {
    expect(allowedTransitions(attempt('created'))).toEqual(['start', 'expire', 'cancel']);
    expect(allowedTransitions(attempt('graded', 'passed'))).toEqual(['credential']);
    expect(allowedTransitions(attempt('graded', 'failed'))).toEqual([]);
    expect(allowedTransitions(attempt('credentialed'))).toEqual([]);
    expect(allowedTransitions(attempt('expired'))).toEqual([]);
    expect(allowedTransitions(attempt('cancelled'))).toEqual([]);
  });
});
