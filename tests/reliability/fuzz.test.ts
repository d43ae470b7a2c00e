import fc from 'fast-check';
import type { z } from 'zod';
import type { CallRecord } from '../../src/aws/session';
import { gradeSimulated, regrade } from '../../src/engine/grade';
import { runChecks } from '../../src/engine/run-checks';
import { bundleHash, bundleSchema, serialiseBundle, type EvidenceBundle } from '../../src/evidence/bundle';
import type { Json } from '../../src/evidence/canonical';
import { pass } from '../../src/model/grader';
import { reportSchema, type Report } from '../../src/model/report';
import { awsError } from '../../src/testing/fake-account';
import { grader, simulated, TASK } from '../support/harness';
import { passFixtures, recordedRun, type PassFixture } from './support/pass-fixtures';
import { callKey, transcriptWorld } from './support/transcript-world';

/**
 * Property: whatever shape the answers take (members missing, lists empty, odd types, huge or
 * exotic strings, pagination that never ends), grading resolves with a valid report in the closed
 * outcome vocabulary, every check says why, and the evidence bundle replays to the same outcomes.
 * Each grader gets NUM_RUNS generated variations of its passing fixture, from a fixed seed.
 * The checks' answers are mutated, not the engine's own preflight (GetCallerIdentity): that is
 * covered in fault-injection-*.test.ts.
 */

const NUM_RUNS = 30;
const SEED = 20260115;
/** "Very long" pagination: pages keep coming this long before the last one. */
const MAX_PAGES = 120;
const TOKEN_KEYS = ['NextToken', 'nextToken', 'NextMarker', 'Marker', 'position'];
const PAGE = /^fuzz-page-(\d+)$/;

type Path = Array<string | number>;
type Mutation =
  | { kind: 'drop-member'; call: number; pick: number }
  | { kind: 'empty-list'; call: number; pick: number }
  | { kind: 'odd-type'; call: number; pick: number; value: Json }
  | { kind: 'huge-string'; call: number; pick: number; length: number }
  | { kind: 'unicode'; call: number; pick: number; text: string }
  | { kind: 'endless-pages'; call: number };

const nasty = ['', '\u0000', '\u202eevil', 'e\u0301\u0301\u0301', '👩‍💻🏳️‍🌈', '\ud800', 'ﬃ', '../../etc/passwd', '<script>alert(1)</script>', '%s%n', 'null', '[redacted]'];

const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, true, -1, 1e308, '', [], {}, { $date: 'not-a-date' }, { $bytes: '%%%' }, [null, null]),
);

const mutation = (calls: number): fc.Arbitrary<Mutation> => {
  const call = fc.nat({ max: calls - 1 });
  const pick = fc.nat();
  return fc.oneof(
    fc.record({ kind: fc.constant('drop-member' as const), call, pick }),
    fc.record({ kind: fc.constant('empty-list' as const), call, pick }),
    fc.record({ kind: fc.constant('odd-type' as const), call, pick, value: oddValue }),
    fc.record({ kind: fc.constant('huge-string' as const), call, pick, length: fc.integer({ min: 10_000, max: 300_000 }) }),
    fc.record({
      kind: fc.constant('unicode' as const),
      call,
      pick,
      text: fc.oneof(fc.constantFrom(...nasty), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 })),
    }),
    fc.record({ kind: fc.constant('endless-pages' as const), call }),
  );
};

/** Every node of a JSON value with its path, depth first. */
function nodes(value: Json, path: Path = []): Array<{ path: Path; value: Json }> {
  const children =
    Array.isArray(value) ? value.flatMap((v, i) => nodes(v, [...path, i])) : value !== null && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => nodes(v, [...path, k])) : [];
  return [{ path, value }, ...children];
}

function setAt(root: Json, path: Path, value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const parent = path.slice(0, -1).reduce<Json>((v, key) => (v as Record<string | number, Json>)[key]!, root) as Record<string | number, Json> | Json[];
  const last = path[path.length - 1]!;
  if (value !== undefined) (parent as Record<string | number, Json>)[last] = value;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete (parent as Record<string, Json>)[last];
  return root;
}

function choose<T>(items: T[], pick: number): T | undefined {
  return items.length ? items[pick % items.length] : undefined;
}

function mutate(output: Json, m: Exclude<Mutation, { kind: 'endless-pages' }>): Json {
  const out = structuredClone(output);
  const all = nodes(out);
  switch (m.kind) {
    case 'drop-member': {
      const target = choose(all.filter((n) => n.path.length > 0), m.pick);
      return target ? setAt(out, target.path, undefined) : out;
    }
    case 'empty-list': {
      const target = choose(all.filter((n) => Array.isArray(n.value)), m.pick);
      return target ? setAt(out, target.path, []) : out;
    }
    case 'odd-type': {
      const target = choose(all, m.pick)!;
      return setAt(out, target.path, m.value);
    }
    case 'huge-string':
    case 'unicode': {
      const text = m.kind === 'unicode' ? m.text : 'x'.repeat(m.length);
      // A string member if there is one, else any member (never the whole answer: the SDK spreads a
      // string body into one key per character, which only measures that).
      const target = choose(all.filter((n) => typeof n.value === 'string'), m.pick) ?? choose(all.filter((n) => n.path.length > 0), m.pick);
      return target ? setAt(out, target.path, text) : out;
    }
  }
}

function withPageToken(output: Json, page: number): Json {
  if (output === null || typeof output !== 'object' || Array.isArray(output)) return output;
  const token = page < MAX_PAGES ? `fuzz-page-${page + 1}` : undefined;
  const rest = Object.fromEntries(Object.entries(output).filter(([k]) => !TOKEN_KEYS.includes(k) && k !== 'IsTruncated'));
  return token ? { ...rest, ...Object.fromEntries(TOKEN_KEYS.map((k) => [k, token])), IsTruncated: true } : rest;
}

/** The fixture's account with the mutations applied to the answers they target. */
function mutatedWorld(fx: PassFixture, answered: CallRecord[], mutations: Mutation[], onPage: (page: number) => void) {
  const bySeq = new Map<number, Mutation[]>();
  for (const m of mutations) {
    const seq = answered[m.call]!.seq;
    bySeq.set(seq, [...(bySeq.get(seq) ?? []), m]);
  }
  const paged = mutations.filter((m) => m.kind === 'endless-pages').map((m) => answered[m.call]!);
  return transcriptWorld(fx.bundle.transcript, {
    transform: (record, output) =>
      (bySeq.get(record.seq) ?? []).reduce<Json>((out, m) => (m.kind === 'endless-pages' ? withPageToken(out, 0) : mutate(out, m)), output),
    unknown: (service, operation, input) => {
      const fields = (input ?? {}) as Record<string, unknown>;
      const page = TOKEN_KEYS.map((k) => PAGE.exec(String(fields[k] ?? ''))).find(Boolean);
      const base = Object.fromEntries(Object.entries(fields).filter(([k]) => !TOKEN_KEYS.includes(k)));
      const first = page && paged.find((r) => callKey(r.service, r.operation, r.input) === callKey(service, operation, base));
      if (!first) throw awsError('ResourceNotFoundException', `${service}.${operation}: no such resource in the fuzzed account`, 404);
      onPage(Number(page[1]));
      return { ...(withPageToken(first.output ?? {}, Number(page[1])) as object), $metadata: { httpStatusCode: 200, requestId: `page-${page[1]}` } };
    },
  });
}

function schemaIssues(schema: z.ZodType, value: unknown): string[] {
  return (schema.safeParse(value).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('fuzzing every grader with variations of its passing fixture', () => {
  const fixtures = passFixtures({ firstPerTask: true });
  const tally = new Map<string, Record<Report['checks'][number]['outcome'] | 'threw' | 'pages', number>>();

  afterAll(() => {
    const lines = [...tally].map(([label, t]) => `  ${label}: PASS ${t.PASS}, FAIL ${t.FAIL}, ERROR ${t.ERROR} (check threw: ${t.threw}), SKIPPED ${t.SKIPPED}; most pages read: ${t.pages}`);
    console.log(`fuzzing: ${NUM_RUNS} generated variations per grader, seeds from ${SEED}; check outcomes:\n${lines.join('\n')}`);
  });

  it.each(fixtures.map((fx, i) => [fx.label, fx, SEED + i] as const))('%s: grading never rejects, every outcome is valid and says why, and the evidence replays the same', async (label, fx, seed) => {
    const answered = fx.bundle.transcript.filter((r) => r.output !== undefined && r.check !== undefined);
    const t = { PASS: 0, FAIL: 0, ERROR: 0, SKIPPED: 0, threw: 0, pages: 0 };
    tally.set(label, t);
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(answered.length), { minLength: 1, maxLength: 4 }), async (mutations) => {
        const { report, bundle } = await gradeSimulated(fx.entry, {
          responder: mutatedWorld(fx, answered, mutations, (page) => (t.pages = Math.max(t.pages, page))),
          ...recordedRun(fx),
        });
        for (const c of report.checks) {
          t[c.outcome]++;
          if (c.message.startsWith('grader bug')) t.threw++;
        }
        expect(schemaIssues(reportSchema, report)).toEqual([]);
        expect(report.checks.filter((c) => c.message.trim() === '').map((c) => c.id)).toEqual([]);
        const stored = JSON.parse(serialiseBundle(bundle)) as EvidenceBundle;
        expect(schemaIssues(bundleSchema, stored)).toEqual([]);
        expect(bundleHash(stored)).toBe(bundle.sha256);
        const replayed = (await regrade(fx.entry, stored)).report;
        const outcomes = (r: Report) => ({ status: r.status, checks: r.checks.map((c) => `${c.id}: ${c.outcome}`) });
        expect(outcomes(replayed)).toEqual(outcomes(report));
      }),
      { seed, numRuns: NUM_RUNS, endOnFailure: true },
    );
  });
});

describe('a grader bug in what a verdict names', () => {
  it('still gives a report that fits its schema when a check names a resource that is not a string', async () => {
    const session = simulated(() => ({}));
    try {
      const report = await runChecks({
        task: TASK,
        grader: grader([{ id: 'names-a-list', run: async () => pass('found it', { resource: ['arn:aws:dynamodb:eu-west-1:111122223333:table/orders'] as unknown as string }) }]),
        session,
        accountId: '111122223333',
      });
      expect(schemaIssues(reportSchema, report)).toEqual([]);
    } finally {
      session.destroy();
    }
  });
});
