import type { CallKind } from '../call-estimate.js';
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
  /** Only the master key or a virtual key with admin rights (LiteLLM's `proxy_admin`) may call it. */
  adminOnly?: boolean;
  /** Read the body as JSON before the handler (any content type: `curl -d` sends form-encoded). */
  readsBody?: boolean;
  /** A model call counted against a virtual key's limits (rpm, tpm, parallel, budget), and how to estimate it. */
  callKind?: CallKind;
  /** `params`: the `:name` segments of the path, percent-decoded. */
  handle(ctx: RequestContext, body: unknown, params: Readonly<Record<string, string>>): Promise<void> | void;
}

export interface RouteMatch {
  route: RouteSpec;
  /** The matched path pattern, for logs and metrics labels (never the raw path). */
  label: string;
  /** Values of the pattern's `:name` segments (empty for exact paths). */
  params: Readonly<Record<string, string>>;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Exact paths in a map (the hot routes), the few with parameters in a list. Trailing and doubled
 * slashes are forgiven, HEAD is served as GET, and a known path asked with the wrong method is told
 * which methods it has.
 */
export class RouteTable {
  private readonly exact = new Map<string, RouteMatch>();
  private readonly patterns: Array<{ method: string; regex: RegExp; names: string[]; route: RouteSpec; label: string }> = [];
  private readonly methodsByPath = new Map<string, Set<string>>();

  constructor(routes: readonly RouteSpec[]) {
    for (const route of routes) {
      for (const path of route.paths) {
        const match: RouteMatch = { route, label: path, params: NO_PARAMS };
        if (path.includes('/:')) {
          const segments = path.split('/');
          const names = segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1));
          const regex = new RegExp(`^${segments.map((s) => (s.startsWith(':') ? '([^/]+)' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
          this.patterns.push({ method: route.method, regex, names, route, label: path });
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
    for (const pattern of this.patterns) {
      if (pattern.method !== verb) continue;
      const found = pattern.regex.exec(normal);
      if (found === null) continue;
      const params: Record<string, string> = {};
      pattern.names.forEach((name, i) => (params[name] = decodeSegment(found[i + 1] as string)));
      return { route: pattern.route, label: pattern.label, params };
    }
    return undefined;
  }

  /** Methods a path answers to, when it exists under another method (for a 405). */
  allowed(path: string): string[] | undefined {
    const methods = this.methodsByPath.get(normalize(path));
    return methods === undefined ? undefined : [...methods];
  }
}

/** A path segment percent-decoded (`gpt%2F4` → `gpt/4`); one that does not decode is kept as sent. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function normalize(path: string): string {
  const collapsed = path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}
