import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/index.js';
import {
  validateChatRequest, validateCompletionRequest, validateEmbeddingRequest, type SseEvent, type Validated,
} from '../../protocol/index.js';
import type { Answer, CallContext } from '../../providers/index.js';
import { isModelGroupPattern, newRouteTrace, type RouteTrace, type Routed, type Router } from '../../router/index.js';
import { OVERHEAD_HEADER, setRoutingHeaders } from '../response-headers.js';
import { pipeEvents } from '../sse-writer.js';

export interface OpenAIRouteDeps {
  router: Router;
  startedAtSeconds: number;
}

/** The OpenAI-compatible API: chat, completions, embeddings, models. */
export function registerOpenAIRoutes(app: FastifyInstance, deps: OpenAIRouteDeps): void {
  const { router } = deps;

  const chat = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = accept(validateChatRequest(request.body));
    noteRequest(request, router, body.model, body.stream === true);
    const routed = await traced(request, reply, (trace) => router.chat(body, callContext(request), trace));
    return answer(request, reply, routed);
  };
  app.post('/v1/chat/completions', chat);
  app.post('/chat/completions', chat);
  app.post('/openai/deployments/:deployment/chat/completions', chat);

  const completion = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = accept(validateCompletionRequest(request.body));
    noteRequest(request, router, body.model, body.stream === true);
    const routed = await traced(request, reply, (trace) => router.completion(body, callContext(request), trace));
    return answer(request, reply, routed);
  };
  app.post('/v1/completions', completion);
  app.post('/completions', completion);

  const embedding = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = accept(validateEmbeddingRequest(request.body));
    noteRequest(request, router, body.model, false);
    const routed = await traced(request, reply, (trace) => router.embedding(body, callContext(request), trace));
    recordRouting(request, routed);
    const usage = routed.answer.usage;
    if (usage) request.sy.usage = { promptTokens: usage.prompt_tokens ?? 0, completionTokens: 0 };
    finishOverhead(request, reply);
    return reply.send(routed.answer);
  };
  app.post('/v1/embeddings', embedding);
  app.post('/embeddings', embedding);

  // Wildcard groups (`openai/*`) are not model ids a client can send; LiteLLM lists them only on
  // request (`?return_wildcard_routes=true`), and so do we.
  const models = async (request: FastifyRequest) => {
    const wildcards = String((request.query as Record<string, unknown> | undefined)?.return_wildcard_routes).toLowerCase() === 'true';
    return {
      object: 'list' as const,
      data: router.modelGroups()
        .filter((id) => wildcards || !isModelGroupPattern(id))
        .map((id) => ({ id, object: 'model' as const, created: deps.startedAtSeconds, owned_by: 'switchyard' })),
    };
  };
  app.get('/v1/models', models);
  app.get('/models', models);
}

function accept<T>(result: Validated<T>): T {
  if (result.ok) return result.value;
  const where = result.problem.param ? `${result.problem.param}: ` : '';
  throw new GatewayError('invalid_request', `${where}${result.problem.message}`, { param: result.problem.param || null });
}

export function noteRequest(request: FastifyRequest, router: Router, model: string, stream: boolean): void {
  if (router.hasModelGroup(model)) request.sy.modelGroup = model;
  request.sy.stream = stream;
}

export function callContext(request: FastifyRequest): CallContext {
  return { signal: request.sy.abort.signal, requestId: request.sy.id };
}

/** Routes with a trace, so that a request that fails after attempts still says what was tried. */
export async function traced<T>(request: FastifyRequest, reply: FastifyReply, route: (trace: RouteTrace) => Promise<T>): Promise<T> {
  const trace = newRouteTrace();
  try {
    return await route(trace);
  } catch (error) {
    const ctx = request.sy;
    if (trace.attempts > 0) {
      ctx.attempts = trace.attempts;
      ctx.retries = trace.retries;
      ctx.fallbacks = trace.fallbacks;
      ctx.upstreamMs = trace.upstreamMs;
      setRoutingHeaders(reply.raw, ctx);
    }
    throw error;
  }
}

export function recordRouting(request: FastifyRequest, routed: Routed<unknown>): void {
  const ctx = request.sy;
  ctx.deployment = routed.deployment;
  ctx.attempts = routed.attempts;
  ctx.retries = routed.retries;
  ctx.fallbacks = routed.fallbacks;
  ctx.fallbackGroup = routed.fallbackGroup;
  ctx.upstreamMs = routed.upstreamMs;
}

export function finishOverhead(request: FastifyRequest, reply: FastifyReply): void {
  const ctx = request.sy;
  ctx.overheadMs = Math.max(0, performance.now() - ctx.startedAt - (ctx.upstreamMs ?? 0));
  // On the raw response, so it survives reply.hijack() for streams.
  reply.raw.setHeader(OVERHEAD_HEADER, ctx.overheadMs.toFixed(2));
  setRoutingHeaders(reply.raw, ctx);
}

async function answer(request: FastifyRequest, reply: FastifyReply, routed: Routed<Answer<{ usage?: unknown }>>): Promise<FastifyReply> {
  recordRouting(request, routed);
  const result = routed.answer;
  if (!result.stream) {
    noteUsage(request, result.body.usage);
    finishOverhead(request, reply);
    return reply.send(result.body);
  }
  finishOverhead(request, reply);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  const outcome = await pipeEvents(res, result.events, {
    shape: 'openai',
    done: true,
    onEvent: (event: SseEvent) => {
      if (event.data.includes('"usage":{')) noteUsage(request, safeParse(event.data)?.usage);
    },
  });
  if (outcome.firstEventAt !== undefined) request.sy.firstByteMs = outcome.firstEventAt - request.sy.startedAt;
  if (outcome.error) request.sy.errorCode = outcome.error.code;
  return reply;
}

function noteUsage(request: FastifyRequest, usage: unknown): void {
  if (usage === null || typeof usage !== 'object') return;
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown };
  request.sy.usage = {
    promptTokens: typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0,
    completionTokens: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0,
  };
}

function safeParse(text: string): { usage?: unknown } | undefined {
  try {
    return JSON.parse(text) as { usage?: unknown };
  } catch {
    return undefined;
  }
}
