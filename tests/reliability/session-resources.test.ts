import { AsyncLocalStorage } from 'node:async_hooks';
import { regrade } from '../../src/engine/grade';
import { passFixtures } from './support/pass-fixtures';
import { enabledAsyncContexts } from './support/session-context';

describe('grading sessions in a long-lived process', () => {
  it('can count the async contexts Node propagates (the measure the next test relies on)', () => {
    const before = enabledAsyncContexts();
    const storage = new AsyncLocalStorage<number>();
    storage.run(1, () => undefined);
    expect(enabledAsyncContexts()).toBe(before + 1);
    storage.disable();
    expect(enabledAsyncContexts()).toBe(before);
  });

  it('leave no async context behind once their grade is finished', async () => {
    const fixture = passFixtures({ firstPerTask: true })[0]!;
    // A storage shared by all sessions may stay enabled: count after the first grade.
    await regrade(fixture.entry, fixture.bundle);
    const before = enabledAsyncContexts();
    for (let i = 0; i < 5; i++) await regrade(fixture.entry, fixture.bundle);
    expect(enabledAsyncContexts()).toBe(before);
  });
});
