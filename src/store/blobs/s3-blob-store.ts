/**
 * Evidence bundles in S3, one object per bundle at `<prefix>evidence/<sha256>.json`. Writes are
 * conditional (`If-None-Match: *`): a bundle, once stored, is never overwritten, and storing it
 * again is a no-op. The upload carries its own SHA-256 checksum, so S3 refuses a body damaged in
 * transit.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { verifyBundleHash } from '../evidence-hash';
import type { EvidenceBundle } from '../types';
import { evidenceKey, type BlobStore } from './blob-store';

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, e.g. `prod/`; default none. */
  prefix?: string;
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}evidence/`;
  }

  key(sha256: string): string {
    return `${this.prefix}${evidenceKey(sha256)}`;
  }

  async put(bundle: EvidenceBundle): Promise<void> {
    verifyBundleHash(bundle);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key(bundle.sha256),
            Body: bundle.json,
            ContentType: 'application/json',
            IfNoneMatch: '*',
            ChecksumSHA256: createHash('sha256').update(bundle.json).digest('base64'),
          }),
        );
        return;
      } catch (e) {
        // 412: the object exists, and content addressing makes it this bundle.
        if (httpStatus(e) === 412) return;
        // 409: another conditional write of the same key is in flight; one of them wins, so try again.
        if (httpStatus(e) === 409 && attempt < 3) continue;
        throw e;
      }
    }
  }

  async get(sha256: string): Promise<EvidenceBundle | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(sha256) }));
      if (!out.Body) throw new Error(`S3 returned no body for s3://${this.bucket}/${this.key(sha256)}`);
      const bundle = { sha256, json: await out.Body.transformToString('utf-8') };
      verifyBundleHash(bundle);
      return bundle;
    } catch (e) {
      if ((e as Error).name === 'NoSuchKey' || httpStatus(e) === 404) return undefined;
      throw e;
    }
  }
}

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}
