import type { GuardrailSummary } from '@aws-sdk/client-bedrock';
import {
  blockedTopics,
  emailAnonymisation,
  guardrailTraces,
  investmentAdviceCoverage,
  isNumberedVersion,
  isSameGuardrail,
  numberedVersions,
  topicBlocksInput,
  words,
} from '../../../graders/lib/bedrock-guardrail';

const summary = (version: string): GuardrailSummary => ({ id: 'g1', arn: 'arn:aws:bedrock:eu-west-1:111122223333:guardrail/g1', status: 'READY', name: 'g', version, createdAt: new Date(0), updatedAt: new Date(0) });

describe('bedrock-guardrail', () => {
  it('tells numbered versions from the DRAFT and sorts them highest first', () => {
    expect(isNumberedVersion('3')).toBe(true);
    expect(isNumberedVersion('DRAFT')).toBe(false);
    expect(isNumberedVersion('0')).toBe(false);
    expect(numberedVersions([summary('DRAFT'), summary('2'), summary('10'), summary('1')]).map((v) => v.version)).toEqual(['10', '2', '1']);
  });

  it('recognises a guardrail by id or ARN', () => {
    const g = summary('DRAFT');
    expect(isSameGuardrail('g1', g)).toBe(true);
    expect(isSameGuardrail('arn:aws:bedrock:eu-west-1:111122223333:guardrail/g1', g)).toBe(true);
    expect(isSameGuardrail('g2', g)).toBe(false);
    expect(isSameGuardrail(undefined, g)).toBe(false);
  });

  it('splits camelCase and punctuation into lower-case words', () => {
    expect(words('InvestmentAdvice: stocks/ETFs')).toEqual(['investment', 'advice', 'stocks', 'etfs']);
  });

  it.each([
    ['Investment advice', 'Anything about investing', true],
    ['InvestmentAdvice', '', true],
    ['Financial recommendations', 'Which stocks or crypto to buy or sell', true],
    ['Money', 'Tips on picking funds', true],
    ['Politics', 'Opinions about elections', false],
    ['Stocks', 'Questions about warehouse stock levels', false],
  ])('judges topic "%s" (%s) as investment advice: %s', (name, definition, covers) => {
    expect(investmentAdviceCoverage({ name, definition }).covers).toBe(covers);
  });

  it('treats a DENY topic as blocking prompts unless it is disabled or detect-only for inputs', () => {
    expect(topicBlocksInput({ type: 'DENY' })).toBe(true);
    expect(topicBlocksInput({ type: 'DENY', inputAction: 'BLOCK', inputEnabled: true })).toBe(true);
    expect(topicBlocksInput({ type: 'DENY', inputAction: 'NONE' })).toBe(false);
    expect(topicBlocksInput({ type: 'DENY', inputEnabled: false })).toBe(false);
  });

  describe('emailAnonymisation', () => {
    it('passes EMAIL anonymised in responses, with or without prompts', () => {
      expect(emailAnonymisation([{ type: 'EMAIL', action: 'ANONYMIZE' }]).ok).toBe(true);
      expect(emailAnonymisation([{ type: 'EMAIL', action: 'ANONYMIZE', inputAction: 'NONE', outputAction: 'ANONYMIZE' }]).ok).toBe(true);
    });

    it('fails BLOCK in either direction, responses left alone, and no EMAIL entity', () => {
      expect(emailAnonymisation([{ type: 'EMAIL', action: 'BLOCK' }])).toMatchObject({ ok: false, reason: expect.stringContaining('BLOCK') });
      expect(emailAnonymisation([{ type: 'EMAIL', action: 'ANONYMIZE', inputAction: 'BLOCK', outputAction: 'ANONYMIZE' }]).ok).toBe(false);
      expect(emailAnonymisation([{ type: 'EMAIL', action: 'ANONYMIZE', outputEnabled: false }]).ok).toBe(false);
      expect(emailAnonymisation([{ type: 'PHONE', action: 'ANONYMIZE' }])).toMatchObject({ ok: false, reason: expect.stringContaining('no sensitive-information filter') });
      expect(emailAnonymisation(undefined).ok).toBe(false);
    });

    it('ignores a disabled direction set to BLOCK', () => {
      expect(emailAnonymisation([{ type: 'EMAIL', action: 'ANONYMIZE', inputAction: 'BLOCK', inputEnabled: false, outputAction: 'ANONYMIZE' }]).ok).toBe(true);
    });
  });

  it('lists the denied topics ApplyGuardrail blocked', () => {
    expect(blockedTopics({ assessments: [{ topicPolicy: { topics: [{ name: 'Investment advice', type: 'DENY', action: 'BLOCKED' }, { name: 'Other', type: 'DENY', action: 'NONE' }] } }, {}] })).toEqual(['Investment advice']);
  });

  it('summarises the guardrail traces of an agent response', () => {
    const traces = guardrailTraces({
      text: '',
      returnedControl: false,
      traces: [
        { trace: { guardrailTrace: { action: 'INTERVENED', inputAssessments: [{ topicPolicy: { topics: [{ name: 'Investment advice', type: 'DENY', action: 'BLOCKED' }] } }] } } },
        { trace: { orchestrationTrace: { rationale: { text: 'x' } } } },
      ],
    });
    expect(traces).toEqual([{ action: 'INTERVENED', topics: ['Investment advice'] }]);
  });
});
