import type { Json } from '../../src/evidence/canonical';
import { parseBundle, serialiseBundle } from '../../src/evidence/bundle';
import { regrade } from '../../src/engine/grade';
import { describeFaultInjection } from './support/fault-injection';
import type { PassFixture } from './support/pass-fixtures';

// Invariant 1 (no false FAIL) over the Serverless track's passing fixtures; see support/fault-injection.ts.
describeFaultInjection('fault injection over every passing Serverless fixture', (fx) => fx.entry.task.track === 'aws-serverless', (fixtures) => {
  describe('the preflight identity check', () => {
    const withIdentity = (fx: PassFixture, output: Json) => ({
      ...fx.bundle,
      transcript: fx.bundle.transcript.map((r) => (r.service === 'STS' && r.operation === 'GetCallerIdentity' ? { ...r, output } : r)),
    });
    const ordersApi = () => fixtures.find((f) => f.label === 'serverless-orders-api/pass/http-api') ?? fixtures[0]!;

    it('does not grade when the caller identity names no account: the run is incomplete', async () => {
      const { report } = await regrade(ordersApi().entry, withIdentity(ordersApi(), { UserId: 'AROAEXAMPLE:grader' }));
      expect({ status: report.status, graded: report.checks.filter((c) => c.outcome !== 'SKIPPED').map((c) => c.id) }).toEqual({ status: 'incomplete', graded: [] });
    });

    it('keeps the evidence readable when the caller identity answers with an account id that is not a string', async () => {
      const { report, bundle } = await regrade(ordersApi().entry, withIdentity(ordersApi(), { Account: 111122223333, UserId: 'AROAEXAMPLE:grader' }));
      expect(report.status).toBe('incomplete');
      expect(() => parseBundle(serialiseBundle(bundle), 'evidence of the run')).not.toThrow();
    });
  });
});
