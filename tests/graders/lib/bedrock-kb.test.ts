import type { DataSource, IngestionJobSummary } from '@aws-sdk/client-bedrock-agent';
import { bucketNameOfArn, documentsIndexed, includesKey, judgeIngestion, knowledgeBaseLookups, retrievedUris } from '../../../graders/lib/bedrock-kb';

const job = (id: string, status: IngestionJobSummary['status'], stats: NonNullable<IngestionJobSummary['statistics']>, minute = 0): IngestionJobSummary => ({
  knowledgeBaseId: 'KB1',
  dataSourceId: 'DS1',
  ingestionJobId: id,
  status,
  startedAt: new Date(Date.UTC(2026, 0, 15, 9, minute)),
  updatedAt: new Date(Date.UTC(2026, 0, 15, 9, minute + 1)),
  statistics: stats,
});

const source = (prefixes?: string[]): DataSource => ({
  knowledgeBaseId: 'KB1',
  dataSourceId: 'DS1',
  name: 'docs',
  status: 'AVAILABLE',
  dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: 'arn:aws:s3:::seed-bucket', ...(prefixes ? { inclusionPrefixes: prefixes } : {}) } },
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

describe('bedrock-kb', () => {
  it('names the bucket of an S3 ARN', () => {
    expect(bucketNameOfArn('arn:aws:s3:::seed-bucket')).toBe('seed-bucket');
    expect(bucketNameOfArn('seed-bucket')).toBe('seed-bucket');
  });

  it('treats a data source without inclusion prefixes as reading the whole bucket', () => {
    expect(includesKey(source(), 'policies/a.md')).toBe(true);
    expect(includesKey(source(['policies/']), 'policies/a.md')).toBe(true);
    expect(includesKey(source(['/policies']), 'policies/a.md')).toBe(true);
    expect(includesKey(source(['archive/']), 'policies/a.md')).toBe(false);
  });

  it('counts new and modified documents as indexed, not unchanged ones', () => {
    expect(documentsIndexed(job('J', 'COMPLETE', { numberOfDocumentsScanned: 5, numberOfNewDocumentsIndexed: 1, numberOfModifiedDocumentsIndexed: 2 }))).toBe(3);
    expect(documentsIndexed(job('J', 'COMPLETE', { numberOfDocumentsScanned: 5 }))).toBe(0);
  });

  describe('judgeIngestion', () => {
    const good = job('J1', 'COMPLETE', { numberOfDocumentsScanned: 2, numberOfNewDocumentsIndexed: 2, numberOfDocumentsFailed: 0 }, 1);

    it('passes a completed job that indexed documents and failed none', () => {
      expect(judgeIngestion([good])).toMatchObject({ ok: true, job: good, indexedBy: good });
    });

    it('passes a re-sync that found nothing changed when an earlier job indexed the documents', () => {
      const resync = job('J2', 'COMPLETE', { numberOfDocumentsScanned: 2, numberOfNewDocumentsIndexed: 0, numberOfDocumentsFailed: 0 }, 9);
      expect(judgeIngestion([resync, good])).toMatchObject({ ok: true, job: resync, indexedBy: good });
    });

    it('judges the last finished job when a newer one is still running', () => {
      const running = job('J3', 'IN_PROGRESS', { numberOfDocumentsScanned: 1 }, 20);
      expect(judgeIngestion([running, good])).toMatchObject({ ok: true, job: good, running: 1 });
    });

    it('fails a FAILED job, a job with failed documents, an empty scan and no job at all', () => {
      expect(judgeIngestion([job('J4', 'FAILED', { numberOfDocumentsFailed: 2 }), good])).toMatchObject({ ok: false, reason: expect.stringContaining('FAILED') });
      expect(judgeIngestion([job('J5', 'COMPLETE', { numberOfDocumentsScanned: 2, numberOfNewDocumentsIndexed: 1, numberOfDocumentsFailed: 1 })])).toMatchObject({ ok: false, reason: expect.stringContaining('failed on 1') });
      expect(judgeIngestion([job('J6', 'COMPLETE', { numberOfDocumentsScanned: 0 })])).toMatchObject({ ok: false, reason: expect.stringContaining('no documents') });
      expect(judgeIngestion([])).toMatchObject({ ok: false, reason: expect.stringContaining('never been synced') });
      expect(judgeIngestion([job('J7', 'STARTING', {})])).toMatchObject({ ok: false, reason: expect.stringContaining('not finished') });
    });

    it('fails when no completed job ever indexed a document', () => {
      expect(judgeIngestion([job('J8', 'COMPLETE', { numberOfDocumentsScanned: 2, numberOfDocumentsFailed: 0 })])).toMatchObject({ ok: false, reason: expect.stringContaining('no completed ingestion job indexed') });
    });
  });

  it('lists the S3 URIs of retrieval results', () => {
    expect(retrievedUris([{ location: { type: 'S3', s3Location: { uri: 's3://b/k' } } }, { location: { type: 'WEB', webLocation: { url: 'https://x' } } }])).toEqual(['s3://b/k']);
    expect(retrievedUris(undefined)).toEqual([]);
  });

  it('pairs each knowledge-base lookup in a trace with the query that preceded it', () => {
    const lookups = knowledgeBaseLookups({
      text: '',
      returnedControl: false,
      traces: [
        { trace: { orchestrationTrace: { invocationInput: { invocationType: 'KNOWLEDGE_BASE', knowledgeBaseLookupInput: { text: 'lisbon allowance', knowledgeBaseId: 'KB1' } } } } },
        { trace: { orchestrationTrace: { observation: { type: 'KNOWLEDGE_BASE', knowledgeBaseLookupOutput: { retrievedReferences: [{ location: { type: 'S3', s3Location: { uri: 's3://b/travel.md' } } }] } } } } },
        { trace: { orchestrationTrace: { observation: { type: 'FINISH', finalResponse: { text: 'done' } } } } },
      ],
    });
    expect(lookups).toEqual([{ knowledgeBaseId: 'KB1', query: 'lisbon allowance', uris: ['s3://b/travel.md'] }]);
  });
});
