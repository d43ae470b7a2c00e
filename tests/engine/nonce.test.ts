import { attemptNonce, newNonce } from '../../src/engine/grade';

describe('probe nonces', () => {
  it('share the attempt\'s part across every run of one attempt', () => {
    const runs = [newNonce('att-0a1b2c3d4e5f'), newNonce('att-0a1b2c3d4e5f'), newNonce('att-0a1b2c3d4e5f')];
    expect(runs.every((n) => /^[0-9a-f]{16}$/.test(n))).toBe(true);
    expect(new Set(runs.map((n) => n.slice(0, 8)))).toEqual(new Set([attemptNonce('att-0a1b2c3d4e5f')]));
  });

  it('differ between runs, so no run finds probe data an earlier run left', () => {
    const runs = new Set(Array.from({ length: 20 }, () => newNonce('att-0a1b2c3d4e5f')));
    expect(runs.size).toBe(20);
  });

  it('differ between attempts, whichever process grades them', () => {
    expect(attemptNonce('att-0a1b2c3d4e5f')).toBe(attemptNonce('att-0a1b2c3d4e5f'));
    expect(attemptNonce('att-0a1b2c3d4e5f')).not.toBe(attemptNonce('att-ffffffffffff'));
  });
});
