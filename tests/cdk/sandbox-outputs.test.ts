import { outputKey, parseSandboxOutputs, SANDBOX_OUTPUT_FIELDS } from '../../cdk/lib/sandbox-outputs';
import { asList, SAMPLE_OUTPUTS } from '../sandbox/sample-outputs';


describe('sandbox outputs', () => {
  it('names each output after its field', () => {
    expect(SANDBOX_OUTPUT_FIELDS.map(outputKey).sort()).toEqual(Object.keys(SAMPLE_OUTPUTS).sort());
  });

  it('parses DescribeStacks outputs into typed values', () => {
    const outputs = parseSandboxOutputs(asList(SAMPLE_OUTPUTS), 'skillproof-t1');
    expect(outputs.maxSessionSeconds).toBe(5400);
    expect(outputs.seeds.tables.products).toBe('skillproof-t1-products');
  });

  it('names the stack and every missing or malformed output', () => {
    const { GraderRoleArn: _missing, ...rest } = SAMPLE_OUTPUTS;
    expect(() => parseSandboxOutputs(asList({ ...rest, Seeds: 'not json' }), 'skillproof-t1')).toThrow(
      /stack skillproof-t1 does not have the outputs of a SkillProof sandbox \(output GraderRoleArn: missing; output Seeds: must be JSON\)/,
    );
  });
});
