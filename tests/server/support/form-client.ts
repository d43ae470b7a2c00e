/**
 * A browser without a browser: keeps cookies, follows nothing by itself, and posts forms with the
 * CSRF token of the last page it loaded. Enough to test the pages' HTTP behaviour quickly; the
 * real browser tests cover the rest.
 */
export class FormClient {
  readonly cookies = new Map<string, string>();
  lastHtml = '';

  constructor(private readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; html: string; headers: Headers }> {
    const response = await fetch(`${this.base}${path}`, { redirect: 'manual', headers: { cookie: this.cookieHeader(), ...headers } });
    this.remember(response);
    const html = await response.text();
    if ((response.headers.get('content-type') ?? '').startsWith('text/html')) this.lastHtml = html;
    return { status: response.status, html, headers: response.headers };
  }

  /** The CSRF token in the last page's first form (or the form whose action is `action`). */
  csrf(action?: string): string {
    const forms = this.lastHtml.split('<form').slice(1);
    const form = action ? forms.find((f) => f.includes(`action="${action}"`)) : forms[0];
    const token = /name="_csrf" value="([^"]+)"/.exec(form ?? '')?.[1];
    if (!token) throw new Error(`no CSRF token${action ? ` in the form for ${action}` : ''} on the last page`);
    return token;
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; html: string; headers: Headers; location: string | null }> {
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    this.remember(response);
    const html = await response.text();
    if ((response.headers.get('content-type') ?? '').startsWith('text/html')) this.lastHtml = html;
    return { status: response.status, html, headers: response.headers, location: response.headers.get('location') };
  }

  /** Loads the page that holds the form, then posts it with that form's token. */
  async submit(pagePath: string, action: string, fields: Record<string, string> = {}) {
    await this.get(pagePath);
    return this.post(action, { _csrf: this.csrf(action), ...fields });
  }
}
