import { rebuildError, type CallRecord, type Responder } from '../../../src/aws/session';
import { canonicalJson, decodeValue, encodeValue, type Json } from '../../../src/evidence/canonical';
import { redact } from '../../../src/evidence/redact';
import { awsError } from '../../../src/testing/fake-account';

/**
 * A call's key, on its redacted input: the transcript holds inputs as recorded (a bearer token or a
 * client secret header is `[redacted]`), while the world is sent them as the grader made them.
 */
export function callKey(service: string, operation: string, input: unknown): string {
  return `${service}.${operation} ${canonicalJson(redact(encodeValue(input)))}`;
}

export interface TranscriptWorldOptions {
  /** Rewrites a recorded output before it is served (fuzzing). */
  transform?: (record: CallRecord, output: Json) => Json;
  /** Answers a call the transcript does not have; default: the resource does not exist. */
  unknown?: (service: string, operation: string, input: unknown) => unknown;
}

/**
 * A simulated account that answers from a recorded transcript, like the replayer: identical calls
 * get the recorded answers in order and the last one again after that. Unlike replay it runs in
 * simulate mode, so a layer in front of it can add latency, rate limits or mutations.
 */
export function transcriptWorld(transcript: readonly CallRecord[], options: TranscriptWorldOptions = {}): Responder {
  const queues = new Map<string, CallRecord[]>();
  for (const r of [...transcript].sort((a, b) => a.seq - b.seq)) {
    const key = callKey(r.service, r.operation, r.input);
    queues.set(key, [...(queues.get(key) ?? []), r]);
  }
  return (service, operation, input) => {
    const q = queues.get(callKey(service, operation, input));
    const record = q && q.length > 1 ? q.shift() : q?.[0];
    if (!record) {
      if (options.unknown) return options.unknown(service, operation, input);
      if (service === 'HTTP') throw awsError('ENOTFOUND', 'getaddrinfo ENOTFOUND (no such endpoint in the recorded account)', 0);
      throw awsError('ResourceNotFoundException', `${service}.${operation}: no such resource in the recorded account`, 404);
    }
    if (record.error) throw rebuildError(record.error, record.requestId);
    const output = options.transform ? options.transform(record, record.output ?? {}) : (record.output ?? {});
    return { ...(decodeValue(output) as object), $metadata: { httpStatusCode: 200, requestId: record.requestId ?? `seq-${record.seq}` } };
  };
}
