import type { CallRecord, RecordedError } from '../../../src/aws/session';
import { regrade } from '../../../src/engine/grade';
import type { Json } from '../../../src/evidence/canonical';
import type { Status } from '../../../src/model/report';
import { emptyIsAnAnswer } from './empty-answers';
import { passFixtures, type PassFixture } from './pass-fixtures';
import { callKey } from './transcript-world';

/**
 * Invariant 1 (no false FAIL), tested by breaking each recorded call of every passing fixture in
 * turn. A transient fault is one failing answer recorded before the real one for the same call, so
 * the session's retry meets it first; a persistent fault replaces that answer and every later
 * answer to the same call, so every retry meets it too.
 *
 * Coverage: every fault at every recorded call, except inside a run of identical polls (waitFor
 * sends the same read again and again), where the first, the last and one middle poll chosen by a
 * fixed seed are broken; the other middle polls behave like those. Split by track into two test files so jest runs them side by side.
 */

type FaultKind = 'throttling' | 'server-error' | 'timeout' | 'access-denied' | 'expired-token' | 'malformed-empty' | 'malformed-type';
type Persistence = 'transient' | 'persistent';

interface Fault {
  kind: FaultKind;
  /** What the run must give: a retryable fault met once is absorbed, anything else leaves it incomplete. */
  expect: Record<Persistence, Status | undefined>;
  /** AWS credentials and AWS throttling do not apply to HTTP probes of the candidate's endpoint. */
  awsOnly: boolean;
  /** Only AWS answers are checked against the API model (and retried when they do not fit it). */
  transientAwsOnly?: boolean;
  error?: RecordedError;
  /** Rewrites the recorded output; undefined when the fault would change nothing. */
  output?: (recorded: Json) => Json | undefined;
}

const FAULTS: Fault[] = [
  {
    kind: 'throttling',
    expect: { transient: 'passed', persistent: 'incomplete' },
    awsOnly: true,
    error: { code: 'ThrottlingException', message: 'Rate exceeded', httpStatus: 400, fault: 'client' },
  },
  {
    kind: 'server-error',
    expect: { transient: 'passed', persistent: 'incomplete' },
    awsOnly: true,
    error: { code: 'InternalServerException', message: 'We encountered an internal error. Please try again.', httpStatus: 500, fault: 'server' },
  },
  {
    kind: 'timeout',
    expect: { transient: 'passed', persistent: 'incomplete' },
    awsOnly: false,
    error: { code: 'TimeoutError', message: 'Connection timed out after 10000 ms', fault: 'client' },
  },
  {
    // Not retryable, so a single failing answer is already the whole story: injected persistent only.
    kind: 'access-denied',
    expect: { transient: undefined, persistent: 'incomplete' },
    awsOnly: true,
    error: {
      code: 'AccessDeniedException',
      message: 'User: arn:aws:sts::111122223333:assumed-role/SkillProofGrader/skillproof-fixture is not authorized to perform this action',
      httpStatus: 403,
      fault: 'client',
    },
  },
  {
    kind: 'expired-token',
    expect: { transient: undefined, persistent: 'incomplete' },
    awsOnly: true,
    error: { code: 'ExpiredTokenException', message: 'The security token included in the request is expired', httpStatus: 400, fault: 'client' },
  },
  {
    // An empty 200 body: the SDK turns it into {} without complaint.
    kind: 'malformed-empty',
    expect: { transient: undefined, persistent: 'incomplete' },
    awsOnly: false,
    output: (recorded) => (isEmptyObject(recorded) ? undefined : {}),
  },
  {
    // Every member of the answer has the wrong JSON type; the SDK passes such bodies through too.
    kind: 'malformed-type',
    expect: { transient: 'passed', persistent: 'incomplete' },
    awsOnly: false,
    transientAwsOnly: true,
    output: (recorded) => (isEmptyObject(recorded) ? undefined : wrongTypes(recorded)),
  },
];

/**
 * Cleanup whose failure changes nothing the grader observed: a persistent fault there may leave
 * the run passed (deleting the poison message the probe itself put on the dead-letter queue).
 */
const CLEANUP = new Set(['SQS.DeleteMessage']);

interface Injection {
  fixture: string;
  index: number;
  call: string;
  kind: FaultKind;
  persistence: Persistence;
  status: Status;
  expected: Status;
  detail: string;
  /** `{}` is a real answer to this call for the task's grader (see support/empty-answers.ts). */
  emptyIsAnAnswer: boolean;
}

function isEmptyObject(v: Json): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

function wrongTypes(v: Json): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { unexpected: true };
  const swap = (m: Json): Json => (Array.isArray(m) ? 'not-a-list' : m !== null && typeof m === 'object' ? 42 : typeof m === 'string' ? { value: m } : String(m));
  return Object.fromEntries(Object.entries(v).map(([k, m]) => [k, swap(m)]));
}

function faulty(record: CallRecord, fault: Fault): CallRecord | undefined {
  if (fault.error) {
    const { output: _output, ...rest } = record;
    return { ...rest, error: fault.error, requestId: `injected-${fault.kind}` };
  }
  const output = fault.output?.(record.output ?? {});
  return output === undefined ? undefined : { ...record, output };
}

/** Transient: the fault answers first, the recorded answer second (sequence numbers keep the order). */
function transient(transcript: readonly CallRecord[], index: number, bad: CallRecord): CallRecord[] {
  return transcript.flatMap((r, i) => (i === index ? [{ ...bad, seq: 2 * r.seq - 1 }, { ...r, seq: 2 * r.seq }] : [{ ...r, seq: 2 * r.seq }]));
}

/** Persistent: this answer and every later answer to the same call are the fault. */
function persistent(transcript: readonly CallRecord[], index: number, bad: CallRecord): CallRecord[] {
  const target = transcript[index]!;
  const key = callKey(target.service, target.operation, target.input);
  return transcript.map((r, i) => (i >= index && callKey(r.service, r.operation, r.input) === key ? { ...bad, seq: r.seq } : r));
}

async function inject(fx: PassFixture, index: number, fault: Fault, persistence: Persistence): Promise<Injection | undefined> {
  const record = fx.bundle.transcript[index]!;
  const call = `${record.service}.${record.operation}`;
  const expected = fault.expect[persistence];
  const bad = faulty(record, fault);
  const http = record.service === 'HTTP';
  if (!expected || !bad || (fault.awsOnly && http) || (fault.transientAwsOnly && http && persistence === 'transient')) return undefined;
  const transcript = persistence === 'transient' ? transient(fx.bundle.transcript, index, bad) : persistent(fx.bundle.transcript, index, bad);
  const { report } = await regrade(fx.entry, { ...fx.bundle, transcript });
  const notPassing = report.checks.filter((c) => c.outcome === 'FAIL' || c.outcome === 'ERROR').map((c) => `${c.id} ${c.outcome}: ${c.message.slice(0, 160)}`);
  return { fixture: fx.label, index, call, kind: fault.kind, persistence, status: report.status, expected, detail: notPassing.join(' | ') || report.error || '', emptyIsAnAnswer: emptyIsAnAnswer(fx.entry.grader, call) };
}

/** Indexes to break: all, but of a run of identical polls only the first, the last and one seeded middle one. */
function indexesToBreak(transcript: readonly CallRecord[], seed: number): number[] {
  const byKey = new Map<string, number[]>();
  transcript.forEach((r, i) => {
    const key = callKey(r.service, r.operation, r.input);
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  const picked = new Set<number>();
  let state = seed;
  for (const indexes of byKey.values()) {
    picked.add(indexes[0]!);
    picked.add(indexes[indexes.length - 1]!);
    if (indexes.length > 2) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      picked.add(indexes[1 + (state % (indexes.length - 2))]!);
    }
  }
  return [...picked].sort((a, b) => a - b);
}

/** A `failed` grade caused by the fault itself (an empty ReceiveMessage really means "no message"). */
const isFalseFail = (i: Injection) => i.status === 'failed' && !(i.kind === 'malformed-empty' && i.emptyIsAnAnswer);

const show = (i: Injection) => `${i.fixture} call #${i.index} ${i.call} ${i.kind}/${i.persistence}: ${i.status} (expected ${i.expected}) ${i.detail}`;

/**
 * The suite over the passing fixtures `which` selects; split by track so jest runs the halves on
 * both cores. Returns the fixtures for further tests in the same describe.
 */
export function describeFaultInjection(title: string, which: (fx: PassFixture) => boolean, more?: (fixtures: PassFixture[]) => void): void {
  describe(title, () => {
    const injections: Injection[] = [];
    const fixtures = passFixtures().filter(which);

    beforeAll(async () => {
      for (const fx of fixtures) {
        for (const index of indexesToBreak(fx.bundle.transcript, 20260115)) {
          for (const fault of FAULTS) {
            for (const persistence of ['transient', 'persistent'] as const) {
              const result = await inject(fx, index, fault, persistence);
              if (result) injections.push(result);
            }
          }
        }
      }
      const falseFails = injections.filter(isFalseFail);
      const byKind = FAULTS.map((f) => `${f.kind} ${injections.filter((i) => i.kind === f.kind).length}/${falseFails.filter((i) => i.kind === f.kind).length}`);
      const byCall = new Map<string, Injection[]>();
      for (const f of falseFails) byCall.set(f.call, [...(byCall.get(f.call) ?? []), f]);
      const broken = new Set(injections.map((i) => `${i.fixture}#${i.index}`)).size;
      console.log(
        `fault injection: ${injections.length} injections at ${broken} of ${fixtures.reduce((n, f) => n + f.bundle.transcript.length, 0)} recorded calls ` +
          `of ${fixtures.length} passing fixtures; ${falseFails.length} false fails.\n` +
          `per fault (injections / false fails): ${byKind.join(', ')}` +
          [...byCall]
            .map(([call, list]) => {
              const kinds = [...new Set(list.map((i) => i.kind))].join(', ');
              return `\n  false fail after ${call} (${kinds}; ${list.length}x), e.g. ${list[0]!.fixture}: ${list[0]!.detail.slice(0, 140)}`;
            })
            .join(''),
      );
    }, 600_000);

    it('breaks every distinct recorded call of every task that has a passing fixture', () => {
      expect(fixtures.length).toBeGreaterThan(0);
      for (const fx of fixtures) {
        const broken = new Set(injections.filter((i) => i.fixture === fx.label).map((i) => callKey(fx.bundle.transcript[i.index]!.service, fx.bundle.transcript[i.index]!.operation, fx.bundle.transcript[i.index]!.input)));
        const distinct = new Set(fx.bundle.transcript.map((r) => callKey(r.service, r.operation, r.input)));
        expect({ fixture: fx.label, calls: broken.size }).toEqual({ fixture: fx.label, calls: distinct.size });
      }
    });

    it('absorbs transient throttling, server errors, timeouts and garbled answers with retries: the grade still passes', () => {
      const absorbed = injections.filter((i) => i.persistence === 'transient' && i.expected === 'passed');
      expect(absorbed.length).toBeGreaterThan(0);
      expect(absorbed.filter((i) => i.status !== 'passed').map(show)).toEqual([]);
    });

    it('makes the grade incomplete, never failed, when AWS keeps throttling, erroring, timing out, denying the grader or rejecting its expired token', () => {
      const infra = injections.filter((i) => !i.kind.startsWith('malformed') && i.expected === 'incomplete');
      const wrong = infra.filter((i) => isFalseFail(i) || (i.status !== 'incomplete' && !(i.status === 'passed' && CLEANUP.has(i.call))));
      expect(wrong.map(show)).toEqual([]);
    });

    it('never fails a grade because an answer had members of the wrong type', () => {
      const garbled = injections.filter((i) => i.kind === 'malformed-type');
      expect(garbled.length).toBeGreaterThan(0);
      expect(garbled.filter(isFalseFail).map(show)).toEqual([]);
    });

    it('never fails a grade because an answer came back as an empty body', () => {
      const empty = injections.filter((i) => i.kind === 'malformed-empty');
      expect(empty.length).toBeGreaterThan(0);
      expect(empty.filter(isFalseFail).map(show)).toEqual([]);
    });

    it('reads empty answers as real only where a grader declares them (validEmptyAnswers), each one a call it makes', () => {
      const called = new Map<string, Set<string>>();
      for (const fx of fixtures) {
        const calls = called.get(fx.entry.task.id) ?? new Set<string>();
        fx.bundle.transcript.forEach((r) => calls.add(`${r.service}.${r.operation}`));
        called.set(fx.entry.task.id, calls);
      }
      const stale = fixtures.flatMap((fx) => fx.entry.grader.validEmptyAnswers.filter((c) => !called.get(fx.entry.task.id)!.has(c)).map((c) => `${fx.entry.task.id}: ${c}`));
      expect([...new Set(stale)]).toEqual([]);
      expect(emptyIsAnAnswer({ validEmptyAnswers: ['S3.GetBucketVersioning'] }, 'S3.GetBucketVersioning')).toBe(true);
      expect(emptyIsAnAnswer({ validEmptyAnswers: [] }, 'S3.GetBucketVersioning')).toBe(false);
    });

    more?.(fixtures);
  });
}
