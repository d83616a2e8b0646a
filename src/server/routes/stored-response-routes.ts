import { GatewayError } from '../../core/index.js';
import type { ResponsesItem, ResponsesItemList } from '../../protocol/index.js';
import type { StoredResponseAction } from '../../providers/index.js';
import type { ResponseStore, StoredTranslated } from '../../response-store/index.js';
import type { Router } from '../../router/index.js';
import type { RouteSpec } from '../http/route-table.js';
import { queryOf, sendJson } from '../http/respond.js';
import type { RequestContext } from '../request-context.js';
import { callContext, finishOverhead, recordRouting, traced } from './routed-request.js';

/**
 * `GET /v1/responses/{id}`, `DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`:
 * answered from the store for responses the gateway made (translated), passed on to the
 * deployment that made them for native ones, and OpenAI's 404 for ids the gateway does not hold.
 */
export function storedResponseRoutes(deps: { router: Router; store: ResponseStore }): RouteSpec[] {
  const { router, store } = deps;
  return [
    {
      method: 'GET',
      paths: ['/v1/responses/:id', '/responses/:id'],
      async handle(ctx) {
        const id = responseIdOf(ctx, false);
        const record = await store.get(id);
        if (record?.kind === 'translated') return answer(ctx, record.response);
        answer(ctx, await forward(ctx, router, record?.kind === 'native' ? record.deploymentId : undefined, { method: 'GET', id, inputItems: false }));
      },
    },
    {
      method: 'DELETE',
      paths: ['/v1/responses/:id', '/responses/:id'],
      async handle(ctx) {
        const id = responseIdOf(ctx, false);
        const record = await store.get(id);
        if (record?.kind === 'native') {
          const deleted = await forward(ctx, router, record.deploymentId, { method: 'DELETE', id, inputItems: false });
          await store.delete(id);
          return answer(ctx, deleted);
        }
        if (record === undefined || !(await store.delete(id))) throw notFound(id);
        answer(ctx, { id, object: 'response', deleted: true });
      },
    },
    {
      method: 'GET',
      paths: ['/v1/responses/:id/input_items', '/responses/:id/input_items'],
      async handle(ctx) {
        const id = responseIdOf(ctx, true);
        const record = await store.get(id);
        if (record?.kind !== 'translated') {
          return answer(ctx, await forward(ctx, router, record?.kind === 'native' ? record.deploymentId : undefined, { method: 'GET', id, inputItems: true }));
        }
        const items = await store.conversation(record);
        if (items === undefined) throw notFound(id);
        answer(ctx, page(inputOnly(items, record), queryOf(ctx.request.url)));
      },
    },
  ];
}

/** The `{id}` segment of `/v1/responses/{id}` (or `…/{id}/input_items`). */
function responseIdOf(ctx: RequestContext, inputItems: boolean): string {
  const url = ctx.request.url ?? '';
  const query = url.indexOf('?');
  const segments = (query === -1 ? url : url.slice(0, query)).split('/').filter((s) => s !== '');
  const raw = segments.at(inputItems ? -2 : -1) ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function notFound(id: string): GatewayError {
  return new GatewayError('not_found', `Response with id '${id}' not found.`, { param: 'response_id' });
}

function answer(ctx: RequestContext, body: unknown): void {
  finishOverhead(ctx);
  sendJson(ctx, 200, body);
}

/** A native response: the request goes to the deployment that keeps it; its answer comes back as it is. */
async function forward(ctx: RequestContext, router: Router, deploymentId: string | undefined, action: Omit<StoredResponseAction, 'query'>): Promise<unknown> {
  if (deploymentId === undefined) throw notFound(action.id);
  const url = ctx.request.url ?? '';
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const call = callContext(ctx);
  const routed = await traced(ctx, (trace) => router.onDeployment(deploymentId, call, (client) => {
    if (client.storedResponse === undefined) throw notFound(action.id);
    return client.storedResponse({ ...action, query }, call);
  }, trace));
  if (routed === undefined) throw notFound(action.id); // its deployment is no longer in the config
  recordRouting(ctx, routed);
  return routed.answer;
}

/** What the response was given: the conversation up to it, its own output left out. */
function inputOnly(items: ResponsesItem[], record: StoredTranslated): ResponsesItem[] {
  return items.slice(0, items.length - record.response.output.length);
}

/** OpenAI's list page: `order` (desc by default), `after` (an item id), `limit` (1-100, default 20). */
function page(items: ResponsesItem[], query: URLSearchParams): ResponsesItemList {
  const ordered = query.get('order') === 'asc' ? items : [...items].reverse();
  const after = query.get('after');
  const start = after === null ? 0 : ordered.findIndex((item) => item.id === after) + 1;
  const asked = Number(query.get('limit') ?? 20);
  const limit = Number.isInteger(asked) && asked >= 1 ? Math.min(asked, 100) : 20;
  const data = ordered.slice(start, start + limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + limit < ordered.length };
}
