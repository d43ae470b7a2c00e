import { CloudFormationClient, type StackEvent } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';

/** Mocks of every client the sandbox operations use, and the order in which commands reached them. */
export function mockAws() {
  const sts = mockClient(STSClient);
  const cfn = mockClient(CloudFormationClient);
  const iam = mockClient(IAMClient);
  const quotas = mockClient(ServiceQuotasClient);
  const lambda = mockClient(LambdaClient);
  const all = [sts, cfn, iam, quotas, lambda];
  return {
    sts,
    cfn,
    iam,
    quotas,
    lambda,
    /** Command names across all clients, in call order. */
    calls(): string[] {
      // Sinon numbers every call it records across all stubs (callId), which gives the global order.
      const order = (call: object) => (call as { callId: number }).callId;
      return all
        .flatMap((mock) => mock.calls())
        .sort((a, b) => order(a) - order(b))
        .map((call) => (call.args[0] as object).constructor.name.replace(/Command$/, ''));
    },
    reset() {
      all.forEach((mock) => mock.reset());
    },
    restore() {
      all.forEach((mock) => mock.restore());
    },
  };
}

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/skillproof-t1/0a1b2c3d`;
export const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`;

export const credentials = (id: string, expiration = new Date('2030-01-01T11:00:00Z')) => ({
  Credentials: { AccessKeyId: id, SecretAccessKey: `${id}-secret`, SessionToken: `${id}-token`, Expiration: expiration },
});

let eventCounter = 0;
export const event = (logicalId: string, status: string, reason?: string, type = 'AWS::IAM::Role'): StackEvent => ({
  EventId: `event-${++eventCounter}`,
  StackId: STACK_ID,
  StackName: 'skillproof-t1',
  LogicalResourceId: logicalId,
  ResourceType: type,
  ResourceStatus: status as StackEvent['ResourceStatus'],
  ResourceStatusReason: reason,
  Timestamp: new Date(Date.UTC(2030, 0, 1, 10, 0, eventCounter)),
});

/** Makes an error the way the SDK does: a name (the AWS error code) and a message. */
export const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });

export const fast = { pollIntervalMs: 0, sleep: async () => undefined };
