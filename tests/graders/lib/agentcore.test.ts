import type { MemoryStrategy } from '@aws-sdk/client-bedrock-agentcore-control';
import { actorNamespacePrefix, judgeJwtAuthoriser, lambdaTools, mentionsCode, readyEndpoint, runtimeResponseText, semanticStrategies } from '../../../graders/lib/agentcore';

const DISCOVERY = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/openid-configuration';
const strategy = (over: Partial<MemoryStrategy>): MemoryStrategy => ({ strategyId: 's-1', name: 's', type: 'SEMANTIC', namespaces: undefined, namespaceTemplates: undefined, ...over });
const endpoint = (name: string, status: 'READY' | 'UPDATING') => ({ name, status, agentRuntimeEndpointArn: `arn:${name}`, agentRuntimeArn: 'arn:rt', id: name, createdAt: new Date(0), lastUpdatedAt: new Date(0) });

describe('agentcore', () => {
  it('prefers the DEFAULT endpoint when it is READY, else any READY one', () => {
    expect(readyEndpoint([endpoint('prod', 'READY'), endpoint('DEFAULT', 'READY')])?.name).toBe('DEFAULT');
    expect(readyEndpoint([endpoint('DEFAULT', 'UPDATING'), endpoint('prod', 'READY')])?.name).toBe('prod');
    expect(readyEndpoint([endpoint('DEFAULT', 'UPDATING')])).toBeUndefined();
  });

  describe('judgeJwtAuthoriser', () => {
    it('passes CUSTOM_JWT with a discovery URL and allowed clients or audience', () => {
      expect(judgeJwtAuthoriser({ authorizerType: 'CUSTOM_JWT', authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: DISCOVERY, allowedClients: ['c1'] } } }).ok).toBe(true);
      expect(judgeJwtAuthoriser({ authorizerType: 'CUSTOM_JWT', authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: DISCOVERY, allowedAudience: ['aud'] } } }).ok).toBe(true);
    });

    it('fails no authoriser, IAM, a malformed discovery URL and a JWT authoriser open to every client', () => {
      expect(judgeJwtAuthoriser({ authorizerType: 'NONE' }).reason).toContain('NONE');
      expect(judgeJwtAuthoriser({ authorizerType: 'AWS_IAM' }).reason).toContain('AWS_IAM');
      expect(judgeJwtAuthoriser({ authorizerType: 'CUSTOM_JWT', authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: 'http://idp.example/jwks.json', allowedClients: ['c1'] } } }).ok).toBe(false);
      expect(judgeJwtAuthoriser({ authorizerType: 'CUSTOM_JWT', authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: DISCOVERY } } }).reason).toContain('any token');
    });
  });

  it('lists Lambda targets with their inline tools, and skips other kinds of target', () => {
    const tools = lambdaTools([
      {
        targetId: 'T1',
        name: 'tickets',
        status: 'READY',
        targetConfiguration: { mcp: { lambda: { lambdaArn: 'arn:aws:lambda:eu-west-1:1:function:f', toolSchema: { inlinePayload: [{ name: 'get_ticket', description: 'd', inputSchema: { type: 'object' } }] } } } },
        credentialProviderConfigurations: [{ credentialProviderType: 'GATEWAY_IAM_ROLE' }],
      },
      { targetId: 'T2', name: 'api', status: 'READY', targetConfiguration: { mcp: { openApiSchema: { s3: { uri: 's3://b/k' } } } }, credentialProviderConfigurations: [] },
    ]);
    expect(tools).toEqual([{ targetId: 'T1', targetName: 'tickets', status: 'READY', lambdaArn: 'arn:aws:lambda:eu-west-1:1:function:f', tools: ['get_ticket'], credentialProviders: ['GATEWAY_IAM_ROLE'] }]);
  });

  it('counts built-in SEMANTIC and CUSTOM semantic-override strategies as semantic', () => {
    const memory = {
      strategies: [strategy({ type: 'SEMANTIC' }), strategy({ type: 'CUSTOM', configuration: { type: 'SEMANTIC_OVERRIDE' } }), strategy({ type: 'CUSTOM', configuration: { type: 'SUMMARY_OVERRIDE' } }), strategy({ type: 'SUMMARIZATION' })],
    };
    expect(semanticStrategies(memory).map((s) => `${s.type}:${s.configuration?.type ?? ''}`)).toEqual(['SEMANTIC:', 'CUSTOM:SEMANTIC_OVERRIDE']);
  });

  it('resolves an actor\'s namespace prefix from the strategy\'s template', () => {
    expect(actorNamespacePrefix(strategy({ strategyId: 'facts-1', namespaceTemplates: ['/strategies/{memoryStrategyId}/actors/{actorId}'] }), 'u1')).toBe('/strategies/facts-1/actors/u1');
    expect(actorNamespacePrefix(strategy({ namespaces: ['/users/{actorId}/sessions/{sessionId}'] }), 'u1')).toBe('/users/u1/sessions/');
    expect(actorNamespacePrefix(strategy({}), 'u1')).toBe('/');
  });

  it('reads plain, JSON and server-sent-event answers as text', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(runtimeResponseText(bytes('{"result":"code 12ab"}'), 'application/json')).toBe('{"result":"code 12ab"}');
    expect(runtimeResponseText(bytes('data: "Your code is 12"\n\ndata: "ab-34cd."\n\n'), 'text/event-stream')).toBe('Your code is 12ab-34cd.');
    expect(runtimeResponseText(bytes('data: {"event":{"delta":{"text":"12ab"}}}\n\ndata: [DONE]\n\n'), 'text/event-stream; charset=utf-8')).toBe('12ab[DONE]');
    expect(runtimeResponseText(undefined, undefined)).toBe('');
  });

  it('finds a code however the model formats it', () => {
    expect(mentionsCode('Your locker code is 3FA2-B1C9.', '3fa2-b1c9')).toBe(true);
    expect(mentionsCode('It is 3fa2 b1c9', '3fa2-b1c9')).toBe(true);
    expect(mentionsCode('I do not know it', '3fa2-b1c9')).toBe(false);
  });
});
