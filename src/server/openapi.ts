import { z } from 'zod';
import type { ApiRoute } from './api';
import { errorSchema } from './views';

const STATUS_TEXT: Record<number, string> = {
  400: 'The request is malformed or fails validation; `error.issues` names each field.',
  401: 'No bearer token, or one that is unknown, expired or revoked.',
  403: 'The token is valid but of the wrong kind (a candidate session on an admin endpoint, or the reverse), or a candidate asked for a cohort group they are not in.',
  404: 'Not found (a candidate is also told this about attempts that are not theirs).',
  409: 'The attempt or credential is not in a state that allows this; the message says why.',
  413: 'The request body is too large.',
  415: 'The body is not JSON.',
  429: 'Too many requests; see the Retry-After header.',
  502: 'An AWS call behind this request failed.',
  503: 'A dependency is not available (issuer not initialised, grading engine failure, no cohort store on this server); retry later.',
};

function schema(s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** OpenAPI 3.1 for the route table: request bodies, queries and responses come from the same zod schemas the handlers use. */
export function buildOpenApi(routes: readonly ApiRoute[], origin: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: unknown[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (route.query) {
      const q = schema(route.query, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
      for (const [name, s] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema: s, ...(s.description ? { description: s.description } : {}) });
      }
    }
    const responses: Record<string, unknown> = {};
    const ok = route.response;
    responses[String(ok.status)] =
      'schema' in ok
        ? { description: 'OK', content: { 'application/json': { schema: schema(ok.schema, 'output') } } }
        : { description: ok.description, content: { [ok.contentType]: {} } };
    const errors = new Set(route.errors);
    if (route.auth !== 'none') [401, 403].forEach((s) => errors.add(s));
    if (route.body) [400, 413, 415].forEach((s) => errors.add(s));
    for (const status of [...errors].sort()) {
      responses[String(status)] = { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.auth === 'none' ? 'public' : route.auth],
      ...(route.auth === 'none' ? { security: [] } : { security: [{ [route.auth === 'admin' ? 'adminToken' : 'candidateSession']: [] }] }),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'SkillProof portal API',
      version: '1',
      description:
        'Candidates sign in with an access code (POST /api/sign-in) and send the session token as a bearer token; administrators send an admin token. ' +
        'Public endpoints verify credentials, show badges and publish the issuer keys and status lists. ' +
        'Cohort views list members by name and never rank them.',
    },
    servers: [{ url: origin }],
    tags: [
      { name: 'public', description: 'No authentication' },
      { name: 'candidate', description: 'Bearer session token from POST /api/sign-in; only your own attempts' },
      { name: 'admin', description: 'Bearer admin token (`skillproof admin token create`)' },
    ],
    components: {
      securitySchemes: {
        candidateSession: { type: 'http', scheme: 'bearer', description: 'sps_… session token from POST /api/sign-in' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'spa_… admin token' },
      },
      schemas: { Error: schema(errorSchema, 'output') },
    },
    paths,
  };
}
