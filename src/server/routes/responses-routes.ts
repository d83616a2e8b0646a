import type { GatewayError, Logger } from '../../core/index.js';
import { responsesUsage, type PriceBook } from '../../cost/index.js';
import { RESPONSES_TERMINAL_EVENTS, validateResponsesRequest, type ResponseObject, type SseEvent } from '../../protocol/index.js';
import { previousResponseNotFound, type EventStream, type PreviousResponse, type ResponsesAnswer } from '../../providers/index.js';
import type { ResponseStore, StoredResponse } from '../../response-store/index.js';
import type { Routed, Router } from '../../router/index.js';
import type { RouteSpec } from '../http/route-table.js';
import type { RequestContext } from '../request-context.js';
import { accept, callContext, noteRequest, sendAnswer, takeGatewayOptions, traced } from './routed-request.js';
import { storedResponseRoutes } from './stored-response-routes.js';

export interface ResponsesRouteDeps {
  router: Router;
  store: ResponseStore;
  logger: Logger;
  prices: PriceBook;
}

/**
 * The OpenAI Responses API for every model group: `POST /v1/responses` forwarded to `openai/` and
 * `azure/` deployments and translated through chat for the rest, and the stored-response routes
 * (stored-response-routes.ts). An answer made with `store` (the default) is recorded before the
 * client sees its end, so that a follow-up sent the moment it arrives finds it: a translated one
 * whole (the gateway is the only one to have it), a native one as the deployment that keeps it.
 */
export function responsesRoutes(deps: ResponsesRouteDeps): RouteSpec[] {
  const { router, store, logger } = deps;
  return [
    {
      method: 'POST',
      paths: ['/v1/responses', '/responses'],
      callKind: 'responses',
      readsBody: true,
      async handle(ctx, raw) {
        const { body, options } = takeGatewayOptions(ctx, accept(validateResponsesRequest(raw)), 'openai', logger);
        noteRequest(ctx, router, body.model, body.stream === true);
        const previous = await loadPrevious(store, body.previous_response_id);
        const routed = await traced(ctx, (trace) => router.responses(body, callContext(ctx, options, logger), trace, previous?.call, options));
        const keep = body.store !== false ? keeper(store, routed, previous?.chain ?? []) : undefined;
        const answer = routed.answer;
        if (!answer.stream) await keep?.(answer.body);
        let sequence = 0;
        await sendAnswer(ctx, answer.stream ? { ...routed, answer: { ...answer, events: finishing(answer.events, ctx, keep) } } : routed, {
          shape: 'openai',
          done: false,
          prices: deps.prices,
          noteBody: (response) => noteUsage(ctx, response),
          onEvent: () => sequence++,
          errorEvent: (error) => streamError(error, sequence),
        });
      },
    },
    ...storedResponseRoutes({ router, store }),
  ];
}

interface Previous {
  call: PreviousResponse;
  /** The ids of the translated turns before the new one, oldest first. */
  chain: string[];
}

/**
 * What `previous_response_id` names: a conversation the gateway holds (all its items), an answer
 * a native deployment keeps, or nothing the gateway knows (undefined: a native deployment may
 * still know it, a translated one answers OpenAI's 400).
 */
async function loadPrevious(store: ResponseStore, id: string | null | undefined): Promise<Previous | undefined> {
  if (id == null) return undefined;
  const record = await store.get(id);
  if (record === undefined) return undefined;
  if (record.kind === 'native') return { call: { kind: 'native', id, deploymentId: record.deploymentId }, chain: [] };
  const items = await store.conversation(record);
  if (items === undefined) throw previousResponseNotFound(id, ' An earlier response of its conversation has expired or was deleted.');
  return { call: { kind: 'translated', id, items }, chain: [...record.chain, record.id] };
}

type Keep = (response: ResponseObject) => Promise<void>;

/** Records a finished answer: whole when the gateway made it, as its deployment when an upstream keeps it. */
function keeper(store: ResponseStore, routed: Routed<ResponsesAnswer>, chain: readonly string[]): Keep {
  const answer = routed.answer;
  return async (response) => {
    if (typeof response.id !== 'string') return;
    const record: StoredResponse = answer.native
      ? { kind: 'native', id: response.id, deploymentId: routed.deployment.id }
      : { kind: 'translated', id: response.id, response, input: answer.input ?? [], chain };
    await store.put(record);
  };
}

/**
 * The stream as it goes to the client, with its last event (`response.completed`, which carries
 * the whole Response) read on the way: its usage for the log and metrics, and the answer recorded
 * before that event is written. One JSON.parse per stream; every other event passes untouched.
 */
async function* finishing(events: EventStream, ctx: RequestContext, keep: Keep | undefined): AsyncGenerator<SseEvent[]> {
  for await (const batch of events) {
    for (const event of batch) {
      if (event.event === undefined || !RESPONSES_TERMINAL_EVENTS.has(event.event)) continue;
      const response = parseResponse(event.data);
      if (response === undefined) continue;
      noteUsage(ctx, response);
      await keep?.(response);
    }
    yield batch;
  }
}

function parseResponse(data: string): ResponseObject | undefined {
  try {
    const response = (JSON.parse(data) as { response?: ResponseObject }).response;
    return response !== null && typeof response === 'object' ? response : undefined;
  } catch {
    return undefined; // the client gets the event as it came; nothing is recorded
  }
}

/** Responses usage (input, cached input, output with reasoning) for the log line, metrics and cost. */
function noteUsage(ctx: RequestContext, response: Pick<ResponseObject, 'usage'>): void {
  const read = responsesUsage(response.usage);
  if (read !== undefined) ctx.usage = read;
}

/** A failure after the stream began, as the Responses API reports one (both SDKs raise it). */
function streamError(error: GatewayError, sequence: number): SseEvent {
  const body = error.toOpenAIBody().error;
  return { event: 'error', data: JSON.stringify({ type: 'error', sequence_number: sequence, error: body }) };
}

