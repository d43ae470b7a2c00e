import type { CommandIO, MetadataBearer } from '@smithy/types';
import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * The state of a simulated sandbox account: resources with their parents, the stack that made them and
 * their tags, plus the rules AWS documents for deleting them (what must go first, what AWS finishes
 * asynchronously). The service handlers in sim-account.ts read and change it through the mocked clients.
 */

export interface SimResource {
  key: string;
  /** CloudFormation type. */
  type: string;
  /** The physical id CloudFormation reports, and the identifier Cloud Control lists. */
  id: string;
  arn: string;
  region: string;
  parent?: string;
  /** The stack id that made it (CloudFormation tags it with aws:cloudformation:stack-id). */
  stackId?: string;
  tags: Record<string, string>;
  /** Free-form state a handler needs (status, path, versions…). */
  state: Record<string, unknown>;
  /** Set once a deletion AWS finishes asynchronously was requested: polls left before it is gone. */
  deletingPolls?: number;
}

/** An error as the SDK throws it: the AWS error code as its name. */
export function awsError(code: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name: code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

export interface CallRecord {
  command: string;
  input: Record<string, unknown>;
}

export class SimStore {
  readonly resources = new Map<string, SimResource>();
  readonly calls: CallRecord[] = [];
  /** Commands that throw ThrottlingException this many more times before answering. */
  readonly throttle = new Map<string, number>();
  /** ARNs the tagging API still lists although the resource is gone (it does that for a while). */
  readonly staleTagged: Array<{ arn: string; tags: Record<string, string> }> = [];
  /** Resource types the CloudFormation registry lists besides those of existing resources. */
  readonly registry = new Set<string>();
  /** API Gateway's account setting. */
  apiGatewayCloudWatchRole: string | undefined;

  constructor(
    readonly accountId: string,
    readonly region: string,
  ) {}

  key(type: string, id: string): string {
    return `${type}|${id}`;
  }

  add(type: string, id: string, arn: string, options: { parent?: SimResource; stackId?: string; tags?: Record<string, string>; state?: Record<string, unknown>; region?: string } = {}): SimResource {
    const tags = { ...(options.tags ?? {}), ...(options.stackId ? { 'aws:cloudformation:stack-id': options.stackId } : {}) };
    const resource: SimResource = {
      key: this.key(type, id),
      type,
      id,
      arn,
      region: options.region ?? this.region,
      tags,
      state: options.state ?? {},
      ...(options.parent ? { parent: options.parent.key } : {}),
      ...(options.stackId ? { stackId: options.stackId } : {}),
    };
    this.resources.set(resource.key, resource);
    return resource;
  }

  find(type: string, id: string | undefined): SimResource | undefined {
    return id === undefined ? undefined : this.resources.get(this.key(type, id));
  }

  /** A resource that must exist; otherwise the service's not-found error. */
  get(type: string, id: string | undefined, notFound: string, status = 400): SimResource {
    const found = this.find(type, id);
    if (!found) throw awsError(notFound, `${type} ${id} not found`, status);
    return found;
  }

  list(type: string, parent?: SimResource): SimResource[] {
    return [...this.resources.values()].filter((r) => r.type === type && (parent === undefined || r.parent === parent.key));
  }

  children(resource: SimResource, type?: string): SimResource[] {
    return [...this.resources.values()].filter((r) => r.parent === resource.key && (type === undefined || r.type === type));
  }

  /** Deletes a resource and everything under it. With `asyncPolls`, it lingers (DELETING) for that many reads. */
  remove(resource: SimResource, asyncPolls = 0): void {
    if (asyncPolls > 0) {
      resource.deletingPolls = asyncPolls;
      return;
    }
    for (const child of this.children(resource)) this.remove(child);
    this.resources.delete(resource.key);
  }

  /** A read of a resource being deleted asynchronously: it reports DELETING until its polls run out, then is gone. */
  poll(resource: SimResource): 'exists' | 'deleting' | 'gone' {
    if (resource.deletingPolls === undefined) return 'exists';
    if (resource.deletingPolls > 0) {
      resource.deletingPolls--;
      return 'deleting';
    }
    this.remove(resource);
    return 'gone';
  }

  /** Commands seen, in order, that change something (not List/Get/Describe/BatchGet). */
  mutations(): CallRecord[] {
    return this.calls.filter((c) => !/^(List|Get|Describe|BatchGet|Head)/.test(c.command));
  }
}

type Output<O> = Omit<O, '$metadata'>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStub = AwsStub<any, any, any>;

/**
 * Answers one command of a mocked client with a handler typed by the SDK's own input and output types,
 * so a response of the wrong shape fails to compile. Every call is recorded; throttling is injected here.
 */
export function handler(store: SimStore, stub: AnyStub) {
  return <I extends object, O extends MetadataBearer>(command: new (input: I) => CommandIO<I, O>, fn: NoInfer<(input: I, region: string) => Output<O> | Promise<Output<O>>>) => {
    const name = command.name.replace(/Command$/, '');
    stub.on(command as never).callsFake(async (input: I, getClient: () => { config: { region: () => Promise<string> } }) => {
      store.calls.push({ command: name, input: input as Record<string, unknown> });
      const left = store.throttle.get(name) ?? 0;
      if (left > 0) {
        store.throttle.set(name, left - 1);
        throw awsError('ThrottlingException', 'Rate exceeded', 400);
      }
      const region = await getClient().config.region();
      return { ...(await fn(input, region)), $metadata: { httpStatusCode: 200 } };
    });
  };
}
