import { canonicalJson, type Json } from './canonical';

export const REDACTED = '[redacted]';

/** Keys whose string values are credentials or secrets wherever they appear. */
const SECRET_KEY = /(secret|password|passphrase|private.?key|accesskeyid|^authorization$|cookie|api.?key$|api.?key.?value$|credentials?$)/i;
/**
 * Keys that look secret by name but name something public: a flag (`ApiKeyRequired`), an enum
 * (`AuthorizationType`, `ApiKeySource`), an identifier, an ARN, an expression or a date. Their values
 * are what graders judge, so they are kept whatever their type.
 */
const NOT_SECRET_KEY = /(required|type|types|source|arn|id|ids|expression|name|names|scopes?|lastused|enabled|status|date|time|count|length|policy|config|configuration|version|location|expiration)$/i;
/** Token-named keys that are pagination or idempotency handles, not secrets; replay needs them. */
const HARMLESS_TOKEN = /^(next|continuation|pagination|starting|client|idempotency|marker)_?token$/i;
const PRESIGNED = /([?&])(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId)=/i;
const PRESIGNED_IN_TEXT = /(https?:\/\/[^\s"'<>?]+)\?[^\s"'<>]*(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId)=[^\s"'<>]*/gi;
/** Keys whose values are a map of environment variables (Lambda's Environment.Variables is handled by path). */
const ENVIRONMENT_MAP = /^environmentVariables$/i;

/**
 * Removes secrets from a recorded request or response before it is stored. Only string values are
 * ever replaced: a boolean, a number, a date or a null keeps its value, every key stays, and every
 * value keeps its type, so a redacted answer still fits the AWS API model and replays through the
 * same grader to the same outcome. Lambda and AgentCore environment values, tokens, credentials and
 * presigned URLs' signatures are replaced; ARNs are never secret and are kept.
 *
 * Graders never judge this copy of a live answer (the session hands them what AWS sent); replay
 * hands them this copy, which is why nothing a grader judges may be redacted.
 */
export function redact(value: Json, path: string[] = []): Json {
  if (Array.isArray(value)) return value.map((v) => redact(v, path));
  if (isTagged(value)) return value;
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    const parent = path[path.length - 1];
    for (const [key, v] of Object.entries(value)) {
      const envMap = (parent === 'Environment' && key === 'Variables') || ENVIRONMENT_MAP.test(key);
      if (envMap) out[key] = redactStrings(v, true);
      else if (isSecretKey(key)) out[key] = redactStrings(v, false);
      else if (key === 'body' && typeof v === 'string') out[key] = redactJsonBody(v);
      else out[key] = redact(v, [...path, key]);
    }
    return out;
  }
  if (typeof value === 'string' && PRESIGNED.test(value)) return redactPresigned(value);
  return value;
}

/**
 * Every string inside a secret value is replaced; the value's structure and other types stay. In an
 * environment map (`all`) every variable's value goes, whatever its name; inside a credentials
 * object, members named like `Expiration` or an ARN are kept.
 */
function redactStrings(value: Json, all: boolean): Json {
  if (typeof value === 'string') return !all && value.startsWith('arn:') ? value : REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, all));
  if (isTagged(value)) return value;
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = !all && !isSecretKey(k) && NOT_SECRET_KEY.test(k) ? redact(v, [k]) : redactStrings(v, all);
    return out;
  }
  return value;
}

/**
 * An HTTP body (an HTTP probe's request or response, or an AWS answer quoting one) that is a JSON
 * document is redacted like any answer, so an OAuth token endpoint's `access_token` is never stored; the
 * body stays a string, re-serialised only when a secret was replaced. Other bodies are kept as sent.
 */
function redactJsonBody(body: string): string {
  const trimmed = body.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return body;
  let parsed: Json;
  try {
    parsed = JSON.parse(body) as Json;
  } catch {
    return body;
  }
  const redacted = redact(parsed);
  return canonicalJson(redacted) === canonicalJson(parsed) ? body : JSON.stringify(redacted);
}

/** `{"$date": …}` and `{"$bytes": …}` are encoded scalars (see canonical.ts), not structure. */
function isTagged(value: Json): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === '$date' || keys[0] === '$bytes') && typeof value[keys[0]] === 'string';
}

function redactPresigned(value: string): string {
  if (/^https?:\/\//i.test(value) && !/\s/.test(value)) {
    const q = value.indexOf('?');
    return q >= 0 ? `${value.slice(0, q)}?${REDACTED}` : REDACTED;
  }
  return redactText(value);
}

/** Removes presigned URLs' signatures from free text, such as an AWS error message quoting one. */
export function redactText(text: string): string {
  return text.replace(PRESIGNED_IN_TEXT, (_m, base: string) => `${base}?${REDACTED}`);
}

/** Whether a key's string values are secrets (exported for the tests that state the rule). */
export function isSecretKey(key: string): boolean {
  if (HARMLESS_TOKEN.test(key)) return false;
  if (/(token|accesskeyid)$/i.test(key)) return true;
  if (NOT_SECRET_KEY.test(key)) return false;
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
