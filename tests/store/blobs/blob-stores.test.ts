import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException, type GetObjectCommandOutput, type PutObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DirectoryBlobStore, MemoryBlobStore } from '../../../src/store/blobs/blob-store';
import { S3BlobStore } from '../../../src/store/blobs/s3-blob-store';
import { EvidenceHashMismatchError } from '../../../src/store/errors';
import { bundleOf } from '../../attempts/support/fixtures';

const bundle = bundleOf({ format: 'test', calls: [1, 2, 3] });
const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 });
/** A response body as the SDK gives it: a Node stream with the SDK's transform helpers. */
const body = (text: string): GetObjectCommandOutput['Body'] =>
  Object.assign(Readable.from([Buffer.from(text)]), {
    transformToString: async () => text,
    transformToByteArray: async () => new Uint8Array(Buffer.from(text)),
    transformToWebStream: () => {
      throw new Error('not used');
    },
  });

describe('S3BlobStore', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  const store = () => new S3BlobStore({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'skillproof-evidence', prefix: 'prod/' });

  it('puts a bundle at evidence/<sha256>.json, only if absent, with its SHA-256 checksum', async () => {
    const out: PutObjectCommandOutput = { $metadata: meta(200), ETag: '"e"' };
    s3.on(PutObjectCommand).resolves(out);
    await store().put(bundle);
    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'skillproof-evidence',
      Key: `prod/evidence/${bundle.sha256}.json`,
      Body: bundle.json,
      IfNoneMatch: '*',
      ContentType: 'application/json',
      ChecksumSHA256: createHash('sha256').update(bundle.json).digest('base64'),
    });
  });

  it('treats 412 Precondition Failed as already stored (content addressing makes it the same bundle)', async () => {
    s3.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: meta(412), message: 'At least one of the pre-conditions you specified did not hold' }));
    await expect(store().put(bundle)).resolves.toBeUndefined();
  });

  it('retries a 409 conditional-write conflict, and passes on other failures', async () => {
    const conflict = new S3ServiceException({ name: 'ConditionalRequestConflict', $fault: 'client', $metadata: meta(409), message: 'conflict' });
    s3.on(PutObjectCommand).rejectsOnce(conflict).resolves({ $metadata: meta(200) });
    await store().put(bundle);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
    s3.reset();
    s3.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: meta(403), message: 'Access Denied' }));
    await expect(store().put(bundle)).rejects.toThrow(/Access Denied/);
  });

  it('refuses to upload a bundle whose content does not match its hash', async () => {
    await expect(store().put({ sha256: bundle.sha256, json: '{"forged":true}' })).rejects.toBeInstanceOf(EvidenceHashMismatchError);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('gets a bundle and checks it against its hash; a missing object is undefined', async () => {
    const found: GetObjectCommandOutput = { $metadata: meta(200), Body: body(bundle.json), ContentType: 'application/json' };
    s3.on(GetObjectCommand, { Key: `prod/evidence/${bundle.sha256}.json` }).resolves(found);
    expect(await store().get(bundle.sha256)).toEqual(bundle);
    s3.on(GetObjectCommand, { Key: `prod/evidence/${'1'.repeat(64)}.json` }).rejects(new NoSuchKey({ $metadata: meta(404), message: 'The specified key does not exist.' }));
    expect(await store().get('1'.repeat(64))).toBeUndefined();
  });

  it('reports an object changed at rest instead of returning it', async () => {
    s3.on(GetObjectCommand).resolves({ $metadata: meta(200), Body: body('{"changed":true}') });
    await expect(store().get(bundle.sha256)).rejects.toBeInstanceOf(EvidenceHashMismatchError);
  });
});

describe('DirectoryBlobStore and MemoryBlobStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-blobs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('store, return and re-check bundles', async () => {
    for (const store of [new DirectoryBlobStore(dir), new MemoryBlobStore()]) {
      await store.put(bundle);
      await store.put(bundle);
      expect(await store.get(bundle.sha256)).toEqual(bundle);
      expect(await store.get('2'.repeat(64))).toBeUndefined();
      await expect(store.put({ sha256: bundle.sha256, json: '{}' })).rejects.toBeInstanceOf(EvidenceHashMismatchError);
    }
  });

  it('DirectoryBlobStore reports a file changed on disk', async () => {
    const store = new DirectoryBlobStore(dir);
    await store.put(bundle);
    writeFileSync(join(dir, 'evidence', `${bundle.sha256}.json`), '{"changed":true}');
    await expect(store.get(bundle.sha256)).rejects.toBeInstanceOf(EvidenceHashMismatchError);
  });
});
