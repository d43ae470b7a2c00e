import Database from 'better-sqlite3';
import { join } from 'node:path';
import { canonicalJson, sha256Hex } from '../../src/store/canonical-json';
import { DATABASE_FILE } from '../../src/store/sqlite-store';
import { tempStore } from '../attempts/support/fixtures';

describe('audit log', () => {
  let ctx: ReturnType<typeof tempStore>;
  beforeEach(async () => {
    ctx = tempStore();
    for (let i = 1; i <= 5; i += 1) {
      await ctx.store.appendAudit({ actor: 'admin:alice', action: 'credential.revoked', subject: `urn:uuid:${i}`, data: { reason: `reason ${i}` } });
    }
  });
  afterEach(() => ctx.cleanup());

  /** Opens the database behind the store's back, without the append-only triggers, as an attacker with file access would. */
  function tamper(sql: string): void {
    const raw = new Database(join(ctx.dir, DATABASE_FILE));
    raw.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
    raw.exec(sql);
    raw.close();
  }

  it('chains each entry to the previous one by its sha256', async () => {
    const entries = await ctx.store.listAudit();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[0]?.prevHash).toBe('0'.repeat(64));
    entries.forEach((entry, i) => {
      if (i > 0) expect(entry.prevHash).toBe(entries[i - 1]?.hash);
      const { hash, ...rest } = entry;
      expect(sha256Hex(canonicalJson(rest))).toBe(hash);
    });
    expect(await ctx.store.verifyAuditChain()).toEqual({ ok: true, entries: 5 });
  });

  it('refuses UPDATE and DELETE through SQL', () => {
    const raw = new Database(join(ctx.dir, DATABASE_FILE));
    expect(() => raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM audit_log WHERE seq = 5').run()).toThrow(/append-only/);
    raw.close();
  });

  it('detects an altered entry', async () => {
    tamper(`UPDATE audit_log SET data = '{"reason":"nothing to see"}' WHERE seq = 3`);
    expect(await ctx.store.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: { seq: 3, problem: expect.stringMatching(/altered/) } });
  });

  it('detects an entry whose hash was recomputed after altering it (the next link breaks)', async () => {
    const third = (await ctx.store.listAudit())[2]!;
    const forged = { ...third, actor: 'mallory' };
    const { hash: _old, ...rest } = forged;
    tamper(`UPDATE audit_log SET actor = 'mallory', hash = '${sha256Hex(canonicalJson(rest))}' WHERE seq = 3`);
    expect(await ctx.store.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: { seq: 4, problem: expect.stringMatching(/prev_hash/) } });
  });

  it('detects an entry removed from the middle', async () => {
    tamper('DELETE FROM audit_log WHERE seq = 2');
    expect(await ctx.store.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: { seq: 3, problem: expect.stringMatching(/removed/) } });
  });

  it('detects entries removed from the end', async () => {
    tamper('DELETE FROM audit_log WHERE seq >= 4');
    expect(await ctx.store.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: { problem: expect.stringMatching(/removed/) } });
  });

  it('makes integrityCheck fail when the chain is broken', async () => {
    tamper(`UPDATE audit_log SET subject = 'urn:uuid:other' WHERE seq = 1`);
    const report = await ctx.store.integrityCheck();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^audit log: entry 1: .*altered/)]);
  });
});
