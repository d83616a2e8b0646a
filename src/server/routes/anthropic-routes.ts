import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/index.js';
import { validateMessagesRequest, type AnthropicMessage, type SseEvent, type Validated } from '../../protocol/index.js';
import type { Router } from '../../router/index.js';
import { pipeEvents } from '../sse-writer.js';
import { callContext, finishOverhead, noteRequest, recordRouting, traced } from './openai-routes.js';

export interface AnthropicRouteDeps {
  router: Router;
}

/** Client headers that mean something to an Anthropic upstream (never the caller's key). */
const PASSED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

/**
 * The Anthropic Messages API for every model group: native for `anthropic/` deployments,
 * translated through chat completions for the rest. Errors on this route, including auth and
 * body-parsing failures, are written in Anthropic's shape.
 */
export function registerAnthropicRoutes(app: FastifyInstance, deps: AnthropicRouteDeps): void {
  const { router } = deps;
  const messages = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = accept(validateMessagesRequest(request.body));
    noteRequest(request, router, body.model, body.stream === true);
    const ctx = { ...callContext(request), passHeaders: passHeaders(request) };
    const routed = await traced(request, reply, (trace) => router.messages(body, ctx, trace));
    recordRouting(request, routed);
    const result = routed.answer;
    if (!result.stream) {
      noteUsage(request, result.body.usage);
      finishOverhead(request, reply);
      return reply.header('request-id', request.sy.id).send(result.body);
    }
    finishOverhead(request, reply);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'request-id': request.sy.id,
    });
    const outcome = await pipeEvents(reply.raw, result.events, { shape: 'anthropic', done: false, onEvent: (event) => noteStreamUsage(request, event) });
    if (outcome.firstEventAt !== undefined) request.sy.firstByteMs = outcome.firstEventAt - request.sy.startedAt;
    if (outcome.error) request.sy.errorCode = outcome.error.code;
    return reply;
  };
  app.post('/v1/messages', { config: { errorShape: 'anthropic' } }, messages);
}

function accept<T>(result: Validated<T>): T {
  if (result.ok) return result.value;
  const { param, message } = result.problem;
  throw new GatewayError('invalid_request', param ? `${param}: ${message}` : message, { param: param || null });
}

function passHeaders(request: FastifyRequest): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const name of PASSED_HEADERS) {
    const value = request.headers[name];
    const text = Array.isArray(value) ? value.join(',') : value;
    if (text) (out ??= {})[name] = text;
  }
  return out;
}

/** Input as OpenAI counts it (cached tokens included), so logs read the same on both routes. */
function noteUsage(request: FastifyRequest, usage: Partial<AnthropicMessage['usage']> | undefined): void {
  if (usage == null) return;
  const previous = request.sy.usage;
  const input = (usage.input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
  request.sy.usage = {
    promptTokens: usage.input_tokens == null && previous ? previous.promptTokens : input,
    completionTokens: usage.output_tokens ?? 0,
  };
}

function noteStreamUsage(request: FastifyRequest, event: SseEvent): void {
  if (event.event !== 'message_start' && event.event !== 'message_delta') return;
  try {
    const data = JSON.parse(event.data) as { message?: { usage?: AnthropicMessage['usage'] }; usage?: AnthropicMessage['usage'] };
    noteUsage(request, data.message?.usage ?? data.usage);
  } catch {
    // the client gets the event as it is; only the log line misses its tokens
  }
}
