/**
 * Answers a Step Functions task waiting for a grading job (waitForTaskToken). A token Step
 * Functions no longer accepts is logged and dropped: TaskTimedOut means "the task token has either
 * expired or the task associated with the token has already been closed" (SendTaskSuccess API
 * reference), which is what a duplicate delivery of an answered job gets; InvalidToken and
 * TaskDoesNotExist cannot succeed on a retry either. Anything else (throttling, KMS, network) is
 * thrown, so the message is delivered again and the answer re-sent.
 */
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskCallbacks, TaskOutput, WorkerLog } from './process-jobs';

const GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** SendTaskFailure's limits: error at most 256 characters, cause at most 32,768. */
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export function sfnTaskCallbacks(sfn: Pick<SFNClient, 'send'>, log: WorkerLog): TaskCallbacks {
  const send = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (e) {
      const name = (e as Error).name;
      if (!GONE.has(name)) throw e;
      // The token itself is never logged: it lets its holder complete the task.
      log({ level: 'warn', event: 'task-token-gone', callback: what, error: name, message: (e as Error).message });
    }
  };
  return {
    succeed: (taskToken: string, output: TaskOutput) =>
      send('SendTaskSuccess', () => sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }))),
    fail: (taskToken: string, error: string, cause: string) =>
      send('SendTaskFailure', () => sfn.send(new SendTaskFailureCommand({ taskToken, error: clip(error, 256), cause: clip(cause, 32_768) }))),
    heartbeat: (taskToken: string) => send('SendTaskHeartbeat', () => sfn.send(new SendTaskHeartbeatCommand({ taskToken }))),
  };
}
