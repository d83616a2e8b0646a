import { GatewayError } from '../../core/index.js';
import { hashToken, type VirtualKeys } from '../../keys/index.js';
import type { RouteSpec } from '../http/route-table.js';
import { queryOf, sendJson } from '../http/respond.js';
import type { RequestContext } from '../request-context.js';

type Body = Record<string, unknown>;

/**
 * LiteLLM's key, team and user management routes (docs/litellm-compat.md#virtual-keys), for the
 * master key or a key whose user is a `proxy_admin`. `GET /key/info` without `?key=` answers about
 * the calling key itself, for any key (as in LiteLLM). PostgreSQL not answering is a 503.
 */
export function keyRoutes(keys: VirtualKeys): RouteSpec[] {
  const post = (paths: string[], handle: (body: Body, ctx: RequestContext, params: Readonly<Record<string, string>>) => Promise<unknown>): RouteSpec => ({
    method: 'POST', paths, readsBody: true, adminOnly: true,
    async handle(ctx, raw, params) {
      sendJson(ctx, 200, await database(() => handle(objectBody(raw), ctx, params)));
    },
  });
  const get = (paths: string[], handle: (query: URLSearchParams, ctx: RequestContext) => Promise<unknown>, adminOnly = true): RouteSpec => ({
    method: 'GET', paths, adminOnly,
    async handle(ctx) {
      sendJson(ctx, 200, await database(() => handle(queryOf(ctx.request.url), ctx)));
    },
  });
  return [
    post(['/key/generate'], (body, ctx) => keys.change((s) => s.generateKey(body, actor(ctx)))),
    post(['/key/update'], (body, ctx) => keys.change((s) => s.updateKey(body, actor(ctx)))),
    post(['/key/delete'], (body) => keys.change((s) => s.deleteKeys(body))),
    post(['/key/block'], (body) => keys.change((s) => s.setBlocked(body, true))),
    post(['/key/unblock'], (body) => keys.change((s) => s.setBlocked(body, false))),
    post(['/key/regenerate', '/key/:key/regenerate'], (body, ctx, params) => {
      const key = params.key ?? body.key;
      if (typeof key !== 'string' || key === '') throw new GatewayError('invalid_request', 'key: required', { param: 'key' });
      return keys.change((s) => s.regenerateKey(key, body, actor(ctx)));
    }),
    get(['/key/info'], (query, ctx) => {
      const key = query.get('key');
      if (key === null || key === '') {
        if (ctx.caller === undefined) throw new GatewayError('invalid_request', 'key: required with the master key', { param: 'key' });
        return keys.read((s) => s.keyInfo(ctx.caller!.tokenHash));
      }
      if (ctx.caller !== undefined && !ctx.caller.admin && hashOf(key) !== ctx.caller.tokenHash) {
        throw new GatewayError('admin_only', 'Authentication Error, a key may only ask /key/info about itself unless its user is a proxy admin.');
      }
      return keys.read((s) => s.keyInfo(key));
    }, false),
    get(['/key/list'], (query) => keys.read((s) => s.listKeys(query))),
    post(['/team/new'], (body) => keys.change((s) => s.newTeam(body))),
    post(['/team/update'], (body) => keys.change((s) => s.updateTeam(body))),
    post(['/team/delete'], (body) => keys.change((s) => s.deleteTeams(body))),
    get(['/team/info'], (query) => keys.read((s) => s.teamInfo(required(query, 'team_id')))),
    get(['/team/list'], () => keys.read((s) => s.listTeams())),
    post(['/user/new'], (body, ctx) => keys.change((s) => s.newUser(body, actor(ctx)))),
    get(['/user/info'], (query) => keys.read((s) => s.userInfo(required(query, 'user_id')))),
  ];
}

/** LiteLLM's `created_by`: the calling key's user, or its default for the master key. */
function actor(ctx: RequestContext): string {
  return ctx.caller?.userId ?? 'default_user_id';
}

function hashOf(key: string): string {
  return key.startsWith('sk-') ? hashToken(key) : key;
}

function required(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw new GatewayError('invalid_request', `${name}: required`, { param: name });
  return value;
}

function objectBody(raw: unknown): Body {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new GatewayError('invalid_request', 'The body must be a JSON object.');
  return raw as Body;
}

/** Errors of our own pass; anything else is PostgreSQL failing to answer: a 503. */
async function database<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    const sqlState = (error as { code?: unknown }).code;
    // Data PostgreSQL refused (class 22: a value out of range; 23: a constraint) is the request's fault.
    if (typeof sqlState === 'string' && /^2[23]/.test(sqlState)) {
      throw new GatewayError('invalid_request', `The database refused the values: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    throw new GatewayError('database_unavailable', `PostgreSQL did not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
