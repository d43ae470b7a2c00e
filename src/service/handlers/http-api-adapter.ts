/**
 * Runs an unchanged node:http server behind API Gateway HTTP API (payload format 2.0).
 *
 * The server listens on 127.0.0.1 inside the execution environment, and each event is replayed to
 * it as a real HTTP request: node's own parser and writer handle everything the server does
 * (writeHead, chunked bodies, HEAD, several Set-Cookie headers), so the portal runs the same code on
 * Lambda as behind `skillproof serve`. This is what the AWS Lambda Web Adapter does as an extension,
 * in-process and without a dependency; the loopback hop costs well under a millisecond.
 */
import { Agent, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Builds the server on the first event (which names the API's domain); later events reuse it. */
export type ServerFactory = (firstEvent: APIGatewayProxyEventV2) => Server | Promise<Server>;

export type HttpApiHandler = ((event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>) & {
  /** Stops the loopback server (tests; Lambda simply freezes the environment). */
  close(): Promise<void>;
};

/** Headers a proxy must not forward (RFC 9110 §7.6.1), and the length, which is recomputed. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length']);

/**
 * Bodies sent as text; anything else goes back base64-encoded. API Gateway decodes base64 bodies
 * when `isBase64Encoded` is true, so binary responses (images, archives) arrive byte for byte.
 */
const TEXTUAL = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|[\w.+-]*\+(json|xml|jwt))\b|application\/(vc\+)?jwt\b|image\/svg\+xml\b)/i;

export function isTextual(contentType: string | undefined): boolean {
  return contentType !== undefined && TEXTUAL.test(contentType.trim());
}

/** The request headers the server sees: the event's, its cookies, and the client address API Gateway saw. */
export function requestHeaders(event: APIGatewayProxyEventV2, body: Buffer): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const key = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(key) || key === 'cookie' || key === 'x-forwarded-for') continue;
    headers[key] = value;
  }
  // Payload 2.0 moves cookies out of the headers into their own array.
  const cookies = event.cookies ?? (event.headers?.cookie ? [event.headers.cookie] : []);
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  // What the client sent as X-Forwarded-For is not to be trusted; the address API Gateway saw is.
  headers['x-forwarded-for'] = event.requestContext.http.sourceIp;
  headers['content-length'] = String(body.length);
  return headers;
}

function requestBody(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The response API Gateway expects: cookies apart, other repeated headers joined, text or base64 body. */
export function toResult(status: number, rawHeaders: string[], body: Buffer, method: string): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (name === 'set-cookie') cookies.push(value);
    else if (!HOP_BY_HOP.has(name)) headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const result: APIGatewayProxyStructuredResultV2 = { statusCode: status, headers };
  if (cookies.length > 0) result.cookies = cookies;
  if (method === 'HEAD' || body.length === 0) return { ...result, body: '', isBase64Encoded: false };
  const textual = isTextual(headers['content-type']);
  return { ...result, body: textual ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !textual };
}

/** A Lambda handler for HTTP API events that serves them with the server `factory` builds. */
export function httpApiHandler(factory: ServerFactory): HttpApiHandler {
  let listening: Promise<{ server: Server; port: number }> | undefined;
  const agent = new Agent({ keepAlive: true });

  const start = (event: APIGatewayProxyEventV2) =>
    (listening ??= (async () => {
      const server = await factory(event);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      return { server, port: (server.address() as AddressInfo).port };
    })().catch((e: unknown) => {
      // A factory that failed (the store unreachable) is tried again on the next event.
      listening = undefined;
      throw e;
    }));

  const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const { port } = await start(event);
    const method = event.requestContext.http.method.toUpperCase();
    const body = requestBody(event);
    const path = `${event.rawPath || '/'}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers: requestHeaders(event, body), agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve(toResult(res.statusCode ?? 502, res.rawHeaders, Buffer.concat(chunks), method)));
      });
      req.on('error', reject);
      req.end(body);
    });
  };

  return Object.assign(handler, {
    async close() {
      agent.destroy();
      const current = listening;
      listening = undefined;
      if (!current) return;
      const { server } = await current;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
