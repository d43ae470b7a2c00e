import type { GuardrailSummary } from '@aws-sdk/client-bedrock';
import type { ApplyGuardrailResponse } from '@aws-sdk/client-bedrock-runtime';
import {
  blockedTopics,
  emailBlockProblem,
  guardrailTraces,
  isNumberedVersion,
  isSameGuardrail,
  judgeMasking,
  numberedVersions,
  topicBlocksInput,
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

  it('treats a DENY topic as blocking prompts unless it is disabled or detect-only for inputs', () => {
    expect(topicBlocksInput({ type: 'DENY' })).toBe(true);
    expect(topicBlocksInput({ type: 'DENY', inputAction: 'BLOCK', inputEnabled: true })).toBe(true);
    expect(topicBlocksInput({ type: 'DENY', inputAction: 'NONE' })).toBe(false);
    expect(topicBlocksInput({ type: 'DENY', inputEnabled: false })).toBe(false);
  });

  describe('emailBlockProblem', () => {
    it('accepts EMAIL masked or left alone, a disabled direction set to BLOCK, and no EMAIL entity (masking is judged by ApplyGuardrail)', () => {
      expect(emailBlockProblem([{ type: 'EMAIL', action: 'ANONYMIZE' }])).toBeUndefined();
      expect(emailBlockProblem([{ type: 'EMAIL', action: 'ANONYMIZE', inputAction: 'NONE', outputAction: 'ANONYMIZE' }])).toBeUndefined();
      expect(emailBlockProblem([{ type: 'EMAIL', action: 'ANONYMIZE', inputAction: 'BLOCK', inputEnabled: false, outputAction: 'ANONYMIZE' }])).toBeUndefined();
      expect(emailBlockProblem([{ type: 'PHONE', action: 'BLOCK' }])).toBeUndefined();
      expect(emailBlockProblem(undefined)).toBeUndefined();
    });

    it('names the direction in which EMAIL rejects whole messages', () => {
      expect(emailBlockProblem([{ type: 'EMAIL', action: 'ANONYMIZE', inputAction: 'BLOCK', outputAction: 'ANONYMIZE' }])).toContain('for prompts');
      expect(emailBlockProblem([{ type: 'EMAIL', action: 'BLOCK' }])).toContain('for prompts');
      expect(emailBlockProblem([{ type: 'EMAIL', action: 'ANONYMIZE', inputAction: 'NONE', outputAction: 'BLOCK' }])).toContain('for responses');
    });
  });

  describe('judgeMasking (an ApplyGuardrail response on a text holding an address)', () => {
    const address = 'desk-1@northwind.example';
    const usage = { topicPolicyUnits: 0, contentPolicyUnits: 0, wordPolicyUnits: 0, sensitiveInformationPolicyUnits: 1, sensitiveInformationPolicyFreeUnits: 0, contextualGroundingPolicyUnits: 0 };
    const response = (action: ApplyGuardrailResponse['action'], outputs: string[], pii: NonNullable<ApplyGuardrailResponse['assessments']>[number]): ApplyGuardrailResponse => ({ usage, action, outputs: outputs.map((text) => ({ text })), assessments: [pii] });

    it('passes an address ANONYMIZED by the EMAIL entity or by a regex filter, gone from the output', () => {
      expect(judgeMasking(response('GUARDRAIL_INTERVENED', ['Write to {EMAIL}.'], { sensitiveInformationPolicy: { piiEntities: [{ match: address, type: 'EMAIL', action: 'ANONYMIZED', detected: true }], regexes: [] } }), address)).toMatchObject({ ok: true, findings: ['EMAIL:ANONYMIZED'] });
      expect(judgeMasking(response('GUARDRAIL_INTERVENED', ['Write to {mail}.'], { sensitiveInformationPolicy: { piiEntities: [], regexes: [{ name: 'mail', match: address, regex: '\\S+@\\S+', action: 'ANONYMIZED' }] } }), address).ok).toBe(true);
    });

    it('fails an address BLOCKED, detected only, left alone, or still in the output', () => {
      expect(judgeMasking(response('GUARDRAIL_INTERVENED', ['Sorry.'], { sensitiveInformationPolicy: { piiEntities: [{ match: address, type: 'EMAIL', action: 'BLOCKED' }], regexes: [] } }), address).reason).toContain('blocked the whole answer');
      expect(judgeMasking(response('NONE', [], { sensitiveInformationPolicy: { piiEntities: [{ match: address, type: 'EMAIL', action: 'NONE', detected: true }], regexes: [] } }), address).reason).toContain('detect only');
      expect(judgeMasking(response('NONE', [], {}), address).reason).toContain('left the address in the answer (action NONE)');
      expect(judgeMasking(response('GUARDRAIL_INTERVENED', [`Write to ${address}.`], { sensitiveInformationPolicy: { piiEntities: [{ match: address, type: 'EMAIL', action: 'ANONYMIZED' }], regexes: [] } }), address).reason).toContain('still holds it');
    });

    it('fails an answer blocked by a denied topic instead of masked, and ignores other entities', () => {
      const blocked = response('GUARDRAIL_INTERVENED', ['Sorry.'], { topicPolicy: { topics: [{ name: 'Everything', type: 'DENY', action: 'BLOCKED' }] } });
      expect(judgeMasking(blocked, address).reason).toContain('denied topic Everything');
      const nameOnly = response('GUARDRAIL_INTERVENED', [`{NAME} at ${address}`], { sensitiveInformationPolicy: { piiEntities: [{ match: 'Ana', type: 'NAME', action: 'ANONYMIZED' }], regexes: [] } });
      expect(judgeMasking(nameOnly, address).ok).toBe(false);
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
    expect(traces).toEqual([{ action: 'INTERVENED', topics: [{ name: 'Investment advice', action: 'BLOCKED' }] }]);
  });
});
