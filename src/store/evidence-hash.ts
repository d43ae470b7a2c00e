/**
 * Whether an evidence bundle's content matches the sha256 it claims: the hash is of the exact text,
 * or the evidence format's own seal (canonical JSON without its sha256 and signature fields), as
 * SqliteStore accepts. Shared by the DynamoDB store and the blob stores.
 */
import { bundleHash } from '../evidence/bundle';
import { sha256Hex } from './canonical-json';
import { EvidenceHashMismatchError, StoreError } from './errors';
import type { EvidenceBundle } from './types';

export function bundleHashMatches(bundle: EvidenceBundle): boolean {
  if (sha256Hex(bundle.json) === bundle.sha256) return true;
  try {
    return bundleHash(JSON.parse(bundle.json) as Parameters<typeof bundleHash>[0]) === bundle.sha256;
  } catch {
    return false;
  }
}

export function verifyBundleHash(bundle: EvidenceBundle): void {
  if (!/^[0-9a-f]{64}$/.test(bundle.sha256)) {
    throw new StoreError(`Evidence bundle hash "${bundle.sha256}" is not a lower-case hex sha256 (64 characters).`);
  }
  if (!bundleHashMatches(bundle)) throw new EvidenceHashMismatchError(bundle.sha256, sha256Hex(bundle.json));
}
