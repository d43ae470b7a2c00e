import type { MemoryStrategy } from '@aws-sdk/client-bedrock-agentcore-control';
import { actorNamespacePrefix, cognitoPoolOf, isGatewayTool, judgeJwtAuthoriser, lambdaTools, mcpMessageOf, mentionsCode, runtimeResponseText, semanticStrategies, toolResultText } from '../../../graders/lib/agentcore';

const DISCOVERY = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/openid-configuration';
const strategy = (over: Partial<MemoryStrategy>): MemoryStrategy => ({ strategyId: 's-1', name: 's', type: 'SEMANTIC', namespaces: undefined, namespaceTemplates: undefined, ...over });
const jwt = (config: Record<string, unknown>, discoveryUrl = DISCOVERY) => judgeJwtAuthoriser({ authorizerType: 'CUSTOM_JWT', authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl, ...config } } });

describe('agentcore', () => {
  describe('judgeJwtAuthoriser', () => {
    it('passes CUSTOM_JWT with a discovery URL restricted by clients, scopes or custom claims', () => {
      expect(jwt({ allowedClients: ['c1'] })).toMatchObject({ ok: true, reason: expect.stringContaining('client(s) c1') });
      expect(jwt({ allowedScopes: ['helpdesk-tools/invoke'] })).toMatchObject({ ok: true, reason: expect.stringContaining('scope(s) helpdesk-tools/invoke') });
      const claim = { inboundTokenClaimName: 'client_id', inboundTokenClaimValueType: 'STRING', authorizingClaimMatchValue: { claimMatchValue: { matchValueString: 'c1' }, claimMatchOperator: 'EQUALS' } };
      expect(jwt({ customClaims: [claim] })).toMatchObject({ ok: true, reason: expect.stringContaining('claim(s) client_id EQUALS c1') });
    });

    it('passes an allowed audience from an identity provider whose access tokens carry one, and fails it on Cognito, whose access tokens have no aud', () => {
      expect(jwt({ allowedAudience: ['api://helpdesk'] }, 'https://login.example.org/.well-known/openid-configuration').ok).toBe(true);
      const cognito = jwt({ allowedAudience: ['c1'], allowedClients: ['c1'] });
      expect(cognito.ok).toBe(false);
      expect(cognito.reason).toContain('Cognito access tokens carry client_id, not aud');
      expect(cognitoPoolOf(DISCOVERY)).toBe('eu-west-1_AbC');
      expect(cognitoPoolOf('https://login.example.org/.well-known/openid-configuration')).toBeUndefined();
    });

    it('fails no authoriser, IAM, a malformed discovery URL and a JWT authoriser open to every client', () => {
      expect(judgeJwtAuthoriser({ authorizerType: 'NONE' }).reason).toContain('NONE');
      expect(judgeJwtAuthoriser({ authorizerType: 'AWS_IAM' }).reason).toContain('AWS_IAM');
      expect(judgeJwtAuthoriser({ authorizerType: 'CUSTOM_JWT', authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: 'http://idp.example/jwks.json', allowedClients: ['c1'] } } }).ok).toBe(false);
      expect(judgeJwtAuthoriser({ authorizerType: 'CUSTOM_JWT', authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: DISCOVERY } } }).reason).toContain('any token');
      expect(jwt({ allowedClients: [], allowedScopes: [], customClaims: [] }).reason).toContain('no specific audience, client, scope or claim');
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

  describe('MCP over streamable HTTP', () => {
    it('finds the JSON-RPC answer by id in a JSON body or in server-sent events', () => {
      expect(mcpMessageOf('{"jsonrpc":"2.0","id":2,"result":{"tools":[]}}', 'application/json', 2)?.result).toEqual({ tools: [] });
      const sse = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\ndata: {"jsonrpc":"2.0","id":3,"result":{"isError":false}}\n\n';
      expect(mcpMessageOf(sse, 'text/event-stream', 3)?.result).toEqual({ isError: false });
      expect(mcpMessageOf('<html>Forbidden</html>', 'text/html', 1)).toBeUndefined();
      expect(mcpMessageOf('{"jsonrpc":"2.0","id":1,"result":{}}', 'application/json', 2)).toBeUndefined();
    });

    it('names gateway tools <target>___<tool> and joins a tool result\'s text', () => {
      expect(isGatewayTool('ticket-status___get_ticket_status', 'get_ticket_status')).toBe(true);
      expect(isGatewayTool('get_ticket_status', 'get_ticket_status')).toBe(true);
      expect(isGatewayTool('ticket-status___get_ticket_status_v2', 'get_ticket_status')).toBe(false);
      expect(toolResultText({ content: [{ type: 'text', text: 'a' }, { type: 'image', data: 'x' }, { type: 'text', text: 'b' }] })).toBe('a\nb');
    });
  });
});
