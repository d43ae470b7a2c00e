import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { CallRecord } from '../aws/session';
import { reportSchema, STATUSES, type Report } from '../model/report';
import { TRACKS } from '../model/task';
import { canonicalJson, sha256Hex, type Json } from './canonical';

export const EVIDENCE_FORMAT = 'skillproof.evidence/v1';

const json: z.ZodType<Json> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(json), z.record(z.string(), json)]));

const callRecordSchema = z.strictObject({
  seq: z.number().int().positive(),
  service: z.string().min(1),
  operation: z.string().min(1),
  input: json,
  output: json.optional(),
  error: z
    .strictObject({
      code: z.string(),
      message: z.string(),
      httpStatus: z.number().int().optional(),
      fault: z.enum(['client', 'server']).optional(),
    })
    .optional(),
  requestId: z.string().optional(),
  check: z.string().optional(),
  try: z.number().int().positive(),
  durationMs: z.number().min(0),
});

export const bundleSchema = z.strictObject({
  format: z.literal(EVIDENCE_FORMAT),
  task: z.strictObject({ id: z.string(), title: z.string(), track: z.enum(TRACKS) }),
  run: z.strictObject({
    attemptId: z.string(),
    nonce: z.string().min(8),
    startedAt: z.iso.datetime(),
    region: z.string(),
    accountId: z.string(),
    mode: z.enum(['live', 'replay', 'simulate']),
    scope: z.enum(['final', 'progress']),
    /** The grader role assumed (live runs with --role-arn); the external id is never stored. */
    roleArn: z.string().optional(),
    expectedAccount: z.string().optional(),
  }),
  transcript: z.array(callRecordSchema),
  report: reportSchema.optional(),
  /** Fixtures only: what grading this evidence must give. */
  expect: z
    .strictObject({
      status: z.enum(STATUSES),
      /** For failing fixtures: the check ids that must FAIL (others may FAIL or be SKIPPED too). */
      failing: z.array(z.string()).default([]),
      description: z.string().min(10),
    })
    .optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** The issuer's detached JWS over `urn:sha256:<sha256>` (src/evidence/signature.ts); added when the bundle is stored. */
  signature: z
    .string()
    .regex(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/, 'must be a detached compact JWS (header..signature)')
    .optional(),
});

export type EvidenceBundle = z.infer<typeof bundleSchema>;
export type BundleRun = EvidenceBundle['run'];
export type FixtureExpectation = NonNullable<EvidenceBundle['expect']>;

/** sha256 over the canonical JSON of the bundle without its own hash and signature fields (the signature is over this hash). */
export function bundleHash(bundle: Omit<EvidenceBundle, 'sha256' | 'signature'> & { sha256?: string; signature?: string }): string {
  const { sha256: _hash, signature: _signature, ...rest } = bundle;
  return sha256Hex(canonicalJson(rest));
}

export function sealBundle(bundle: Omit<EvidenceBundle, 'sha256'>): EvidenceBundle {
  return { ...bundle, sha256: bundleHash(bundle) };
}

export class EvidenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvidenceError';
  }
}

/** Parses and checks an evidence bundle; errors name the file and the field. */
export function parseBundle(text: string, source: string): EvidenceBundle {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new EvidenceError(`${source}: not valid JSON (${(e as Error).message}); an evidence file is what "skillproof grade --evidence-out" writes`);
  }
  const parsed = bundleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new EvidenceError(`${source}: field ${field}: ${issue.message}; evidence files are written by "skillproof grade --evidence-out" (format ${EVIDENCE_FORMAT}) and must not be edited`);
  }
  const bundle = parsed.data;
  if (bundle.sha256 && bundleHash(bundle) !== bundle.sha256) {
    throw new EvidenceError(`${source}: the content does not match its sha256 (${bundle.sha256.slice(0, 12)}…); the file was modified after it was sealed; use the original file, whose hash is what reports and credentials refer to`);
  }
  return bundle;
}

export function readBundle(path: string): EvidenceBundle {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? 'check the path' : code === 'EISDIR' ? 'give the path of one evidence file, not a folder' : 'check the file\'s permissions';
    throw new EvidenceError(`cannot read evidence file ${path}: ${code ?? (e as Error).message}; ${hint}`);
  }
  return parseBundle(text, path);
}

export function serialiseBundle(bundle: EvidenceBundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

export type { CallRecord, Report };
