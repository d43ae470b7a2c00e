/**
 * The hash-chained audit log, as every store keeps it: each entry's hash covers its content and
 * the previous entry's hash, and the store records the head (`<seq>:<hash>`) it last appended.
 * Hashing and checking live here once, so every backend verifies the same chain the same way.
 */
import { canonicalJson, sha256Hex } from './canonical-json';
import type { AuditChainReport, AuditEntry } from './types';

/** `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export function auditHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { seq, at, actor, action, subject, data, prevHash } = entry;
  return sha256Hex(canonicalJson({ seq, at, actor, action, subject, data, prevHash }));
}

/**
 * Walks the entries in `seq` order and reports the first that breaks the chain (a gap, a wrong
 * `prevHash`, altered content); then compares the chain's end with the head the store recorded,
 * read only after the walk, so entries removed from the end are found too.
 */
export async function checkAuditChain(entries: Iterable<AuditEntry>, recordedHead: () => string | undefined | Promise<string | undefined>): Promise<AuditChainReport> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (const entry of entries) {
    count += 1;
    if (entry.seq !== expectedSeq) {
      return { ok: false, entries: count, brokenAt: { seq: entry.seq, problem: `expected entry ${expectedSeq}; entries were removed` } };
    }
    if (entry.prevHash !== prevHash) {
      return { ok: false, entries: count, brokenAt: { seq: entry.seq, problem: 'prev_hash does not match the previous entry' } };
    }
    if (auditHash(entry) !== entry.hash) {
      return { ok: false, entries: count, brokenAt: { seq: entry.seq, problem: 'content does not match its hash; the entry was altered' } };
    }
    prevHash = entry.hash;
    expectedSeq += 1;
  }
  const head = await recordedHead();
  const expectedHead = count === 0 ? undefined : `${expectedSeq - 1}:${prevHash}`;
  if (head !== expectedHead) {
    return {
      ok: false,
      entries: count,
      brokenAt: { seq: expectedSeq, problem: `the log ends at ${expectedHead ?? 'nothing'} but the recorded head is ${head ?? 'absent'}; entries were removed` },
    };
  }
  return { ok: true, entries: count };
}
