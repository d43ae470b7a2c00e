import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { apiRoutes, issuerDocumentAt } from './api';
import { RequestContext, type Limits } from './context';
import { toHttpError } from './errors';
import { HttpError, jsonReply, setSecurityHeaders, type Reply } from './http';
import { errorPage } from './pages/layout';
import { pageRoutes } from './pages';
import { Portal, type PortalOptions } from './portal';
import { SignInLimiter } from './rate-limit';
import { Router } from './router';

export interface ServerOptions extends PortalOptions {
  /** The public scheme://host[:port] when behind a proxy (share links, Secure cookies); default: this server's own address. */
  publicUrl?: string;
  /** Failed sign-ins allowed per minute per client address and per code or token, for candidates and for admins separately (default 10). */
  signInPerMinute?: number;
  /**
   * Behind a reverse proxy: take the client's address from the last X-Forwarded-For entry (the
   * one the proxy appended) when the connection comes from a trusted proxy: `true` for any peer,
   * or a list of the proxies' addresses. Off by default, since anyone can send the header.
   */
  trustProxy?: boolean | readonly string[];
}

type Handler = { kind: 'api' | 'page'; handle(ctx: RequestContext): Promise<Reply> };

const ASSETS: Record<string, { type: string; file: string }> = {
  '/static/portal.css': { type: 'text/css; charset=utf-8', file: 'portal.css' },
  '/static/portal.js': { type: 'text/javascript; charset=utf-8', file: 'portal.js' },
  '/static/favicon.svg': { type: 'image/svg+xml', file: 'favicon.svg' },
};

/** Strips the IPv4-mapped prefix so 127.0.0.1 and ::ffff:127.0.0.1 are one address. */
const plainAddress = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

/** The client's address: the peer's, or, from a trusted proxy, the last X-Forwarded-For entry (the one that proxy added). */
export function clientAddress(req: IncomingMessage, trustProxy: ServerOptions['trustProxy']): string {
  const peer = plainAddress(req.socket.remoteAddress ?? 'unknown');
  const trusted = trustProxy === true || (Array.isArray(trustProxy) && trustProxy.map(plainAddress).includes(peer));
  const header = req.headers['x-forwarded-for'];
  if (!trusted || !header) return peer;
  // Earlier entries are whatever the client sent; only the proxy's own entry can be trusted.
  const entries = (Array.isArray(header) ? header.join(',') : header).split(',').map((e) => e.trim()).filter(Boolean);
  const last = entries[entries.length - 1];
  return last ? plainAddress(last) : peer;
}

/** The portal's HTTP server (node:http, no framework): pages, JSON API, public verification. */
export function createPortalServer(options: ServerOptions): { server: Server; portal: Portal } {
  const portal = new Portal(options);
  const router = new Router<Handler>();
  for (const route of apiRoutes()) router.add(route.method, route.path, { kind: 'api', handle: route.handle });
  for (const route of pageRoutes()) router.add(route.method, route.path, { kind: 'page', handle: route.handle });
  const assets = new Map(Object.entries(ASSETS).map(([path, a]) => [path, { type: a.type, body: readFileSync(join(__dirname, 'assets', a.file)) }]));
  const limits: Limits = {
    candidateSignIn: new SignInLimiter(options.signInPerMinute ?? 10, 60_000),
    adminSignIn: new SignInLimiter(options.signInPerMinute ?? 10, 60_000),
  };
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : undefined;
  const secureCookies = publicOrigin?.startsWith('https:') ?? false;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`response failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // A malformed request must not take the process down (DESIGN invariant 6).
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    res.setHeader('Cache-Control', 'no-store');
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://portal.invalid');
    } catch {
      return write(res, method, jsonReply({ error: { status: 400, code: 'bad-url', message: 'The request URL cannot be parsed.' } }, 400));
    }
    const asset = assets.get(url.pathname);
    if (asset && (method === 'GET' || method === 'HEAD')) {
      return write(res, method, { status: 200, headers: { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=300' }, body: asset.body });
    }
    const origin = publicOrigin ?? hostOrigin(req, server);
    const match = router.match(method, url.pathname);
    const isApi = url.pathname.startsWith('/api/');
    const ctx = new RequestContext(req, url, match && 'handler' in match ? match.params : {}, portal, limits, origin, secureCookies, clientAddress(req, options.trustProxy));
    let reply: Reply;
    try {
      const elsewhere = !match && (method === 'GET' || method === 'HEAD') ? await issuerDocumentAt(ctx) : undefined;
      if (elsewhere) return write(res, method, elsewhere);
      if (!match) throw new HttpError(404, 'not-found', `Nothing here: ${method} ${url.pathname}.`);
      if ('allowed' in match) throw new HttpError(405, 'method-not-allowed', `${method} is not allowed on ${url.pathname}; use ${match.allowed.join(' or ')}.`);
      reply = await match.handler.handle(ctx);
    } catch (e) {
      const known = toHttpError(e);
      if (!known) log(`error on ${method} ${url.pathname}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      const error = known ?? new HttpError(500, 'internal', 'Something went wrong on our side; the request was not completed. Try again, and tell the operator if it persists.');
      const headers: Record<string, string> = error.extra.retryAfterSeconds ? { 'Retry-After': String(error.extra.retryAfterSeconds) } : {};
      if (error.status === 405 && match && 'allowed' in match) headers.Allow = match.allowed.join(', ');
      const kind = match && 'handler' in match ? match.handler.kind : isApi ? 'api' : 'page';
      reply =
        kind === 'page'
          ? errorPage(ctx, error, headers)
          : jsonReply({ error: { status: error.status, code: error.code, message: error.message, ...error.extra } }, error.status, headers);
    }
    if (ctx.setCookies.length) reply = { ...reply, headers: { ...reply.headers, 'Set-Cookie': ctx.setCookies } };
    write(res, method, reply);
  }

  return { server, portal };
}

function write(res: ServerResponse, method: string, reply: Reply): void {
  res.writeHead(reply.status, reply.headers ?? {});
  res.end(method === 'HEAD' ? undefined : reply.body);
}

/** This server's own origin as the client addressed it (a Host header that is not a plain host[:port] is ignored). */
function hostOrigin(req: IncomingMessage, server: Server): string {
  const host = req.headers.host;
  if (host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) return `http://${host}`;
  const address = server.address() as AddressInfo | null;
  return address ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` : 'http://localhost';
}

export interface RunningPortal {
  server: Server;
  portal: Portal;
  url: string;
  /** Stops accepting requests, lets running gradings finish (up to `graceMs`), then closes. */
  close(graceMs?: number): Promise<void>;
}

export async function startPortalServer(options: ServerOptions & { host?: string; port?: number }): Promise<RunningPortal> {
  const { server, portal } = createPortalServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    portal,
    url: `http://${host}:${address.port}`,
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([portal.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs).unref()))]);
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
    },
  };
}
