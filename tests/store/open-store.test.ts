import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { DynamoDbStore } from '../../src/store/dynamodb/dynamodb-store';
import { ensureTable } from '../../src/store/dynamodb/table';
import { openStore, resolveStoreSpec, StoreSpecError } from '../../src/store/open-store';
import { SqliteStore } from '../../src/store/sqlite-store';
import { startDynalite, type Dynalite } from '../support/dynalite';

describe('resolveStoreSpec', () => {
  const env = { SKILLPROOF_HOME: '/data/home', SKILLPROOF_EVIDENCE_BUCKET: 'evidence-bucket' };

  it.each([
    ['no --store and no SKILLPROOF_STORE: SQLite in the data directory', {}, { kind: 'sqlite', dir: '/data/home' }],
    ['--data-dir moves the default', { dataDir: '/elsewhere' }, { kind: 'sqlite', dir: '/elsewhere' }],
    ['sqlite:<dir>', { store: 'sqlite:/srv/sp' }, { kind: 'sqlite', dir: '/srv/sp' }],
    ['sqlite: alone is the data directory', { store: 'sqlite:' }, { kind: 'sqlite', dir: '/data/home' }],
    ['dynamodb:<table> with the evidence bucket', { store: 'dynamodb:skillproof-prod' }, { kind: 'dynamodb', table: 'skillproof-prod', bucket: 'evidence-bucket' }],
    ['SKILLPROOF_STORE when there is no --store', { env: { ...env, SKILLPROOF_STORE: 'dynamodb:from-env' } }, { kind: 'dynamodb', table: 'from-env', bucket: 'evidence-bucket' }],
    ['--store wins over SKILLPROOF_STORE', { store: 'sqlite:/x', env: { ...env, SKILLPROOF_STORE: 'dynamodb:from-env' } }, { kind: 'sqlite', dir: '/x' }],
  ])('%s', (_title, selection, expected) => {
    expect(resolveStoreSpec({ env, ...selection })).toEqual(expected);
  });

  it.each([
    ['/var/lib/skillproof', /not a store spec; use sqlite:<dir> or dynamodb:<table>/],
    ['redis:cache', /unknown store kind "redis"/],
    ['dynamodb:', /"" is not a DynamoDB table name/],
    ['dynamodb:has space', /not a DynamoDB table name/],
  ])('refuses --store %s, saying what to write', (store, message) => {
    expect(() => resolveStoreSpec({ store, env })).toThrow(StoreSpecError);
    expect(() => resolveStoreSpec({ store, env })).toThrow(message);
  });

  it('names the missing evidence bucket for a DynamoDB store', () => {
    expect(() => resolveStoreSpec({ env: { SKILLPROOF_STORE: 'dynamodb:t1x' } })).toThrow(/SKILLPROOF_STORE "dynamodb:t1x" keeps evidence bundles in S3, and SKILLPROOF_EVIDENCE_BUCKET is not set/);
  });
});

describe('openStore and the CLI’s --store', () => {
  let server: Dynalite;
  let dir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    server = await startDynalite();
    await ensureTable(server.client(), 'cli-store', { pollMs: 5 });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-open-store-'));
    // The SDK's standard configuration: endpoint, region and credentials from the environment.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_MAX_ATTEMPTS: '1',
      SKILLPROOF_EVIDENCE_BUCKET: 'evidence-bucket',
    });
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  async function cli(...argv: string[]) {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), setExitCode: () => undefined };
    const code = await main([...argv, '--data-dir', dir], io);
    return { code, out, err };
  }

  it('opens the backend a spec names', () => {
    const sqlite = openStore(`sqlite:${dir}`);
    expect(sqlite).toBeInstanceOf(SqliteStore);
    expect((sqlite as SqliteStore).path).toBe(resolve(dir, 'skillproof.db'));
    sqlite.close();
    const dynamo = openStore('dynamodb:cli-store');
    expect(dynamo).toBeInstanceOf(DynamoDbStore);
    dynamo.close();
  });

  it('keeps admin tokens in DynamoDB with --store dynamodb:<table>, and in SQLite without it', async () => {
    const created = await cli('admin', 'token', 'create', '--name', 'ops', '--store', 'dynamodb:cli-store', '--json');
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.out) as { id: string };
    const listed = await cli('admin', 'token', 'list', '--store', 'dynamodb:cli-store', '--json');
    expect((JSON.parse(listed.out) as { tokens: Array<{ id: string }> }).tokens.map((t) => t.id)).toContain(id);
    const local = await cli('admin', 'token', 'list', '--json');
    expect(JSON.parse(local.out)).toEqual({ tokens: [] });
    process.env.SKILLPROOF_STORE = 'dynamodb:cli-store';
    const fromEnv = await cli('attempt', 'list', '--json');
    expect(fromEnv.code).toBe(0);
  });

  it('refuses a bad spec with a usage error naming it', async () => {
    const bad = await cli('attempt', 'list', '--store', 'mysql:x');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--store "mysql:x": unknown store kind "mysql"/);
    delete process.env.SKILLPROOF_EVIDENCE_BUCKET;
    const noBucket = await cli('admin', 'token', 'list', '--store', 'dynamodb:cli-store');
    expect(noBucket.code).toBe(2);
    expect(noBucket.err).toMatch(/SKILLPROOF_EVIDENCE_BUCKET is not set/);
  });
});
