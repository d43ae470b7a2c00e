import { redactHeaders } from '../evidence/redact';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as is; use JSON.stringify for JSON bodies. */
  body?: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Requests to the candidate's endpoints (an API's invoke URL), recorded like AWS calls. */
export interface HttpProbe {
  request(req: HttpRequest): Promise<HttpResponse>;
}

type Execute = (method: string, input: unknown, live: () => Promise<unknown>) => Promise<unknown>;

const MAX_BODY = 64 * 1024;

export function createHttpProbe(execute: Execute): HttpProbe {
  return {
    async request(req) {
      const input = { url: req.url, headers: req.headers ?? {}, body: req.body ?? null };
      const output = await execute(req.method, input, async () => {
        const res = await fetch(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(req.timeoutMs ?? 10_000),
        });
        const text = await res.text();
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => (headers[k] = v));
        return { status: res.status, headers: redactHeaders(headers), body: text.length > MAX_BODY ? text.slice(0, MAX_BODY) : text };
      });
      const { status, headers, body } = output as HttpResponse;
      return { status, headers, body };
    },
  };
}
