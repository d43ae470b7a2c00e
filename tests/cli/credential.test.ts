import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { loadCatalog } from '../../src/catalog/load';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { listFixtureFiles, type FixtureKind } from '../../src/testing/scenarios';

const catalog = loadCatalog();
const assessment = catalog.assessment('aws-serverless');

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'skillproof-cli-credential-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), setExitCode: () => undefined };
  const code = await main([...argv, '--data-dir', dataDir], io);
  return { code, out, err };
}

async function json<T = Record<string, unknown>>(...argv: string[]): Promise<T> {
  const r = await cli(...argv, '--json');
  expect(r.err).toBe('');
  return JSON.parse(r.out) as T;
}

/** Takes aws-serverless on replayed fixtures (each task's first `pass` fixture unless `kinds` says otherwise) and submits it. */
async function gradedAttempt(kinds: Record<string, FixtureKind> = {}): Promise<string> {
  const dir = join(dataDir, `replay-${Object.keys(kinds).join('-') || 'pass'}`);
  mkdirSync(dir);
  for (const taskId of assessment.tasks) {
    const fixture = listFixtureFiles(catalog.get(taskId)).find((f) => f.kind === (kinds[taskId] ?? 'pass'));
    copyFileSync(fixture!.file, join(dir, `${taskId}.json`));
  }
  const { id } = await json<{ id: string }>('attempt', 'start', 'aws-serverless', '--candidate', 'cand-42', '--replay', dir);
  await cli('attempt', 'submit', id);
  return id;
}

async function issuedJwt(): Promise<{ attemptId: string; credentialId: string; jwtFile: string }> {
  expect((await cli('issuer', 'init')).code).toBe(0);
  const attemptId = await gradedAttempt();
  const { id: credentialId } = await json<{ id: string }>('credential', 'issue', attemptId);
  const shown = await cli('credential', 'show', credentialId, '--jwt');
  const jwtFile = join(dataDir, 'credential.jwt');
  writeFileSync(jwtFile, shown.out);
  return { attemptId, credentialId, jwtFile };
}

describe('skillproof credential', () => {
  it('with a fresh data directory: start, submit, passed, issue, verify (exit 0), revoke, verify (exit 1, revoked)', async () => {
    expect((await cli('issuer', 'init')).code).toBe(0);
    const attemptId = await gradedAttempt();
    expect(await json('attempt', 'show', attemptId)).toMatchObject({ state: 'graded', result: 'passed' });

    const issued = await cli('credential', 'issue', attemptId);
    expect(issued.code).toBe(0);
    const credentialId = /Issued credential (urn:uuid:[0-9a-f-]+)/.exec(issued.out)?.[1] as string;
    expect(await json('attempt', 'show', attemptId)).toMatchObject({ state: 'credentialed', credentialId });

    const jwtFile = join(dataDir, 'credential.jwt');
    writeFileSync(jwtFile, (await cli('credential', 'show', credentialId, '--jwt')).out);
    const valid = await cli('credential', 'verify', jwtFile);
    expect(valid.code).toBe(0);
    expect(valid.out).toMatch(/^VALID: credential urn:uuid:/);
    expect(valid.out).toContain('not revoked');

    const revoked = await cli('credential', 'revoke', credentialId, '--reason', 'issued in error');
    expect(revoked.code).toBe(0);
    const after = await cli('credential', 'verify', jwtFile);
    expect(after.code).toBe(1);
    expect(after.out).toMatch(/^REVOKED: .*revocation bit \d+ is set/);
    expect(after.out).toContain('issued in error');
    expect(await json('credential', 'verify', jwtFile)).toMatchObject({ id: credentialId, valid: false, reason: 'revoked', revocationReason: 'issued in error' });
    expect(await json('credential', 'list')).toEqual({ credentials: [expect.objectContaining({ id: credentialId, attemptId, state: 'revoked' })] });
  });

  it('returns the same credential when issued a second time', async () => {
    const { attemptId, credentialId } = await issuedJwt();
    const again = await json<{ id: string; created: boolean }>('credential', 'issue', attemptId);
    expect(again).toMatchObject({ id: credentialId, created: false });
    expect((await json<{ credentials: unknown[] }>('credential', 'list')).credentials).toHaveLength(1);
    expect((await cli('credential', 'list')).out).toMatch(/^CREDENTIAL +STATE +ACHIEVEMENT +ATTEMPT +CANDIDATE +VALID FROM\n-+( {2}-+){5}\nurn:uuid:\S+ {2}active {2}/);
  });

  it('refuses to issue for a failed attempt, and for a practice attempt', async () => {
    await cli('issuer', 'init');
    const failed = await gradedAttempt({ 'serverless-orders-api': 'fail' });
    const refused = await cli('credential', 'issue', failed);
    expect(refused).toMatchObject({ code: 2, err: expect.stringContaining('graded (failed); cannot credential: only a passed attempt earns a credential') });

    const pass = listFixtureFiles(catalog.get('serverless-orders-api')).find((f) => f.kind === 'pass')!.file;
    const { id: practice } = await json<{ id: string }>('attempt', 'start', 'serverless-orders-api', '--candidate', 'cand-42', '--replay', pass);
    expect((await cli('attempt', 'submit', practice)).code).toBe(0);
    expect(await cli('credential', 'issue', practice)).toMatchObject({ code: 2, err: expect.stringContaining('a practice attempt never earns a credential') });
    expect(await json('credential', 'list')).toEqual({ credentials: [] });
  });

  it('prints with `show --jwt` a JWT that jose verifies with the JWKS of `issuer show --json`, describing the assessment and its evidence', async () => {
    const { attemptId, credentialId } = await issuedJwt();
    const jwt = (await cli('credential', 'show', credentialId, '--jwt')).out.trim();
    expect(jwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const issuer = await json<{ id: string; kid: string; jwks: JSONWebKeySet; didDocument: { id: string } }>('issuer', 'show');
    expect(issuer.didDocument.id).toBe(issuer.id);

    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(issuer.jwks));
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: issuer.kid, typ: 'JWT' });
    expect(payload).toMatchObject({ iss: issuer.id, jti: credentialId, type: ['VerifiableCredential', 'OpenBadgeCredential'] });
    const subject = payload.credentialSubject as { achievement: Record<string, unknown> };
    expect(subject.achievement).toMatchObject({
      id: expect.stringMatching(/\/achievements\/aws-serverless$/),
      name: assessment.title,
      description: assessment.description,
      criteria: { narrative: assessment.criteria },
      achievementType: assessment.achievementType,
    });
    const view = await json<{ tasks: Array<{ final: { bundleSha256: string } }> }>('attempt', 'show', attemptId);
    expect((payload.evidence as Array<{ id: string }>).map((e) => e.id)).toEqual(view.tasks.map((t) => `urn:sha256:${t.final.bundleSha256}`));
    const days = (Date.parse(payload.validUntil as string) - Date.parse(payload.validFrom as string)) / 86_400_000;
    expect(days).toBe(assessment.validForDays);
  });

  it('rejects a tampered JWT file (exit 1), naming the signature', async () => {
    const { jwtFile } = await issuedJwt();
    const [header, payload, signature] = readFileSync(jwtFile, 'utf8').trim().split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    claims.credentialSubject.achievement.name = 'AWS Grand Master';
    writeFileSync(jwtFile, `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}\n`);
    const r = await cli('credential', 'verify', jwtFile);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^INVALID SIGNATURE: .*signature does not match/);
    expect(await json('credential', 'verify', jwtFile)).toMatchObject({ valid: false, reason: 'signature' });
  });

  describe('exits 2 with a clear message, never a stack trace', () => {
    it.each([
      ['issuing without an issuer', ['credential', 'issue', 'att-000000000000'], /No issuer in .*; run `skillproof issuer init` first/],
      ['verifying without an issuer', ['credential', 'verify', 'a.b.c'], /No issuer in .*; run `skillproof issuer init` first/],
      ['an unknown credential', ['credential', 'show', 'urn:uuid:00000000-0000-4000-8000-000000000000'], /No credential "urn:uuid:00000000-0000-4000-8000-000000000000"/],
      ['revoking an unknown credential', ['credential', 'revoke', 'nope', '--reason', 'x'], /No credential "nope"/],
      ['revoking without a reason', ['credential', 'revoke', 'nope'], /required option '--reason <text>' not specified/],
      ['something that is neither a JWT nor a file', ['credential', 'verify', 'not-a-jwt'], /"not-a-jwt" is neither a compact JWT nor a file/],
      ['an issuer id over plain http', ['issuer', 'init', '--id', 'http://badges.example.org'], /must use https/],
      ['an unknown signing algorithm', ['issuer', 'init', '--alg', 'RS256'], /argument 'RS256' is invalid/],
      ['showing an issuer that does not exist', ['issuer', 'show'], /No issuer in .*; run `skillproof issuer init` first/],
    ])('for %s', async (_what, argv, message) => {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    });

    it('for a file that holds no JWT', async () => {
      await cli('issuer', 'init');
      const file = join(dataDir, 'not-a.jwt');
      writeFileSync(file, '{"credential": "no"}\n');
      const r = await cli('credential', 'verify', file);
      expect(r).toMatchObject({ code: 2, err: expect.stringContaining('does not hold a compact JWT') });
    });
  });
});

describe('skillproof issuer', () => {
  it('init is idempotent: a second init keeps the key, and the private key is owner-only', async () => {
    const first = await json<{ id: string; kid: string; created: boolean; files: { privateKey: string } }>('issuer', 'init', '--id', 'did:web:badges.example.org', '--name', 'Example Badges');
    expect(first).toMatchObject({ id: 'did:web:badges.example.org', name: 'Example Badges', created: true, didDocumentUrl: 'https://badges.example.org/.well-known/did.json' });
    if (process.platform !== 'win32') expect(statSync(first.files.privateKey).mode & 0o777).toBe(0o600);
    const second = await cli('issuer', 'init');
    expect(second.out).toContain('already exists');
    expect(await json('issuer', 'show')).toMatchObject({ id: first.id, kid: first.kid });
  });

  it('creates an EdDSA issuer identified by an https URL, and shows its public JWKS', async () => {
    expect(await json('issuer', 'init', '--id', 'https://badges.example.org/issuer', '--alg', 'EdDSA')).toMatchObject({
      id: 'https://badges.example.org/issuer',
      alg: 'EdDSA',
      jwks: { keys: [expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' })] },
    });
    const shown = await cli('issuer', 'show');
    expect(shown.out).toContain('Public JWKS');
    expect(shown.out).not.toContain('"d":');
  });
});

describe('skillproof credential verify by anyone (no data directory)', () => {
  /** `issuer jwks` as a file: what an issuer publishes at /.well-known/jwks.json. */
  async function publishedJwks(): Promise<string> {
    const file = join(dataDir, 'jwks.json');
    const r = await cli('issuer', 'jwks');
    expect(r).toMatchObject({ code: 0, err: '' });
    writeFileSync(file, r.out);
    return file;
  }
  async function publishStatusList(): Promise<string> {
    const file = join(dataDir, 'status-list.jwt');
    writeFileSync(file, (await cli('issuer', 'status-list')).out);
    return file;
  }
  /** The credential's statusListCredential URL, answered with the list this data directory signs now (the issuer's web server). */
  function serveStatusList(): { requested: string[]; restore: () => void } {
    const requested: string[] = [];
    const spy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      requested.push(String(input));
      return new Response(readFileSync(join(dataDir, 'served-status-list.jwt'), 'utf8'), { status: 200, headers: { 'content-type': 'application/vc+jwt' } });
    });
    return { requested, restore: () => spy.mockRestore() };
  }

  it('`issuer jwks` prints a plain JWKS that verify --jwks takes; `issuer show --json` is refused with a pointer to it', async () => {
    const { jwtFile } = await issuedJwt();
    const jwks = JSON.parse(readFileSync(await publishedJwks(), 'utf8')) as JSONWebKeySet;
    expect(Object.keys(jwks)).toEqual(['keys']);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
    const ok = await cli('credential', 'verify', jwtFile, '--jwks', join(dataDir, 'jwks.json'), '--status-list', await publishStatusList());
    expect(ok.code).toBe(0);

    const showFile = join(dataDir, 'issuer.json');
    writeFileSync(showFile, (await cli('issuer', 'show', '--json')).out);
    const refused = await cli('credential', 'verify', jwtFile, '--jwks', showFile);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('skillproof issuer jwks > jwks.json');
  });

  it('verifies with the published JWKS and a downloaded status list, says how old the list is, and sees a revocation once it is republished', async () => {
    const { credentialId, jwtFile } = await issuedJwt();
    const jwksFile = await publishedJwks();
    const before = await publishStatusList();
    const valid = await cli('credential', 'verify', jwtFile, '--jwks', jwksFile, '--status-list', before);
    expect(valid.code).toBe(0);
    expect(valid.out).toMatch(/^VALID: credential urn:uuid:/);
    expect(valid.out).toContain(`(from ${before})`);
    expect(valid.out).toMatch(/the list was signed \d+ s ago \(\d{4}-\d\d-\d\dT[\d:.]+Z\) and is valid until \d{4}-/);
    const asJson = await json<{ statusList: { ageSeconds: number; validUntil: string; source: string } }>('credential', 'verify', jwtFile, '--jwks', jwksFile, '--status-list', before);
    expect(asJson.statusList).toMatchObject({ ageSeconds: expect.any(Number), validUntil: expect.any(String), source: before });

    await cli('credential', 'revoke', credentialId, '--reason', 'issued in error');
    const after = await cli('credential', 'verify', jwtFile, '--jwks', jwksFile, '--status-list', await publishStatusList());
    expect(after.code).toBe(1);
    expect(after.out).toMatch(/^REVOKED:/);
  });

  it('never calls a revoked credential valid when no status list is given: offline it exits 3 and says the status could not be checked', async () => {
    const { credentialId, jwtFile } = await issuedJwt();
    const jwksFile = await publishedJwks();
    await cli('credential', 'revoke', credentialId, '--reason', 'issued in error');
    const spy = jest.spyOn(globalThis, 'fetch').mockRejectedValue(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }));
    try {
      const r = await cli('credential', 'verify', jwtFile, '--jwks', jwksFile);
      expect(r.code).toBe(3);
      expect(r.out).not.toMatch(/^VALID/m);
      expect(r.out).toMatch(/^STATUS UNAVAILABLE: the revocation status of credential .*could not be fetched: GET https:\/\/\S+: ENOTFOUND/);
      expect(r.out).toContain('--no-status-check');
      expect(await json('credential', 'verify', jwtFile, '--jwks', jwksFile)).toMatchObject({ valid: false, reason: 'status-unavailable', statusChecked: true });
    } finally {
      spy.mockRestore();
    }
  });

  it("online, fetches the status list from the credential's credentialStatus URL and finds the revocation", async () => {
    const { credentialId, jwtFile } = await issuedJwt();
    const jwksFile = await publishedJwks();
    const statusUrl = (await json<{ statusList: { url: string } }>('credential', 'show', credentialId)).statusList.url;
    const server = serveStatusList();
    try {
      writeFileSync(join(dataDir, 'served-status-list.jwt'), (await cli('issuer', 'status-list')).out);
      const valid = await cli('credential', 'verify', jwtFile, '--jwks', jwksFile);
      expect(valid.code).toBe(0);
      expect(valid.out).toContain(`not revoked, per status list ${statusUrl} (fetched now)`);
      expect(valid.out).toMatch(/signed \d+ s ago/);

      await cli('credential', 'revoke', credentialId, '--reason', 'issued in error');
      writeFileSync(join(dataDir, 'served-status-list.jwt'), (await cli('issuer', 'status-list')).out);
      const revoked = await cli('credential', 'verify', jwtFile, '--jwks', jwksFile);
      expect(revoked.code).toBe(1);
      expect(revoked.out).toMatch(/^REVOKED:/);
      expect(server.requested).toEqual([statusUrl, statusUrl]);
    } finally {
      server.restore();
    }
  });

  it('with --no-status-check says VALID SIGNATURE, REVOCATION NOT CHECKED and exits 0 without fetching anything', async () => {
    const { credentialId, jwtFile } = await issuedJwt();
    const jwksFile = await publishedJwks();
    await cli('credential', 'revoke', credentialId, '--reason', 'issued in error');
    const spy = jest.spyOn(globalThis, 'fetch');
    try {
      const r = await cli('credential', 'verify', jwtFile, '--jwks', jwksFile, '--no-status-check');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^VALID SIGNATURE, REVOCATION NOT CHECKED: credential urn:uuid:/);
      expect(r.out).toContain('NOT CHECKED (--no-status-check)');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses a status list past its validUntil (exit 3): an old list may predate a revocation', async () => {
    const { jwtFile } = await issuedJwt();
    const jwksFile = await publishedJwks();
    const { SqliteStore } = await import('../../src/store/sqlite-store');
    const { loadIssuer } = await import('../../src/credentials/issuer-keys');
    const { statusListCredentialJwt } = await import('../../src/credentials/issue');
    const store = SqliteStore.open(dataDir);
    let old: string;
    try {
      // Signed 25 hours ago with the default one-day life: the issuer has published newer lists since.
      old = await statusListCredentialJwt({ store, issuer: await loadIssuer(dataDir, store), now: () => new Date(Date.now() - 25 * 3600_000) }, 1);
    } finally {
      store.close();
    }
    const file = join(dataDir, 'old-status-list.jwt');
    writeFileSync(file, old);
    const r = await cli('credential', 'verify', jwtFile, '--jwks', jwksFile, '--status-list', file);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^STATUS UNAVAILABLE: .*status list \S+ expired at \d{4}-.*may not show a later revocation/);
  });

  it.each([
    ['--status-list with --no-status-check', ['--jwks', 'x.json', '--status-list', 'a.b.c', '--no-status-check'], /contradict/],
    ['--no-status-check without --jwks', ['--no-status-check'], /go with --jwks/],
  ])('exits 2 for %s', async (_what, extra, message) => {
    const { jwtFile } = await issuedJwt();
    if (extra.includes('x.json')) writeFileSync(join(dataDir, 'x.json'), '{"keys": []}');
    const r = await cli('credential', 'verify', jwtFile, ...extra.map((a) => (a === 'x.json' ? join(dataDir, 'x.json') : a)));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('rejects a credential signed by another issuer', async () => {
    const { jwtFile } = await issuedJwt();
    const otherJwks = join(dataDir, 'other.json');
    writeFileSync(otherJwks, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'other' }] }));
    const r = await cli('credential', 'verify', jwtFile, '--jwks', otherJwks);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^(UNKNOWN KEY|INVALID SIGNATURE):/);
  });
});
