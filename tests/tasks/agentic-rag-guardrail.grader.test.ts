import { loadCatalog } from '../../src/catalog/load';
import { readBundle } from '../../src/evidence/bundle';
import { fixtureFile } from '../../src/testing/scenarios';
import { FACT, INVESTMENT_QUESTIONS, maskingProbe } from '../../tasks/agentic-rag-guardrail/seed-documents';
import { check, gradedFixture, notPassing } from '../support/fixtures';

const entry = loadCatalog().get('agentic-rag-guardrail');

const graded = gradedFixture(entry);


describe('agentic-rag-guardrail', () => {
  it('passes the reference CDK solution: S3 Vectors knowledge base, guardrail version 1 on agent version 1', async () => {
    const report = await graded('pass', 'cdk-s3-vectors');
    expect(report.status).toBe('passed');
    expect(notPassing(report)).toEqual({});
  });

  it('passes a console build: OpenSearch Serverless, a re-sync that indexed nothing new, a "Financial recommendations" topic, e-mail masked in answers only, guardrail named by ARN', async () => {
    const report = await graded('alt', 'console-opensearch-resynced');
    expect(notPassing(report)).toEqual({});
    expect(check(report, 'ingestion-complete').message).toContain('indexed earlier, by job JOBFIRST01');
    expect(check(report, 'guardrail-denies-investment-advice').message).toContain('Financial recommendations');
  });

  it('passes when the model needs a second try, stating the threshold and recording every try', async () => {
    const report = await graded('alt', 'model-needs-retries');
    expect(notPassing(report)).toEqual({});
    expect(check(report, 'agent-answers-from-knowledge-base').message).toMatch(/on try 2 .*threshold: 1 of up to 3 tries/);
    expect((check(report, 'agent-answers-from-knowledge-base').actual as Array<{ passed: boolean }>).map((t) => t.passed)).toEqual([false, true]);
  });

  it('judges the denied topic by what ApplyGuardrail blocks, not by its name: "Share purchase tips" passes', async () => {
    const report = await graded('alt', 'topic-share-purchase-tips');
    expect(notPassing(report)).toEqual({});
    expect(check(report, 'guardrail-denies-investment-advice').message).toContain('blocked all 3 investment questions by denied topic "Share purchase tips"');
  });

  it('passes an Aurora PostgreSQL store and a Standard-tier guardrail with a cross-Region guardrail profile', async () => {
    const report = await graded('alt', 'terraform-aurora-standard-tier');
    expect(notPassing(report)).toEqual({});
    expect(check(report, 'knowledge-base-active').message).toContain('(RDS vector store)');
    expect(check(report, 'guardrail-denies-investment-advice').actual).toMatchObject({ tier: 'STANDARD' });
  });

  it('passes e-mail addresses masked by a regex filter instead of the EMAIL entity', async () => {
    const report = await graded('alt', 'email-masked-by-regex');
    expect(notPassing(report)).toEqual({});
    expect(check(report, 'guardrail-anonymises-email').message).toContain('regex email-address:ANONYMIZED');
  });

  it('asks ApplyGuardrail every investment question once and the policy question once (INPUT), and one response holding a nonce address (OUTPUT)', () => {
    const bundle = readBundle(fixtureFile(entry, 'pass', 'cdk-s3-vectors'));
    const applied = bundle.transcript.filter((c) => c.operation === 'ApplyGuardrail').map((c) => c.input as { source: string; content: Array<{ text: { text: string } }> });
    expect(applied.filter((a) => a.source === 'INPUT').map((a) => a.content[0]!.text.text)).toEqual([...INVESTMENT_QUESTIONS, FACT.question]);
    expect(applied.filter((a) => a.source === 'OUTPUT').map((a) => a.content[0]!.text.text)).toEqual([maskingProbe(bundle.run.nonce).text]);
  });

  it.each([
    ['ingestion-failed', 'ingestion-complete', 'is FAILED'],
    ['ingestion-document-failed', 'ingestion-complete', 'failed on 1 document'],
    ['never-synced', 'ingestion-complete', 'never been synced'],
  ])('fails when ingestion did not complete cleanly (%s)', async (name, id, words) => {
    const report = await graded('fail', name);
    expect(check(report, id).message).toContain(words);
    expect(check(report, 'retrieve-returns-seeded-document').outcome).toBe('SKIPPED');
  });

  it('fails when the data source reads another bucket, or excludes the policies/ prefix', async () => {
    expect(check(await graded('fail', 'data-source-own-bucket'), 'data-source-over-seeded-documents').message).toContain('which has no policies/travel-and-expenses.md');
    expect(check(await graded('fail', 'data-source-excludes-policies'), 'data-source-over-seeded-documents').message).toContain('only includes archive/');
  });

  it('fails when Retrieve does not return the seeded document', async () => {
    expect(check(await graded('fail', 'retrieve-misses-document'), 'retrieve-returns-seeded-document').outcome).toBe('FAIL');
  });

  it('fails when the knowledge base is FAILED', async () => {
    expect(check(await graded('fail', 'knowledge-base-failed'), 'knowledge-base-active').outcome).toBe('FAIL');
  });

  it('fails a guardrail without the denied topic, without charging the agent probe again', async () => {
    const report = await graded('fail', 'guardrail-without-denied-topic');
    expect(notPassing(report)).toEqual({ 'guardrail-denies-investment-advice': 'FAIL', 'agent-guardrail-intervenes': 'SKIPPED' });
    expect(check(report, 'guardrail-denies-investment-advice').message).toContain('let 3 of 3 investment questions through');
  });

  it('fails a denied topic that only detects prompts', async () => {
    expect(check(await graded('fail', 'guardrail-topic-detect-only'), 'guardrail-denies-investment-advice').message).toContain('do not block prompts');
  });

  it('fails a topic named "Investment advice" whose definition lets investment questions through: the name earns nothing', async () => {
    const report = await graded('fail', 'topic-too-narrow');
    expect(notPassing(report)).toEqual({ 'guardrail-denies-investment-advice': 'FAIL', 'agent-guardrail-intervenes': 'SKIPPED' });
  });

  it('fails a guardrail that blocks only some of the investment questions (ApplyGuardrail is deterministic: every one must be blocked)', async () => {
    const probe = check(await graded('fail', 'blocks-some-investment-questions'), 'guardrail-denies-investment-advice');
    expect(probe.message).toContain('let 1 of 3 investment questions through');
    expect(probe.message).toContain(INVESTMENT_QUESTIONS[1]);
  });

  it('fails a denied topic so broad that it blocks a question about company policy', async () => {
    expect(check(await graded('fail', 'topic-blocks-policy-questions'), 'guardrail-denies-investment-advice').message).toContain('also blocks a question about company policy');
  });

  it('fails an agent whose guardrail intervenes only to mask an address, never by the denied topic', async () => {
    const probe = check(await graded('fail', 'agent-intervenes-only-on-email'), 'agent-guardrail-intervenes');
    expect(probe.message).toContain('the guardrail intervened, but never by the denied topic');
    expect(probe.actual).toHaveLength(3);
  });

  it('fails e-mail addresses BLOCKED, only detected, or left alone in a response, and BLOCKED in prompts', async () => {
    expect(check(await graded('fail', 'email-blocked'), 'guardrail-anonymises-email').message).toContain('blocked the whole answer');
    expect(check(await graded('fail', 'email-detect-only'), 'guardrail-anonymises-email').message).toContain('detect only');
    expect(check(await graded('fail', 'no-email-filter'), 'guardrail-anonymises-email').message).toContain('left the address in the answer');
    expect(check(await graded('fail', 'email-blocked-in-prompts'), 'guardrail-anonymises-email').message).toContain('BLOCK for prompts');
  });

  it('fails a guardrail that was never versioned', async () => {
    const report = await graded('fail', 'guardrail-draft-only');
    expect(check(report, 'guardrail-versioned').message).toContain('only its DRAFT');
    expect(check(report, 'agent-uses-guardrail').outcome).toBe('SKIPPED');
  });

  it('fails an agent using the guardrail\'s DRAFT, or no guardrail', async () => {
    expect(check(await graded('fail', 'guardrail-attached-as-draft'), 'agent-uses-guardrail').message).toContain('at DRAFT');
    expect(check(await graded('fail', 'agent-without-guardrail'), 'agent-uses-guardrail').message).toContain('has no guardrail');
  });

  it('fails when the knowledge base is not attached to the published agent, or attached but disabled', async () => {
    const detached = await graded('fail', 'knowledge-base-not-attached');
    expect(check(detached, 'agent-uses-knowledge-base').outcome).toBe('FAIL');
    expect(check(detached, 'agent-answers-from-knowledge-base').outcome).toBe('SKIPPED');
    expect(check(await graded('fail', 'knowledge-base-disabled'), 'agent-uses-knowledge-base').message).toContain('DISABLED');
  });

  it('fails when alias live routes to DRAFT', async () => {
    expect(check(await graded('fail', 'alias-on-draft'), 'agent-published').message).toContain('points at DRAFT');
  });

  it('fails when the agent never searches the knowledge base in three sessions', async () => {
    const probe = check(await graded('fail', 'agent-never-searches'), 'agent-answers-from-knowledge-base');
    expect(probe.outcome).toBe('FAIL');
    expect(probe.actual).toHaveLength(3);
  });

  it('is incomplete, not failed, when AWS throttles or the grader may not call ApplyGuardrail', async () => {
    expect((await graded('error', 'knowledge-bases-throttled')).status).toBe('incomplete');
    const denied = await graded('error', 'grader-cannot-apply-guardrail');
    expect(denied.status).toBe('incomplete');
    expect(check(denied, 'guardrail-denies-investment-advice').message).toContain('not the candidate');
    expect(check(denied, 'guardrail-anonymises-email').outcome).toBe('ERROR');
  });

});
