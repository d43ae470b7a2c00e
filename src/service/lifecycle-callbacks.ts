/**
 * The seam between the portal/API and the attempt lifecycle (Step Functions): the API starts an
 * attempt's execution when the candidate starts, and wakes it when the candidate submits. The
 * lifecycle waits for submit with a task token (callback pattern), which it keeps in the service's
 * table beside the attempt until the candidate submits or the time runs out.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { AttemptLifecycle } from '../server/portal';
import { SERVICE_TABLE_KEYS } from './stack-contract';

/** Where the lifecycle keeps the token of the task that waits for an attempt's submit. */
export interface SubmitTokens {
  /** Replaces the attempt's token (a resumed wait gets a new one); kept until a day after `expiresAt`. */
  put(attemptId: string, taskToken: string, expiresAt: Date): Promise<void>;
  /** Removes and returns the token, if any. */
  take(attemptId: string): Promise<string | undefined>;
}

/**
 * Submit tokens as items of the service table, in a key space of their own (`LIFECYCLE#<attempt>` /
 * `SUBMIT_TOKEN`), expired by the table's TTL attribute if nobody takes them.
 */
export class DynamoSubmitTokens implements SubmitTokens {
  constructor(
    private readonly client: Pick<DynamoDBClient, 'send'>,
    private readonly tableName: string,
  ) {}

  private key(attemptId: string) {
    return { [SERVICE_TABLE_KEYS.partitionKey]: { S: `LIFECYCLE#${attemptId}` }, [SERVICE_TABLE_KEYS.sortKey]: { S: 'SUBMIT_TOKEN' } };
  }

  async put(attemptId: string, taskToken: string, expiresAt: Date): Promise<void> {
    const ttl = Math.floor(expiresAt.getTime() / 1000) + 86_400;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { ...this.key(attemptId), taskToken: { S: taskToken }, [SERVICE_TABLE_KEYS.timeToLiveAttribute]: { N: String(ttl) } },
      }),
    );
  }

  async take(attemptId: string): Promise<string | undefined> {
    const out = await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: this.key(attemptId), ReturnValues: 'ALL_OLD' }));
    return out.Attributes?.taskToken?.S;
  }

  /** For tests and diagnostics: the token without removing it. */
  async peek(attemptId: string): Promise<string | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(attemptId), ConsistentRead: true }));
    return out.Item?.taskToken?.S;
  }
}

/** Errors meaning the waiting task is gone (timed out, already answered): nothing is waiting any more. */
const GONE = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

/**
 * Tells the lifecycle that the attempt's wait is over (submitted, or no longer open). Returns whether
 * a waiting task took the news; false when nothing was waiting, which is not an error: the wait
 * checks the attempt's state itself when it starts, and times out at expiry.
 */
export async function wakeLifecycle(sfn: Pick<SFNClient, 'send'>, tokens: SubmitTokens, attemptId: string): Promise<boolean> {
  const token = await tokens.take(attemptId);
  if (!token) return false;
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ attemptId }) }));
    return true;
  } catch (e) {
    if (e instanceof Error && GONE.has(e.name)) return false;
    throw e;
  }
}

/**
 * Starts the attempt's lifecycle: one execution per attempt, named after it (an administrator's re-run
 * of the final grading gets its own, `regradeExecutionName`). A second start with the same name (a
 * retried request) is no error: Step Functions refuses a name used in the last 90 days.
 */
export async function startLifecycle(
  sfn: Pick<SFNClient, 'send'>,
  stateMachineArn: string,
  attemptId: string,
  name: string = attemptId,
): Promise<{ executionArn?: string; alreadyStarted: boolean }> {
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ attemptId }) }));
    return { executionArn: out.executionArn, alreadyStarted: false };
  } catch (e) {
    if (e instanceof Error && e.name === 'ExecutionAlreadyExists') return { alreadyStarted: true };
    throw e;
  }
}

/**
 * The execution of an administrator's re-run of round `round`: the lifecycle finds the attempt
 * submitted, skips the deploy and the wait (the sandbox is frozen already), grades and records it.
 */
export function regradeExecutionName(attemptId: string, round: number): string {
  return `${attemptId}-r${round}`;
}

/** The portal's side of the lifecycle in service mode (src/server/portal.ts `AttemptLifecycle`). */
export function sfnAttemptLifecycle(options: { sfn: Pick<SFNClient, 'send'>; stateMachineArn: string; tokens: SubmitTokens }): AttemptLifecycle {
  const { sfn, stateMachineArn, tokens } = options;
  return {
    async started(attempt) {
      await startLifecycle(sfn, stateMachineArn, attempt.id);
    },
    async submitted(attempt) {
      await wakeLifecycle(sfn, tokens, attempt.id);
    },
    async regrade(attempt) {
      await startLifecycle(sfn, stateMachineArn, attempt.id, regradeExecutionName(attempt.id, attempt.finalRound));
    },
  };
}
