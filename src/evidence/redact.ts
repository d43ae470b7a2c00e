import type { Json } from './canonical';

export const REDACTED = '[redacted]';

/** Keys whose values are credentials or secrets wherever they appear. */
const SECRET_KEY = /(secret|password|passphrase|private.?key|accesskeyid|authorization|cookie|api.?key|credentials?$)/i;
/** Token-named keys that are pagination or idempotency handles, not secrets; replay needs them. */
const HARMLESS_TOKEN = /^(next|continuation|pagination|starting|client|idempotency|marker)_?token$/i;
const PRESIGNED = /([?&])(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId)=/i;
const PRESIGNED_IN_TEXT = /(https?:\/\/[^\s"'<>?]+)\?[^\s"'<>]*(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId)=[^\s"'<>]*/gi;
/** Keys whose values are a map of environment variables (Lambda's Environment.Variables is handled by path). */
const ENVIRONMENT_MAP = /^environmentVariables$/i;

/**
 * Removes secrets from a recorded request or response before it is stored or shown to a check, so
 * live grading and replay see the same values. Lambda environment values, tokens, credentials and
 * presigned URLs are replaced; keys and structure stay so a grader can still reason about them.
 */
export function redact(value: Json, path: string[] = []): Json {
  if (Array.isArray(value)) return value.map((v) => redact(v, path));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    const parent = path[path.length - 1];
    for (const [key, v] of Object.entries(value)) {
      const envMap = (parent === 'Environment' && key === 'Variables') || ENVIRONMENT_MAP.test(key);
      if (envMap && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        out[key] = Object.fromEntries(Object.keys(v).map((name) => [name, REDACTED]));
      } else if (isSecretKey(key) && v !== null && typeof v !== 'object') {
        out[key] = REDACTED;
      } else if (isSecretKey(key) && v !== null && typeof v === 'object' && /credentials?$/i.test(key)) {
        out[key] = REDACTED;
      } else {
        out[key] = redact(v, [...path, key]);
      }
    }
    return out;
  }
  if (typeof value === 'string' && PRESIGNED.test(value)) {
    if (/^https?:\/\//i.test(value) && !/\s/.test(value)) {
      const q = value.indexOf('?');
      return q >= 0 ? `${value.slice(0, q)}?${REDACTED}` : REDACTED;
    }
    return redactText(value);
  }
  return value;
}

/** Removes presigned URLs' signatures from free text, such as an AWS error message quoting one. */
export function redactText(text: string): string {
  return text.replace(PRESIGNED_IN_TEXT, (_m, base: string) => `${base}?${REDACTED}`);
}

function isSecretKey(key: string): boolean {
  if (HARMLESS_TOKEN.test(key)) return false;
  if (/token$/i.test(key)) return true;
  return SECRET_KEY.test(key);
}

/** HTTP headers a probe must never store. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = /^(authorization|cookie|set-cookie|x-api-key|x-amz-security-token|x-amz-date)$/i.test(k) ? REDACTED : v;
  }
  return out;
}
