import type { CommandIO, MetadataBearer } from '@smithy/types';
import type { HttpRequest, HttpResponse } from '../aws/http';
import { operationOfCommand, serviceOfClient } from '../aws/operations';
import type { Responder } from '../aws/session';

type Output<O> = Omit<O, '$metadata'>;
type Handler<I, O> = (input: I) => Output<O> | Promise<Output<O>>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClientClass = abstract new (...args: any[]) => unknown;

/** An AWS-shaped error, as the SDK throws it. */
export function awsError(code: string, message: string, httpStatus = 400): Error {
  const err = new Error(message) as Error & { $fault: string; $metadata: object };
  err.name = code;
  err.$fault = httpStatus >= 500 ? 'server' : 'client';
  err.$metadata = { httpStatusCode: httpStatus, requestId: `fake-${code}` };
  return err;
}

/**
 * A simulated AWS account for writing fixtures: handlers typed by the SDK's own input and output
 * types, so a wrong response shape fails to compile. Grading it in simulate mode records the
 * transcript that becomes the fixture. A call with no handler fails loudly.
 */
export class FakeAccount {
  private readonly handlers = new Map<string, (input: unknown) => unknown>();
  private readonly httpHandlers: Array<{ method: string; url: string; handler: (req: HttpRequest) => HttpResponse | Promise<HttpResponse> }> = [];
  private requestCounter = 0;

  constructor(
    readonly accountId = '111122223333',
    readonly region = 'eu-west-1',
  ) {}

  on<I extends object, O extends MetadataBearer>(client: AnyClientClass, command: new (input: I) => CommandIO<I, O>, handler: NoInfer<Handler<I, O>>): this {
    this.handlers.set(`${serviceOfClient(client.name)}.${operationOfCommand(command.name)}`, handler as (input: unknown) => unknown);
    return this;
  }

  /** Answers HTTP probes whose URL starts with `url`. */
  onHttp(method: HttpRequest['method'], url: string, handler: (req: HttpRequest) => HttpResponse | Promise<HttpResponse>): this {
    this.httpHandlers.unshift({ method, url, handler });
    return this;
  }

  /** Makes every call of one operation fail (throttling, AccessDenied…). */
  failing(client: AnyClientClass, command: abstract new (...args: never[]) => unknown, code: string, httpStatus: number, message = code): this {
    this.handlers.set(`${serviceOfClient(client.name)}.${operationOfCommand(command.name)}`, () => {
      throw awsError(code, message, httpStatus);
    });
    return this;
  }

  /** Makes every call of one operation fail as AWS refuses SkillProof's grader role (`detail`: the action, and resource if AWS names one). */
  deniedToGrader(client: AnyClientClass, command: abstract new (...args: never[]) => unknown, code: 'AccessDenied' | 'AccessDeniedException', detail: string): this {
    return this.failing(client, command, code, 403, `User: arn:aws:sts::${this.accountId}:assumed-role/SkillProofGrader/x is not authorized to perform: ${detail}`);
  }

  readonly responder: Responder = async (service, operation, input) => {
    const requestId = `req-${String(++this.requestCounter).padStart(4, '0')}`;
    if (service === 'HTTP') {
      const req = input as { url: string; headers: Record<string, string>; body: string | null };
      const h = this.httpHandlers.find((x) => x.method === operation && req.url.startsWith(x.url));
      if (!h) throw awsError('ENOTFOUND', `getaddrinfo ENOTFOUND ${new URL(req.url).host}`, 0);
      return h.handler({ method: operation as HttpRequest['method'], url: req.url, headers: req.headers, ...(req.body !== null ? { body: req.body } : {}) });
    }
    const handler = this.handlers.get(`${service}.${operation}`);
    if (!handler) throw new Error(`the simulated account has no handler for ${service}.${operation}; add one with .on(${service}Client, ${operation}Command, ...)`);
    const output = await handler(input);
    return { ...(output as object), $metadata: { httpStatusCode: 200, requestId } };
  };
}
