import fc from 'fast-check';
import { loadCatalog } from '../../src/catalog/load';
import { encodeValue, type Json } from '../../src/evidence/canonical';
import { isSecretKey, redact, REDACTED } from '../../src/evidence/redact';
import { gradeSimulated } from '../../src/engine/grade';
import { loadScenarios } from '../../src/testing/scenarios';

/** Every path in a value with the JSON type found there: equal skeletons mean equal keys and types. */
function skeleton(value: Json, path = '$', out: string[] = []): string[] {
  if (Array.isArray(value)) {
    out.push(`${path}:array(${value.length})`);
    value.forEach((v, i) => skeleton(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    out.push(`${path}:object`);
    for (const k of Object.keys(value).sort()) skeleton(value[k] as Json, `${path}.${k}`, out);
  } else {
    out.push(`${path}:${value === null ? 'null' : typeof value}`);
  }
  return out;
}

/** Paths whose value redaction changed; each must have held a string. */
function changed(before: Json, after: Json, path = '$', out: Array<[string, Json]> = []): Array<[string, Json]> {
  if (before !== null && typeof before === 'object' && after !== null && typeof after === 'object') {
    for (const k of Object.keys(before)) changed((before as Record<string, Json>)[k] as Json, (after as Record<string, Json>)[k] as Json, `${path}.${k}`, out);
  } else if (before !== after) out.push([path, before]);
  return out;
}

describe('redaction', () => {
  it.each([
    ['HTTP API route flags and enums (GetRoutes)', { Items: [{ ApiKeyRequired: false, AuthorizationType: 'NONE', RouteKey: 'POST /orders', RouteId: 'r1', Target: 'integrations/i1' }] }],
    ['a REST method (GetMethod)', { httpMethod: 'POST', authorizationType: 'AWS_IAM', apiKeyRequired: true, authorizationScopes: ['orders/write'] }],
    ['a REST API (GetRestApi)', { id: 'a1', name: 'orders', apiKeySource: 'HEADER', disableExecuteApiEndpoint: false }],
    ['an HTTP API (GetApi)', { ApiId: 'a1', ApiKeySelectionExpression: '$request.header.x-api-key', ProtocolType: 'HTTP' }],
    ['a REST integration credentials role', { type: 'AWS_PROXY', credentials: 'arn:aws:iam::111122223333:role/api-invoke' }],
    ['an IAM user', { User: { UserName: 'u', PasswordLastUsed: { $date: '2026-01-01T00:00:00.000Z' } } }],
    ['a secret ARN', { SecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf' }],
  ] as const)('keeps what is not a secret: %s', (_what, value) => {
    expect(redact(encodeValue(value))).toEqual(encodeValue(value));
  });

  it.each([
    ['Lambda environment values, whatever the names', { Environment: { Variables: { TABLE_NAME: 'orders', KEY: 'v' } } }, { Environment: { Variables: { TABLE_NAME: REDACTED, KEY: REDACTED } } }],
    ['session credentials, member by member, keeping the expiry', { Credentials: { AccessKeyId: 'A', SecretAccessKey: 'S', SessionToken: 'T', Expiration: { $date: '2026-01-01T00:00:00.000Z' } } }, { Credentials: { AccessKeyId: REDACTED, SecretAccessKey: REDACTED, SessionToken: REDACTED, Expiration: { $date: '2026-01-01T00:00:00.000Z' } } }],
    ['an API key value', { apiKey: 'k-123', x: 1 }, { apiKey: REDACTED, x: 1 }],
    ['a client secret', { ClientSecret: 'cs' }, { ClientSecret: REDACTED }],
  ] as const)('redacts %s', (_what, value, expected) => {
    expect(redact(encodeValue(value))).toEqual(expected);
  });

  it('states the key rule: flags, enums, ids and ARNs named like secrets are not secrets', () => {
    expect(['ApiKeyRequired', 'apiKeyRequired', 'AuthorizationType', 'apiKeySource', 'ApiKeySelectionExpression', 'credentialsArn', 'SecretArn', 'PasswordLastUsed', 'NextToken'].filter(isSecretKey)).toEqual([]);
    expect(['SessionToken', 'SecretAccessKey', 'AccessKeyId', 'Password', 'Authorization', 'apiKey', 'Credentials', 'IdToken', 'ClientSecret'].every(isSecretKey)).toBe(true);
  });

  const secretishKey = fc.constantFrom('ApiKeyRequired', 'apiKey', 'AuthorizationType', 'Authorization', 'Credentials', 'SessionToken', 'NextToken', 'Password', 'SecretArn', 'Variables', 'Environment', 'environmentVariables', 'Name', 'Enabled', 'Count');
  const json = fc.letrec<{ value: Json }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.string(),
      fc.constant('https://b.s3.amazonaws.com/k?X-Amz-Signature=abc'),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.oneof(secretishKey, fc.string({ maxLength: 6 })), tie('value'), { maxKeys: 4 }),
    ),
  })).value;

  it('keeps every key and every value\'s type, and changes only strings (property)', () => {
    fc.assert(
      fc.property(json, (value) => {
        const out = redact(value);
        expect(skeleton(out)).toEqual(skeleton(value));
        for (const [path, before] of changed(value, out)) expect([path, typeof before]).toEqual([path, 'string']);
      }),
      { seed: 1106, numRuns: 500 },
    );
  });

  it('redacts the tokens in a JSON HTTP body (an OAuth token endpoint\'s answer), keeping the body a string and its other members', () => {
    const answer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":"eyJ.a.b","id_token":"eyJ.c.d","refresh_token":"r","expires_in":3600,"token_type":"Bearer"}' };
    const stored = redact(encodeValue(answer)) as typeof answer;
    expect(JSON.parse(stored.body)).toEqual({ access_token: REDACTED, id_token: REDACTED, refresh_token: REDACTED, expires_in: 3600, token_type: 'Bearer' });
    expect(redact(encodeValue({ input: { body: '{"client_secret":"s","grant_type":"client_credentials"}' } }))).toEqual({ input: { body: `{"client_secret":"${REDACTED}","grant_type":"client_credentials"}` } });
  });

  it('keeps an HTTP body without secrets exactly as sent, JSON or not', () => {
    for (const body of ['{ "jsonrpc": "2.0", "id": 3, "result": {"isError": false} }', 'grant_type=client_credentials&scope=helpdesk-tools%2Finvoke', '{not json', '']) {
      expect(redact(encodeValue({ status: 200, body }))).toEqual({ status: 200, body });
    }
  });

  it('is idempotent, so re-storing a stored answer changes nothing', () => {
    fc.assert(fc.property(json, (value) => expect(redact(redact(value))).toEqual(redact(value))), { seed: 1107, numRuns: 300 });
  });

  describe.each(loadCatalog().ids())('every answer of every %s scenario', (taskId) => {
    const entry = loadCatalog().get(taskId);
    it('keeps its keys and types when redacted, and redacts only strings', async () => {
      const problems: string[] = [];
      let answers = 0;
      for (const scenario of loadScenarios(entry)) {
        const account = scenario.account();
        await gradeSimulated(entry, {
          region: account.region,
          nonce: 'redaction',
          startedAt: new Date('2026-01-15T10:00:00.000Z'),
          attemptId: `redaction-${scenario.name}`,
          ...(scenario.expectedAccount ? { expectedAccount: scenario.expectedAccount } : {}),
          responder: async (service, operation, input) => {
            const raw = (await account.responder(service, operation, input)) as Record<string, unknown>;
            const { $metadata: _m, ...rest } = raw ?? {};
            const sent = encodeValue(rest);
            const stored = redact(sent);
            answers++;
            if (skeleton(stored).join() !== skeleton(sent).join()) problems.push(`${scenario.name}: ${service}.${operation} changed shape`);
            for (const [path, before] of changed(sent, stored)) if (typeof before !== 'string') problems.push(`${scenario.name}: ${service}.${operation} ${path} (${typeof before}) redacted`);
            return raw;
          },
        });
      }
      expect(answers).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    });
  });
});
