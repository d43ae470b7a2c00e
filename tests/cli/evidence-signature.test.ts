import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { bundleHash, serialiseBundle, type EvidenceBundle } from '../../src/evidence/bundle';

const TRACING_OFF = join(REPO_ROOT, 'tasks/serverless-orders-api/fixtures/fail/tracing-off.json');

let dataDir: string;
let elsewhere: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'skillproof-evidence-sig-'));
  elsewhere = mkdtempSync(join(tmpdir(), 'skillproof-evidence-verifier-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), setExitCode: () => undefined };
  const code = await main(argv, io);
  return { code, out, err };
}

/** A practice attempt graded on the tracing-off mutant, and its stored (signed) final evidence written to a file. */
async function storedFailingEvidence(): Promise<{ file: string; bundle: EvidenceBundle }> {
  const r = await cli('attempt', 'start', 'serverless-orders-api', '--candidate', 'cand-1', '--replay', TRACING_OFF, '--data-dir', dataDir, '--json');
  const id = (JSON.parse(r.out) as { id: string }).id;
  expect((await cli('attempt', 'submit', id, '--data-dir', dataDir)).code).toBe(1);
  const shown = JSON.parse((await cli('attempt', 'show', id, '--data-dir', dataDir, '--json')).out) as { tasks: Array<{ final: { bundleSha256: string } }> };
  const exported = await cli('attempt', 'evidence', shown.tasks[0]!.final.bundleSha256, '--data-dir', dataDir);
  expect(exported.code).toBe(0);
  const file = join(elsewhere, 'run.json');
  writeFileSync(file, exported.out);
  return { file, bundle: JSON.parse(exported.out) as EvidenceBundle };
}

/** The attack: edit the failing answer into a passing one and recompute the sha256 seal, as anyone can. */
function resealedAsPassing(bundle: EvidenceBundle, keepSignature: boolean): string {
  const edited = JSON.parse(JSON.stringify(bundle).replace('"Mode":"PassThrough"', '"Mode":"Active"')) as EvidenceBundle;
  expect(JSON.stringify(edited)).not.toBe(JSON.stringify(bundle));
  if (!keepSignature) delete edited.signature;
  const file = join(elsewhere, keepSignature ? 'forged-signed.json' : 'forged-unsigned.json');
  writeFileSync(file, serialiseBundle({ ...edited, sha256: bundleHash(edited) }));
  return file;
}

describe('evidence signatures', () => {
  beforeEach(async () => {
    expect((await cli('issuer', 'init', '--id', 'did:web:badges.example.org', '--data-dir', dataDir)).code).toBe(0);
  });

  it('stores attempt evidence signed by the issuer, and regrade says by whom', async () => {
    const { file, bundle } = await storedFailingEvidence();
    expect(bundle.signature).toMatch(/^[\w-]+\.\.[\w-]+$/);
    const r = await cli('regrade', file, '--data-dir', dataDir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^signature {2}VALID: signed by did:web:badges\.example\.org with key did:web:badges\.example\.org#\S+ at \d{4}-/m);
  });

  it('verifies the signature elsewhere with the published JWKS alone', async () => {
    const { file } = await storedFailingEvidence();
    const jwks = join(elsewhere, 'jwks.json');
    writeFileSync(jwks, (await cli('issuer', 'jwks', '--data-dir', dataDir)).out);
    const r = await cli('regrade', file, '--jwks', jwks, '--data-dir', elsewhere, '--format', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).status).toBe('failed');
    expect(r.err).toMatch(/signature {2}VALID: signed by did:web:badges\.example\.org/);
  });

  it('refuses a fail-to-pass edit re-sealed with a recomputed sha256: the signature no longer matches', async () => {
    const { bundle } = await storedFailingEvidence();
    const forged = resealedAsPassing(bundle, true);
    const r = await cli('regrade', forged, '--data-dir', dataDir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/the evidence signature of did:web:badges\.example\.org does not verify: the signature does not match this content/);
    expect(r.out).toBe('');
  });

  it('flags the same edit with the signature stripped as unsigned, and refuses it with --require-signature', async () => {
    const { bundle } = await storedFailingEvidence();
    const forged = resealedAsPassing(bundle, false);
    const flagged = await cli('regrade', forged, '--data-dir', dataDir);
    // The seal alone cannot tell: the edited content grades as passed, and the output says the bundle is unsigned.
    expect(flagged.code).toBe(0);
    expect(flagged.out).toMatch(/^signature {2}NONE: unsigned; .*does not show who produced it/m);
    const refused = await cli('regrade', forged, '--data-dir', dataDir, '--require-signature');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('not signed');
  });

  it('says a signature it has no key for was not checked', async () => {
    const { file } = await storedFailingEvidence();
    const r = await cli('regrade', file, '--data-dir', elsewhere);
    expect(r.out).toMatch(/^signature {2}NOT CHECKED: says it was signed by did:web:badges\.example\.org/m);
    expect((await cli('regrade', file, '--data-dir', elsewhere, '--require-signature')).code).toBe(2);
  });

  it('refuses a signature from another issuer key set', async () => {
    const { file } = await storedFailingEvidence();
    expect((await cli('issuer', 'init', '--id', 'did:web:other.example.org', '--data-dir', elsewhere)).code).toBe(0);
    const r = await cli('regrade', file, '--data-dir', elsewhere);
    expect(r.out).toMatch(/signature {2}NOT CHECKED: .*has no key did:web:badges\.example\.org#/);
  });
});

describe('evidence without an issuer', () => {
  it('is stored unsigned before `issuer init`, and regrade says so', async () => {
    const r = await cli('attempt', 'start', 'serverless-orders-api', '--candidate', 'cand-1', '--replay', TRACING_OFF, '--data-dir', dataDir, '--json');
    const id = (JSON.parse(r.out) as { id: string }).id;
    await cli('attempt', 'submit', id, '--data-dir', dataDir);
    const sha = (JSON.parse((await cli('attempt', 'show', id, '--data-dir', dataDir, '--json')).out) as { tasks: Array<{ final: { bundleSha256: string } }> }).tasks[0]!.final.bundleSha256;
    const file = join(elsewhere, 'run.json');
    writeFileSync(file, (await cli('attempt', 'evidence', sha, '--data-dir', dataDir)).out);
    expect(JSON.parse(readFileSync(file, 'utf8')).signature).toBeUndefined();
    expect((await cli('regrade', file, '--data-dir', dataDir)).out).toMatch(/^signature {2}NONE: unsigned/m);
  });

  it('grade --sign without an issuer is refused before anything is graded', async () => {
    const r = await cli('grade', 'serverless-orders-api', '--evidence-out', join(elsewhere, 'x.json'), '--sign', '--data-dir', dataDir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--sign needs an issuer key, and there is none in/);
  });
});
