/** The outputs of a deployed sandbox for attempt t1, as DescribeStacks returns them. */
export const SAMPLE_OUTPUTS = {
  AttemptId: 't1',
  Region: 'eu-west-1',
  CandidateRoleArn: 'arn:aws:iam::111122223333:role/skillproof/skillproof-t1-candidate',
  CandidateRoleName: 'skillproof-t1-candidate',
  CandidatePrincipalArn: 'arn:aws:iam::111122223333:root',
  CandidateBoundaryArn: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-t1-boundary',
  CandidateRolePath: '/candidate/',
  GraderRoleArn: 'arn:aws:iam::111122223333:role/skillproof/skillproof-t1-grader',
  FreezePolicyArn: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-t1-freeze',
  ExpiresAt: '2030-01-01T12:00:00Z',
  MaxSessionSeconds: '5400',
  BudgetName: 'skillproof-t1',
  Seeds: '{"parameters":{},"buckets":{},"tables":{"products":"skillproof-t1-products"}}',
};

export const asList = (o: Record<string, string>) => Object.entries(o).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));
