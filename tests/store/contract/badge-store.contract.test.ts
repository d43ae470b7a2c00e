import type { BadgeStore } from '../../../src/store/badge-types';
import { ConstraintViolationError, NotFoundError } from '../../../src/store/errors';
import { describeEachBackend, type AnyStore } from './backends';
import { gradedAttempt, issueCredential } from './seed';

const NOW = new Date('2026-04-01T10:00:00.000Z');

/** The portal's audit input for a change of the shown name (src/server/badges.ts): whether a name is shown, never which. */
const badgeAudit = (credentialId: string, shownName: string | null) => ({
  actor: 'candidate:cand-1',
  action: shownName === null ? 'badge.shown-name-removed' : 'badge.shown-name-set',
  subject: credentialId,
  data: { named: shownName !== null },
});

function badges(store: AnyStore): AnyStore & BadgeStore {
  const s = store as AnyStore & Partial<BadgeStore>;
  if (typeof s.setBadgeShownName !== 'function' || typeof s.getBadgeSettings !== 'function') throw new Error('this store keeps no badge settings');
  return s as AnyStore & BadgeStore;
}

async function issued(store: AnyStore): Promise<string> {
  await gradedAttempt(store);
  return (await issueCredential(store)).credential.id;
}

describeEachBackend(
  'Store contract: badge settings',
  (ctx) => {
    it('shows no name until the holder sets one, then that name, then none once removed', async () => {
      const store = badges(ctx().store);
      const id = await issued(store);
      expect(await store.getBadgeSettings(id)).toBeUndefined();
      const set = await store.setBadgeShownName(id, 'Ada Lovelace', badgeAudit(id, 'Ada Lovelace'));
      expect(set).toEqual({ credentialId: id, shownName: 'Ada Lovelace', updatedAt: NOW.toISOString() });
      expect(await store.getBadgeSettings(id)).toEqual(set);
      await store.setBadgeShownName(id, 'A. Lovelace', badgeAudit(id, 'A. Lovelace'));
      expect((await store.getBadgeSettings(id))?.shownName).toBe('A. Lovelace');
      const cleared = await store.setBadgeShownName(id, null, badgeAudit(id, null));
      expect(cleared).toEqual({ credentialId: id, shownName: null, updatedAt: NOW.toISOString() });
      expect(await store.getBadgeSettings(id)).toEqual(cleared);
      expect(await badges(ctx().another()).getBadgeSettings(id)).toEqual(cleared);
    });

    it('audits each change with the change, recording that a name is shown but never the name', async () => {
      const store = badges(ctx().store);
      const id = await issued(store);
      await store.setBadgeShownName(id, 'Ada Lovelace', badgeAudit(id, 'Ada Lovelace'));
      await store.setBadgeShownName(id, null, badgeAudit(id, null));
      const entries = (await store.listAudit({ subject: id })).filter((e) => e.action.startsWith('badge.'));
      expect(entries.map((e) => [e.action, e.data])).toEqual([
        ['badge.shown-name-set', { named: true }],
        ['badge.shown-name-removed', { named: false }],
      ]);
      expect(JSON.stringify(await store.listAudit())).not.toContain('Lovelace');
      expect(await store.verifyAuditChain()).toMatchObject({ ok: true });
      expect(await store.integrityCheck()).toMatchObject({ ok: true });
    });

    it('refuses a name for a credential that was never issued, and stores and audits nothing', async () => {
      const store = badges(ctx().store);
      await issued(store);
      const before = (await store.listAudit()).length;
      const refused = store.setBadgeShownName('urn:uuid:never-issued', 'Ada', badgeAudit('urn:uuid:never-issued', 'Ada'));
      await expect(refused).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.getBadgeSettings('urn:uuid:never-issued')).toBeUndefined();
      expect(await store.listAudit()).toHaveLength(before);
    });

    it('refuses an empty name or one over 80 characters (SQLite’s CHECK), and keeps the name shown before', async () => {
      const store = badges(ctx().store);
      const id = await issued(store);
      await store.setBadgeShownName(id, 'Ada', badgeAudit(id, 'Ada'));
      const before = (await store.listAudit()).length;
      await expect(store.setBadgeShownName(id, '', badgeAudit(id, ''))).rejects.toBeInstanceOf(ConstraintViolationError);
      await expect(store.setBadgeShownName(id, 'x'.repeat(81), badgeAudit(id, 'x'))).rejects.toBeInstanceOf(ConstraintViolationError);
      expect((await store.getBadgeSettings(id))?.shownName).toBe('Ada');
      expect(await store.setBadgeShownName(id, 'é'.repeat(80), badgeAudit(id, 'é'))).toMatchObject({ shownName: 'é'.repeat(80) });
      expect(await store.listAudit()).toHaveLength(before + 1);
    });
  },
  { now: () => NOW },
);
