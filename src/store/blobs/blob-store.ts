/**
 * Where evidence bundles live when the records are in DynamoDB (an item holds at most 400 KB; a
 * bundle can be larger). Content-addressed by sha256: `put` is idempotent and refuses content that
 * does not match its hash; `get` checks the hash again, so a bundle changed at rest is reported
 * (EvidenceHashMismatchError), never returned as genuine.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyBundleHash } from '../evidence-hash';
import type { EvidenceBundle } from '../types';

export interface BlobStore {
  /** Stores the bundle under its sha256 after checking the hash; storing the same bundle again changes nothing. */
  put(bundle: EvidenceBundle): Promise<void>;
  /** The bundle, checked against its hash; undefined when there is none. */
  get(sha256: string): Promise<EvidenceBundle | undefined>;
  /** Where the bundles are, for messages. */
  readonly location: string;
}

/** The object key (or file name under the directory) of a bundle. */
export const evidenceKey = (sha256: string): string => `evidence/${sha256}.json`;

/** Bundles kept in memory: tests, and short-lived local runs. */
export class MemoryBlobStore implements BlobStore {
  readonly location = 'memory';
  private readonly blobs = new Map<string, string>();

  async put(bundle: EvidenceBundle): Promise<void> {
    verifyBundleHash(bundle);
    if (!this.blobs.has(bundle.sha256)) this.blobs.set(bundle.sha256, bundle.json);
  }

  async get(sha256: string): Promise<EvidenceBundle | undefined> {
    const json = this.blobs.get(sha256);
    if (json === undefined) return undefined;
    const bundle = { sha256, json };
    verifyBundleHash(bundle);
    return bundle;
  }
}

/** Bundles as files `<dir>/evidence/<sha256>.json`, written atomically (temporary file, then rename). */
export class DirectoryBlobStore implements BlobStore {
  constructor(readonly dir: string) {}

  get location(): string {
    return join(this.dir, 'evidence');
  }

  async put(bundle: EvidenceBundle): Promise<void> {
    verifyBundleHash(bundle);
    const file = join(this.dir, evidenceKey(bundle.sha256));
    mkdirSync(this.location, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(temp, bundle.json, { mode: 0o600 });
    renameSync(temp, file);
  }

  async get(sha256: string): Promise<EvidenceBundle | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    let json: string;
    try {
      json = readFileSync(join(this.dir, evidenceKey(sha256)), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const bundle = { sha256, json };
    verifyBundleHash(bundle);
    return bundle;
  }
}
