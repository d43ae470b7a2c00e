import type { AttemptKind, AttemptState, RunStatus } from '../store/types';

/**
 * The attempt lifecycle:
 *
 *   created ─start─▶ active ─submit─▶ submitted ─grade─▶ graded ─credential─▶ credentialed
 *      │               │                  ▲                 │ (passed assessments only)
 *      │               │                  └────regrade──────┘ (incomplete only; admin)
 *      ├─expire/cancel─┴─▶ expired | cancelled
 *
 * `failed` and `passed` results are final; practice attempts are never credentialed.
 */
export const TRANSITIONS = ['start', 'submit', 'grade', 'regrade', 'credential', 'expire', 'cancel'] as const;
export type Transition = (typeof TRANSITIONS)[number];

/** The part of an attempt the state machine looks at. */
export interface AttemptStatus {
  id: string;
  kind: AttemptKind;
  state: AttemptState;
  result: RunStatus | null;
}

interface Rule {
  from: readonly AttemptState[];
  to: AttemptState;
  /** Returns why the transition is refused, or undefined when allowed. */
  guard?: (attempt: AttemptStatus) => string | undefined;
}

const RULES: Record<Transition, Rule> = {
  start: { from: ['created'], to: 'active' },
  submit: { from: ['active'], to: 'submitted' },
  grade: { from: ['submitted'], to: 'graded' },
  regrade: {
    from: ['graded'],
    to: 'submitted',
    guard: (a) => (a.result === 'incomplete' ? undefined : `only an incomplete result may be re-run; ${a.result} is final`),
  },
  credential: {
    from: ['graded'],
    to: 'credentialed',
    guard: (a) => {
      if (a.kind !== 'assessment') return 'a practice attempt never earns a credential';
      return a.result === 'passed' ? undefined : `only a passed attempt earns a credential; this one is ${a.result}`;
    },
  },
  expire: { from: ['created', 'active'], to: 'expired' },
  cancel: { from: ['created', 'active'], to: 'cancelled' },
};

/** Operations that need a particular state without changing it. */
export type Operation = 'check';

export const TERMINAL_STATES: readonly AttemptState[] = ['credentialed', 'expired', 'cancelled'];

export class IllegalTransitionError extends Error {
  constructor(
    readonly attemptId: string,
    readonly state: AttemptState,
    readonly result: RunStatus | null,
    readonly transition: Transition | Operation,
    readonly reason: string,
  ) {
    super(`Attempt ${attemptId} is ${describeState(state, result)}; cannot ${transition}: ${reason}.`);
    this.name = 'IllegalTransitionError';
  }
}

export function describeState(state: AttemptState, result: RunStatus | null): string {
  return result && (state === 'graded' || state === 'credentialed') ? `${state} (${result})` : state;
}

/** The state `transition` leads to, or undefined with the reason it is refused. */
export function checkTransition(attempt: AttemptStatus, transition: Transition): { to: AttemptState } | { refused: string } {
  const rule = RULES[transition];
  if (!rule.from.includes(attempt.state)) {
    const allowed = rule.from.join(' or ');
    return { refused: `${transition} is only possible from ${allowed}` };
  }
  const refused = rule.guard?.(attempt);
  return refused ? { refused } : { to: rule.to };
}

/** The state `transition` leads to; throws IllegalTransitionError naming the attempt, its state and the transition. */
export function nextState(attempt: AttemptStatus, transition: Transition): AttemptState {
  const outcome = checkTransition(attempt, transition);
  if ('refused' in outcome) throw new IllegalTransitionError(attempt.id, attempt.state, attempt.result, transition, outcome.refused);
  return outcome.to;
}

/** Transitions allowed from the attempt's current state and result. */
export function allowedTransitions(attempt: AttemptStatus): Transition[] {
  return TRANSITIONS.filter((t) => 'to' in checkTransition(attempt, t));
}
