import { DynamoDBClient, GetResourcePolicyCommand } from '@aws-sdk/client-dynamodb';
import { tableResourcePolicy } from '../../../graders/lib/dynamodb';
import { awsError, FakeAccount } from '../../../src/testing/fake-account';
import { inCheck } from '../../support/harness';

const TABLE = 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders';
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [] });

describe('graders/lib/dynamodb tableResourcePolicy', () => {
  it('returns the policy document', async () => {
    const account = new FakeAccount().on(DynamoDBClient, GetResourcePolicyCommand, () => ({ Policy: POLICY, RevisionId: '1' }));
    expect(await inCheck(account, (ctx) => tableResourcePolicy(ctx, TABLE))).toBe(POLICY);
  });

  it('answers undefined when the table has no policy (PolicyNotFoundException)', async () => {
    const account = new FakeAccount().failing(DynamoDBClient, GetResourcePolicyCommand, 'PolicyNotFoundException', 400, `Resource-based policy not found for the provided ResourceArn: ${TABLE}`);
    expect(await inCheck(account, (ctx) => tableResourcePolicy(ctx, TABLE))).toBeUndefined();
  });

  it('lets AccessDenied propagate: the grader could not tell', async () => {
    const account = new FakeAccount().on(DynamoDBClient, GetResourcePolicyCommand, () => {
      throw awsError('AccessDeniedException', 'not authorized to perform: dynamodb:GetResourcePolicy', 400);
    });
    await expect(inCheck(account, (ctx) => tableResourcePolicy(ctx, TABLE))).rejects.toThrow(/ERROR: DynamoDB\.GetResourcePolicy failed with AccessDeniedException/);
  });
});
