import type { FunctionSchema } from '@aws-sdk/client-bedrock-agent';
import { aliasVersion, functionsTaking, isPublishedVersion, openApiOperations, parseAgentAliasArn } from '../../../graders/lib/bedrock-agent';

describe('openApiOperations', () => {
  it('reads paths and methods from a JSON document', () => {
    const doc = JSON.stringify({ openapi: '3.0.0', paths: { '/orders/{orderId}': { get: {}, parameters: [] }, '/orders': { POST: {} } } });
    expect(openApiOperations(doc)).toEqual(new Map([['/orders/{orderId}', ['get']], ['/orders', ['post']]]));
  });

  it('reads block-style YAML, quoted or not, ignoring parameters, comments and block scalars', () => {
    const yaml = [
      'openapi: 3.0.0',
      '# the order API',
      'paths:',
      '  "/orders/{orderId}":',
      '    parameters:',
      '      - name: orderId',
      '    get:',
      '      description: |',
      '        put: not a method',
      '  /orders:',
      '    post:',
      '      summary: x',
      'components: {}',
    ].join('\n');
    expect(openApiOperations(yaml)).toEqual(new Map([['/orders/{orderId}', ['get']], ['/orders', ['post']]]));
  });

  it('returns undefined when the text is neither JSON with paths nor YAML with a top-level paths key', () => {
    expect(openApiOperations('{"openapi":"3.0.0"}')).toBeUndefined();
    expect(openApiOperations('just some words')).toBeUndefined();
  });
});

describe('functionsTaking', () => {
  it('finds the functions with the named parameter and reports its type', () => {
    const schema: FunctionSchema = { functions: [{ name: 'get_order', parameters: { orderId: { type: 'string', required: true } } }, { name: 'list_orders', parameters: {} }] };
    expect(functionsTaking(schema, 'orderId')).toEqual([{ functionName: 'get_order', type: 'string', required: true }]);
    expect(functionsTaking(undefined, 'orderId')).toEqual([]);
  });
});

describe('agent versions and alias ARNs', () => {
  it('tells published versions from the draft', () => {
    expect(['1', '12', 'DRAFT', '0', undefined].map(isPublishedVersion)).toEqual([true, true, false, false, false]);
  });

  it('reads the version an alias routes to', () => {
    expect(aliasVersion({ routingConfiguration: [{ agentVersion: '3' }] })).toBe('3');
    expect(aliasVersion({ routingConfiguration: [] })).toBeUndefined();
  });

  it('parses agent-alias ARNs and rejects other ARNs', () => {
    expect(parseAgentAliasArn('arn:aws:bedrock:eu-west-1:111122223333:agent-alias/AGENT12345/ALIAS12345')).toEqual({
      region: 'eu-west-1',
      accountId: '111122223333',
      agentId: 'AGENT12345',
      agentAliasId: 'ALIAS12345',
    });
    expect(parseAgentAliasArn('arn:aws:bedrock:eu-west-1:111122223333:agent/AGENT12345')).toBeUndefined();
  });
});
