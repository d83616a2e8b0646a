import type { RequestContext } from '../request-context.js';

export type ErrorShape = 'openai' | 'anthropic';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** The path and its aliases; a `:name` segment matches any one segment. */
  paths: readonly string[];
  /** Skips the key check (liveness, readiness). */
  public?: boolean;
  /** Error body shape for this route (the Anthropic route answers in Anthropic's shape). */
  errorShape?: ErrorShape;
  /** Read the body as JSON before the handler (any content type: `curl -d` sends form-encoded). */
  readsBody?: boolean;
  handle(ctx: RequestContext, body: unknown): Promise<void> | void;
}

export interface RouteMatch {
  route: RouteSpec;
  /** The matched path pattern, for logs and metrics labels (never the raw path). */
  label: string;
}

/**
 * Exact paths in a map (the hot routes), the few with parameters in a list. Trailing and doubled
 * slashes are forgiven, HEAD is served as GET, and a known path asked with the wrong method is told
 * which methods it has.
 */
export class RouteTable {
  private readonly exact = new Map<string, RouteMatch>();
  private readonly patterns: Array<{ method: string; regex: RegExp; match: RouteMatch }> = [];
  private readonly methodsByPath = new Map<string, Set<string>>();

  constructor(routes: readonly RouteSpec[]) {
    for (const route of routes) {
      for (const path of route.paths) {
        const match = { route, label: path };
        if (path.includes('/:')) {
          const regex = new RegExp(`^${path.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
          this.patterns.push({ method: route.method, regex, match });
        } else {
          this.exact.set(`${route.method} ${path}`, match);
          const methods = this.methodsByPath.get(path) ?? new Set<string>();
          methods.add(route.method);
          this.methodsByPath.set(path, methods);
        }
      }
    }
  }

  match(method: string, path: string): RouteMatch | undefined {
    const verb = method === 'HEAD' ? 'GET' : method;
    const found = this.exact.get(`${verb} ${path}`);
    if (found !== undefined) return found;
    const normal = normalize(path);
    if (normal !== path) {
      const again = this.exact.get(`${verb} ${normal}`);
      if (again !== undefined) return again;
    }
    for (const pattern of this.patterns) if (pattern.method === verb && pattern.regex.test(normal)) return pattern.match;
    return undefined;
  }

  /** Methods a path answers to, when it exists under another method (for a 405). */
  allowed(path: string): string[] | undefined {
    const methods = this.methodsByPath.get(normalize(path));
    return methods === undefined ? undefined : [...methods];
  }
}

function normalize(path: string): string {
  const collapsed = path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}
