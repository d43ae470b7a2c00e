import { canonicalJson, decodeValue, encodeValue } from '../../src/evidence/canonical';
import { redact, REDACTED } from '../../src/evidence/redact';

describe('evidence encoding', () => {
  it('round-trips dates and bytes', () => {
    const value = { at: new Date('2026-01-15T10:00:00Z'), payload: new Uint8Array([1, 2, 3]), list: [1, 'a'] };
    expect(decodeValue(encodeValue(value))).toEqual(value);
  });

  it('gives equal text for equal values whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
  });

  it.each([
    ['Lambda environment values', { Environment: { Variables: { KEY: 'v' } } }, { Environment: { Variables: { KEY: REDACTED } } }],
    ['session credentials', { Credentials: { AccessKeyId: 'A', SecretAccessKey: 'S', SessionToken: 'T' } }, { Credentials: { AccessKeyId: REDACTED, SecretAccessKey: REDACTED, SessionToken: REDACTED } }],
    ['presigned URLs', { Code: { Location: 'https://s3/x?X-Amz-Signature=abc' } }, { Code: { Location: `https://s3/x?${REDACTED}` } }],
    ['an authorization header', { headers: { Authorization: 'Bearer x' } }, { headers: { Authorization: REDACTED } }],
    ['an id token', { IdToken: 'eyJ' }, { IdToken: REDACTED }],
    ['AgentCore runtime environment values', { environmentVariables: { API_KEY: 'k' } }, { environmentVariables: { API_KEY: REDACTED } }],
    ['a presigned URL quoted in a message', { message: 'denied: https://b.s3.amazonaws.com/k?X-Amz-Signature=abc now' }, { message: `denied: https://b.s3.amazonaws.com/k?${REDACTED} now` }],
  ])('redacts %s', (_what, input, expected) => {
    expect(redact(encodeValue(input))).toEqual(expected);
  });

  it('keeps the shape of a Lambda environment, so the response still fits the API model', () => {
    expect(redact({ Environment: { Variables: { A: 'x' }, Error: { ErrorCode: 'E' } } })).toEqual({ Environment: { Variables: { A: REDACTED }, Error: { ErrorCode: 'E' } } });
  });

  it('keeps pagination tokens, which replay needs and which are not secret', () => {
    expect(redact({ NextToken: 'p2', nextToken: 'p3', Marker: 'm' })).toEqual({ NextToken: 'p2', nextToken: 'p3', Marker: 'm' });
  });
});
