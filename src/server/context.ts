import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { formBody, HttpError, parseCookies, serializeCookie } from './http';
import type { Portal, Principal } from './portal';
import { SignInRateLimitedError, type SignInLimiter } from './rate-limit';
import { csrfToken, normaliseAccessCode, sameSecret, secretHash } from './secrets';

export const CANDIDATE_COOKIE = 'sp_session';
export const ADMIN_COOKIE = 'sp_admin';
export const CSRF_COOKIE = 'sp_csrf';

/** Which signed-in area a form belongs to; its CSRF token is bound to that area's session cookie. */
export type Area = 'candidate' | 'admin';

export interface Limits {
  /** Failed sign-ins with an access code (pages and API). */
  candidateSignIn: SignInLimiter;
  /** Failed sign-ins with an admin token: a separate budget, so candidates cannot lock admins out. */
  adminSignIn: SignInLimiter;
}

/** One request as the handlers see it. */
export class RequestContext {
  readonly cookies: Record<string, string>;
  readonly setCookies: string[] = [];
  private csrfSecret?: string;

  constructor(
    readonly req: IncomingMessage,
    readonly url: URL,
    readonly params: Record<string, string>,
    readonly portal: Portal,
    readonly limits: Limits,
    /** scheme://host[:port] that links and share URLs use. */
    readonly origin: string,
    private readonly secureCookies: boolean,
    /** The client's address: the peer's, or the one a trusted proxy reports in X-Forwarded-For. */
    readonly ip: string = req.socket.remoteAddress ?? 'unknown',
  ) {
    this.cookies = parseCookies(req);
  }

  param(name: string): string {
    const value = this.params[name];
    if (value === undefined) throw new Error(`route has no parameter ${name}`);
    return value;
  }

  query(): Record<string, string> {
    return Object.fromEntries([...this.url.searchParams.entries()].filter(([, v]) => v !== ''));
  }

  /**
   * Runs a sign-in under its area's limits: too many failures from this address, or with this
   * code or token, in the window is a 429. Successful sign-ins do not count.
   */
  async limitedSignIn<T>(area: Area, secret: string, signIn: () => Promise<T>): Promise<T> {
    const limiter = area === 'admin' ? this.limits.adminSignIn : this.limits.candidateSignIn;
    const key = secretHash(area === 'admin' ? secret.trim() : normaliseAccessCode(secret));
    try {
      return await limiter.attempt(this.ip, key, signIn);
    } catch (e) {
      if (!(e instanceof SignInRateLimitedError)) throw e;
      const seconds = Math.max(1, Math.ceil(e.retryAfterMs / 1000));
      const what = area === 'admin' ? 'admin token' : 'access code';
      throw new HttpError(
        429,
        'rate-limited',
        e.scope === 'address' ? `Too many failed sign-ins from your address; try again in ${seconds} s.` : `Too many failed sign-ins with this ${what}; try again in ${seconds} s.`,
        { retryAfterSeconds: seconds },
      );
    }
  }

  // ── API: bearer tokens only (a browser never adds them by itself, so no CSRF) ───────────────

  async bearer(): Promise<Principal | undefined> {
    const header = this.req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? this.portal.authenticate(match[1]) : undefined;
  }

  async requireBearer(kind: Principal['kind']): Promise<Principal> {
    const hasHeader = Boolean(this.req.headers.authorization);
    const principal = await this.bearer();
    if (!principal) {
      throw new HttpError(
        401,
        hasHeader ? 'bad-token' : 'no-token',
        hasHeader
          ? 'The bearer token is not valid, has expired, or was revoked.'
          : `This needs Authorization: Bearer <${kind === 'admin' ? 'admin token' : 'session token from POST /api/sign-in'}>.`,
      );
    }
    if (principal.kind !== kind) {
      throw new HttpError(403, kind === 'admin' ? 'admins-only' : 'candidates-only', kind === 'admin' ? 'This needs an admin token.' : 'This is for candidates; sign in with an access code.');
    }
    return principal;
  }

  // ── pages: session cookies and CSRF ─────────────────────────────────────────────────────────

  sessionCookie(area: Area): string | undefined {
    return this.cookies[area === 'admin' ? ADMIN_COOKIE : CANDIDATE_COOKIE];
  }

  async principal(area: Area): Promise<Principal | undefined> {
    const principal = await this.portal.authenticate(this.sessionCookie(area));
    return principal?.kind === area ? principal : undefined;
  }

  setCookie(name: string, value: string, maxAgeSeconds?: number): void {
    const sameSite = name === CSRF_COOKIE ? 'Strict' : 'Lax';
    this.setCookies.push(serializeCookie(name, value, { sameSite, secure: this.secureCookies, ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) }));
  }

  clearCookie(name: string): void {
    this.setCookie(name, '', 0);
  }

  /** The token to put in a form of `area`. */
  csrf(area: Area): string {
    if (!this.csrfSecret) {
      this.csrfSecret = this.cookies[CSRF_COOKIE];
      if (!this.csrfSecret || !/^[A-Za-z0-9_-]{43}$/.test(this.csrfSecret)) {
        this.csrfSecret = randomBytes(32).toString('base64url');
        this.setCookie(CSRF_COOKIE, this.csrfSecret);
      }
    }
    return csrfToken(this.csrfSecret, this.sessionCookie(area));
  }

  /**
   * Reads a form posted to `area` and checks it came from this site: the browser must not call it
   * cross-site (Sec-Fetch-Site, Origin) and the form must carry the token for this browser and session.
   */
  async form(area: Area): Promise<Record<string, string>> {
    const site = this.req.headers['sec-fetch-site'];
    const origin = this.req.headers.origin;
    if (site === 'cross-site' || (origin && origin !== 'null' && origin !== this.origin && origin !== this.requestOrigin())) {
      throw new HttpError(403, 'cross-site', 'This form was sent from another site; open the page here and send it again.');
    }
    const fields = await formBody(this.req);
    const secret = this.cookies[CSRF_COOKIE];
    const sent = fields._csrf ?? '';
    if (!secret || !sameSecret(sent, csrfToken(secret, this.sessionCookie(area)))) {
      throw new HttpError(403, 'csrf', 'This form has expired or did not come from this site. Go back, reload the page and try again.');
    }
    return fields;
  }

  private requestOrigin(): string {
    return `http://${this.req.headers.host ?? ''}`;
  }
}
