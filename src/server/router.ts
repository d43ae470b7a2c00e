/**
 * Routes by method and path; a path pattern names its parameters in braces, as OpenAPI does
 * (`/api/attempts/{id}`), so the API's route table doubles as its documentation.
 */
export interface Match<H> {
  handler: H;
  params: Record<string, string>;
}

interface Route<H> {
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: H;
}

export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): void {
    const names: string[] = [];
    const source = pattern
      .split(/(\{\w+\})/)
      .map((part) => {
        const param = /^\{(\w+)\}$/.exec(part);
        if (!param) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        names.push(param[1] as string);
        return '([^/]+)';
      })
      .join('');
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}$`), names, handler });
  }

  /** The route for the request, or which methods the path allows (for a 405), or nothing (404). */
  match(method: string, path: string): Match<H> | { allowed: string[] } | undefined {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      let bad = false;
      route.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1] as string);
        } catch {
          bad = true;
        }
      });
      if (!bad) return { handler: route.handler, params };
    }
    return allowed.length ? { allowed: [...new Set(allowed)] } : undefined;
  }
}
