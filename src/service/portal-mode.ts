/**
 * What the portal needs in service mode, from the environment the service stack sets: with the
 * lifecycle's state machine ARN (SERVICE_STACK_ENV.lifecycleStateMachineArn) the portal starts and
 * wakes attempt lifecycles and queues progress checks instead of grading in the request; without it,
 * the options are empty and the portal grades in-process as `skillproof serve` does.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { PortalOptions } from '../server/portal';
import type { Store } from '../store/types';
import { sqsGradingDispatcher } from './dispatch';
import { serviceIssuerSource } from './issuer';
import { SERVICE_ENV } from './jobs';
import { DynamoSubmitTokens, sfnAttemptLifecycle } from './lifecycle-callbacks';
import { SERVICE_STACK_ENV } from './stack-contract';

export interface ServiceClients {
  sfn: Pick<SFNClient, 'send'>;
  sqs: Pick<SQSClient, 'send'>;
  dynamodb: Pick<DynamoDBClient, 'send'>;
  kms: Pick<KMSClient, 'send'>;
}

export class ServiceModeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceModeError';
  }
}

/** Whether the environment is the deployed service's (the portal hands grading to the lifecycle and the queue). */
export function isServiceMode(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env[SERVICE_STACK_ENV.lifecycleStateMachineArn]);
}

function defaultClients(): ServiceClients {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { SFNClient: Sfn } = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
  const { SQSClient: Sqs } = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
  const { DynamoDBClient: Dynamo } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
  const { KMSClient: Kms } = require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { sfn: new Sfn({}), sqs: new Sqs({}), dynamodb: new Dynamo({}), kms: new Kms({}) };
}

/** The portal options of service mode (the lifecycle, the queue, the KMS issuer); {} outside it. */
export function servicePortalOptions(
  env: NodeJS.ProcessEnv,
  store: () => Promise<Store>,
  clients: () => ServiceClients = defaultClients,
): Pick<PortalOptions, 'lifecycle' | 'dispatcher' | 'issuerSource'> {
  const stateMachineArn = env[SERVICE_STACK_ENV.lifecycleStateMachineArn];
  if (!stateMachineArn) return {};
  const queueUrl = env[SERVICE_ENV.gradingQueueUrl];
  if (!queueUrl) throw new ServiceModeError(`${SERVICE_STACK_ENV.lifecycleStateMachineArn} is set but ${SERVICE_ENV.gradingQueueUrl} is not: progress checks are queued in service mode`);
  const spec = env[SERVICE_ENV.store] ?? '';
  if (!spec.startsWith('dynamodb:')) {
    throw new ServiceModeError(`${SERVICE_ENV.store}="${spec}": in service mode the lifecycle's submit tokens live in the service's DynamoDB table (dynamodb:<table>)`);
  }
  const { sfn, sqs, dynamodb, kms } = clients();
  return {
    lifecycle: sfnAttemptLifecycle({ sfn, stateMachineArn, tokens: new DynamoSubmitTokens(dynamodb, spec.slice('dynamodb:'.length)) }),
    dispatcher: sqsGradingDispatcher({ sqs, queueUrl }),
    issuerSource: serviceIssuerSource(env, store, () => kms),
  };
}
