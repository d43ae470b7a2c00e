import { mergeBlueprints } from '../../cdk/lib/blueprint-merge';
import { blueprintSchema, type Blueprint } from '../../src/model/task';

const blueprint = (input: Partial<{ services: string[]; denied: string[]; reads: string[]; probes: string[]; seed: Blueprint['seed']; budgetUsd: number }>): Blueprint =>
  blueprintSchema.parse({
    candidate: { services: input.services ?? ['lambda'], deniedActions: input.denied ?? [] },
    grader: { reads: input.reads ?? ['lambda:GetFunction'], probes: input.probes ?? [] },
    seed: input.seed ?? [],
    budgetUsd: input.budgetUsd ?? 5,
  });

describe('mergeBlueprints', () => {
  it('unions services, reads and probes, and sums budgets', () => {
    const merged = mergeBlueprints([
      { id: 'a', blueprint: blueprint({ services: ['lambda', 'sqs'], reads: ['sqs:GetQueueAttributes'], probes: ['sqs:SendMessage'], budgetUsd: 5 }) },
      { id: 'b', blueprint: blueprint({ services: ['lambda', 'dynamodb'], reads: ['dynamodb:DescribeTable'], budgetUsd: 10 }) },
    ]);
    expect(merged.candidate.services).toEqual(['dynamodb', 'lambda', 'sqs']);
    expect(merged.grader.reads).toEqual(['dynamodb:DescribeTable', 'sqs:GetQueueAttributes']);
    expect(merged.grader.probes).toEqual(['sqs:SendMessage']);
    expect(merged.budgetUsd).toBe(15);
  });

  it('keeps an action denied only when every task allowing its service denies it', () => {
    const merged = mergeBlueprints([
      { id: 'a', blueprint: blueprint({ services: ['lambda', 'sqs'], denied: ['lambda:CreateFunctionUrlConfig', 'sqs:AddPermission'] }) },
      { id: 'b', blueprint: blueprint({ services: ['lambda'], denied: [] }) },
    ]);
    expect(merged.candidate.deniedActions).toEqual(['sqs:AddPermission']);
  });

  it('seeds a resource once when tasks agree, and refuses tasks that disagree', () => {
    const param = (value: string) => ({ kind: 'ssm-parameter' as const, name: '/shop/currency', value });
    const same = mergeBlueprints([
      { id: 'a', blueprint: blueprint({ seed: [param('EUR')] }) },
      { id: 'b', blueprint: blueprint({ seed: [param('EUR')] }) },
    ]);
    expect(same.seed).toHaveLength(1);
    expect(() =>
      mergeBlueprints([
        { id: 'a', blueprint: blueprint({ seed: [param('EUR')] }) },
        { id: 'b', blueprint: blueprint({ seed: [param('USD')] }) },
      ]),
    ).toThrow('tasks a and b seed ssm-parameter /shop/currency differently');
  });

  it('needs at least one blueprint', () => {
    expect(() => mergeBlueprints([])).toThrow(/at least one/);
  });

  it('keeps each account quota once, at the highest minimum a task needs, and adds none when no task declares one', () => {
    const quota = (minimum: number) => ({ serviceCode: 'lambda', quotaCode: 'L-B99A9384', name: 'Concurrent executions', minimum, why: `a reservation of ${minimum - 100}` });
    const merged = mergeBlueprints([
      { id: 'a', blueprint: { ...blueprint({}), accountQuotas: [quota(110)] } },
      { id: 'b', blueprint: { ...blueprint({}), accountQuotas: [quota(150)] } },
      { id: 'c', blueprint: blueprint({}) },
    ]);
    expect(merged.accountQuotas).toEqual([quota(150)]);
    expect(mergeBlueprints([{ id: 'c', blueprint: blueprint({}) }])).not.toHaveProperty('accountQuotas');
  });
});
