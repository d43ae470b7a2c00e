import { runInNewContext } from 'node:vm';
import { SEED_HANDLER_SOURCE } from '../../cdk/lib/seed-handler';

/**
 * Runs the inline seed handler as Lambda would, with fake AWS SDK clients and a fake https module that
 * captures the response CloudFormation receives.
 */
function loadHandler(options: { failWith?: Error } = {}) {
  const sent: { command: string; input: Record<string, unknown> }[] = [];
  const responses: { url: string; body: Record<string, unknown> }[] = [];
  const command = (name: string) =>
    class {
      constructor(readonly input: Record<string, unknown>) {}
      readonly name = name;
    };
  class Client {
    async send(c: { name: string; input: Record<string, unknown> }) {
      if (options.failWith) throw options.failWith;
      sent.push({ command: c.name, input: c.input });
      return {};
    }
  }
  const modules: Record<string, unknown> = {
    '@aws-sdk/client-s3': { S3Client: Client, PutObjectCommand: command('PutObject'), DeleteObjectCommand: command('DeleteObject') },
    '@aws-sdk/client-dynamodb': { DynamoDBClient: Client, PutItemCommand: command('PutItem'), DeleteItemCommand: command('DeleteItem') },
    https: {
      request(url: string, _opts: unknown, onResponse: (res: { resume(): void; on(event: string, fn: () => void): void }) => void) {
        return {
          on: () => undefined,
          end(body: string) {
            responses.push({ url, body: JSON.parse(body) as Record<string, unknown> });
            onResponse({ resume: () => undefined, on: (_event, fn) => fn() });
          },
        };
      },
    },
  };
  const exports: { handler?: (event: unknown) => Promise<void> } = {};
  runInNewContext(SEED_HANDLER_SOURCE, { require: (name: string) => modules[name], exports, Buffer, JSON, String, Promise, console: { error: () => undefined } });
  return { handler: exports.handler!, sent, responses };
}

const event = (requestType: string, properties: Record<string, string>, physicalId?: string) => ({
  RequestType: requestType,
  ResponseURL: 'https://cloudformation-custom-resource-response.example/presigned',
  StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/skillproof-t1/x',
  RequestId: 'r1',
  LogicalResourceId: 'SeedsItem0',
  PhysicalResourceId: physicalId,
  ResourceProperties: { ServiceToken: 'arn', ...properties },
});

const item = { Kind: 'dynamodb-item', Table: 'skillproof-t1-products', Key: '{"sku":{"S":"a1"}}', Item: '{"sku":{"S":"a1"},"price":{"N":"3"}}' };
const object = { Kind: 's3-object', Bucket: 'skillproof-t1-catalog', Key: 'products.json', Body: '[]', ContentType: 'application/json', Tagging: 'skillproof%3Aattempt=t1' };

describe('seed handler (inline custom resource code)', () => {
  it('fits in an inline ZipFile', () => {
    expect(SEED_HANDLER_SOURCE.length).toBeLessThan(4096);
  });

  it('puts a DynamoDB item on create and reports success with a stable physical id', async () => {
    const { handler, sent, responses } = loadHandler();
    await handler(event('Create', item));
    expect(sent).toEqual([{ command: 'PutItem', input: { TableName: 'skillproof-t1-products', Item: { sku: { S: 'a1' }, price: { N: '3' } } } }]);
    expect(responses[0]!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'dynamodb://skillproof-t1-products/{"sku":{"S":"a1"}}', RequestId: 'r1' });
  });

  it('puts an S3 object with its tags on create and deletes it on delete', async () => {
    const { handler, sent } = loadHandler();
    await handler(event('Create', object));
    await handler(event('Delete', object, 's3://skillproof-t1-catalog/products.json'));
    expect(sent.map((s) => s.command)).toEqual(['PutObject', 'DeleteObject']);
    expect(sent[0]!.input).toMatchObject({ Bucket: 'skillproof-t1-catalog', Key: 'products.json', Tagging: 'skillproof%3Aattempt=t1', ContentType: 'application/json' });
  });

  it('reports FAILED with the reason when a create fails, so the stack rolls back', async () => {
    const { handler, responses } = loadHandler({ failWith: new Error('AccessDenied: not allowed') });
    await handler(event('Create', item));
    expect(responses[0]!.body).toMatchObject({ Status: 'FAILED', Reason: 'AccessDenied: not allowed' });
  });

  it('reports success when a delete fails, so stack deletion is not wedged', async () => {
    const { handler, responses } = loadHandler({ failWith: new Error('ResourceNotFoundException') });
    await handler(event('Delete', item, 'dynamodb://skillproof-t1-products/x'));
    expect(responses[0]!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'dynamodb://skillproof-t1-products/x' });
  });
});
