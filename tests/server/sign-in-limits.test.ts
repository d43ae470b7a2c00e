import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { clientAddress } from '../../src/server/app';
import { SignInLimiter, SignInRateLimitedError } from '../../src/server/rate-limit';
import { FormClient } from './support/form-client';
import { startTestPortal, type TestPortal } from './support/portal';

const fails = () => Promise.reject(new Error('401'));
const succeeds = () => Promise.resolve('ok');

describe('SignInLimiter', () => {
  it('counts failures per address and per secret, and not successful sign-ins', async () => {
    const limiter = new SignInLimiter(2, 60_000, () => 0);
    for (let i = 0; i < 5; i++) await expect(limiter.attempt('10.0.0.1', 'good', succeeds)).resolves.toBe('ok');
    await expect(limiter.attempt('10.0.0.1', 'a', fails)).rejects.toThrow('401');
    await expect(limiter.attempt('10.0.0.1', 'b', fails)).rejects.toThrow('401');
    await expect(limiter.attempt('10.0.0.1', 'c', fails)).rejects.toMatchObject({ name: 'SignInRateLimitedError', scope: 'address' });
    // Another address guessing the same secret twice, then a third: the secret's own limit.
    await expect(limiter.attempt('10.0.0.2', 'x', fails)).rejects.toThrow('401');
    await expect(limiter.attempt('10.0.0.3', 'x', fails)).rejects.toThrow('401');
    await expect(limiter.attempt('10.0.0.4', 'x', fails)).rejects.toMatchObject({ scope: 'secret' });
  });

  it('does not let guesses sent in parallel slip under the limit', async () => {
    const limiter = new SignInLimiter(3, 60_000, () => 0);
    const slow = () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('401')), 20));
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => limiter.attempt('10.0.0.1', `guess-${i}`, slow)));
    const limited = results.filter((r) => r.status === 'rejected' && r.reason instanceof SignInRateLimitedError);
    expect(limited).toHaveLength(7);
  });
});

describe('clientAddress', () => {
  const req = (remoteAddress: string, forwarded?: string) => ({ socket: { remoteAddress }, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} }) as unknown as IncomingMessage;

  it('ignores X-Forwarded-For unless the peer is a trusted proxy', () => {
    expect(clientAddress(req('::ffff:203.0.113.9', '198.51.100.7'), undefined)).toBe('203.0.113.9');
    expect(clientAddress(req('203.0.113.9', '198.51.100.7'), ['10.0.0.2'])).toBe('203.0.113.9');
  });

  it("takes the entry the trusted proxy appended, never the client's own earlier entries", () => {
    expect(clientAddress(req('10.0.0.2', '1.2.3.4, 198.51.100.7'), ['10.0.0.2'])).toBe('198.51.100.7');
    expect(clientAddress(req('::ffff:127.0.0.1', '198.51.100.7'), true)).toBe('198.51.100.7');
    expect(clientAddress(req('127.0.0.1'), true)).toBe('127.0.0.1');
  });
});

describe('portal sign-in limits', () => {
  let portal: TestPortal;
  afterEach(() => portal?.shutdown());

  const signIn = (code: string, from?: string) =>
    portal.api('POST', '/api/sign-in', { body: { accessCode: code }, ...(from ? { headers: { 'x-forwarded-for': from } } : {}) });

  it('does not count successful sign-ins', async () => {
    portal = await startTestPortal({ signInPerMinute: 3 });
    const { code } = await portal.newAttempt('ok@example.com');
    for (let i = 0; i < 6; i++) expect((await signIn(code)).status).toBe(200);
    expect([(await signIn('WRONG-1')).status, (await signIn('WRONG-2')).status, (await signIn('WRONG-3')).status, (await signIn('WRONG-4')).status]).toEqual([401, 401, 401, 429]);
  });

  it('keeps admin and candidate budgets apart: failed admin tokens do not lock candidates out', async () => {
    portal = await startTestPortal({ signInPerMinute: 2 });
    const { code } = await portal.newAttempt('cand@example.com');
    const admin = new FormClient(portal.url);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await admin.submit('/admin/sign-in', '/admin/sign-in', { token: `spa_wrong_${i}` })).status);
    expect(statuses).toEqual([401, 401, 429]);
    expect((await signIn(code)).status).toBe(200);
  });

  it('limits one access code guessed from many addresses (behind a trusted proxy)', async () => {
    portal = await startTestPortal({ signInPerMinute: 3, trustProxy: true, publicUrl: 'https://portal.example.org' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await signIn('ABCD-EFGH-JKLM', `198.51.100.${i + 1}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const r = await signIn('abcd efgh jklm', '198.51.100.99');
    expect(r.body.error.message).toMatch(/Too many failed sign-ins with this access code; try again in \d+ s\./);
  });

  it("behind a trusted proxy counts each client's address, and without --trust-proxy ignores the header", async () => {
    portal = await startTestPortal({ signInPerMinute: 2, trustProxy: true, publicUrl: 'https://portal.example.org' });
    for (const code of ['A1', 'A2']) expect((await signIn(code, '198.51.100.1')).status).toBe(401);
    expect((await signIn('A3', '198.51.100.1')).status).toBe(429);
    expect((await signIn('B1', '198.51.100.2')).status).toBe(401);
    // A client cannot pick its address: the earlier entries are its own, the last is the proxy's.
    expect((await signIn('A4', '198.51.100.2, 198.51.100.1')).status).toBe(429);
    await portal.shutdown();

    portal = await startTestPortal({ signInPerMinute: 2 });
    for (const [i, from] of ['198.51.100.1', '198.51.100.2'].entries()) expect((await signIn(`C${i}`, from)).status).toBe(401);
    const spoofed = await signIn('C3', '198.51.100.3');
    expect(spoofed.status).toBe(429);
    expect(spoofed.body.error.message).toMatch(/from your address/);
  });
});

describe('skillproof serve --trust-proxy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skillproof-serve-proxy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const io: CliIo = { out: () => undefined, err: (t) => void (err += `${t}\n`), setExitCode: () => undefined };
    return { code: await main([...argv, '--data-dir', dir], io), err };
  }

  it.each([
    ['without --public-url', ['--trust-proxy'], /give the address people reach it at with --public-url/],
    ['with something that is not an IP address', ['--public-url', 'https://p.example.org', '--trust-proxy', 'proxy.internal'], /"proxy.internal" is not one/],
  ])('is refused %s (exit 2)', async (_what, extra, message) => {
    const r = await cli('serve', '--port', '0', ...extra);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});
