import type { Deployment } from '../../config/index.js';
import { RESPONSE_OBJECT, type AnswerShape, type ResponseObject, type ResponsesRequest } from '../../protocol/index.js';
import { deploymentLabel, type Answer, type CallContext, type CallLimits, type StoredResponseAction } from '../adapter.js';
import { sendUpstream, type UpstreamRequest } from '../http-pool.js';
import { openEventStream, readJsonBody } from '../upstream-response.js';

/**
 * The Responses API forwarded to a deployment that speaks it (`openai/`, `azure/`): the body as
 * the client sent it with the deployment's model, the stream event for event as it came (each
 * event re-encoded exactly as OpenAI writes it: `event:` then `data:`), and the stored-response
 * routes (GET, DELETE, input_items) passed on to the deployment that holds the response.
 */

/** Where a deployment's Responses API lives: `path` is '' (create) or `/{id}`, `/{id}/input_items`. */
export type ResponsesUrl = (model: string, path: string) => URL;

export interface NativeResponsesTarget {
  url: ResponsesUrl;
  headers: Record<string, string>;
}

/** Any JSON object: what GET, DELETE and input_items answer differ, and the client reads them. */
const JSON_OBJECT: AnswerShape = {
  name: 'a JSON object',
  problem: (body) => (body !== null && typeof body === 'object' && !Array.isArray(body) ? undefined : 'the body is not an object'),
};

export class NativeResponses {
  private readonly label: string;

  constructor(
    private readonly deployment: Deployment,
    private readonly target: NativeResponsesTarget,
    private readonly limits: CallLimits,
  ) {
    this.label = deploymentLabel(deployment);
  }

  async create(request: ResponsesRequest, ctx: CallContext): Promise<Answer<ResponseObject>> {
    const model = ctx.upstreamModel ?? this.deployment.model;
    const stream = request.stream === true;
    const body = { ...responsesDefaults(this.deployment.params.defaults), ...request, model };
    const upstream = this.request(this.target.url(model, ''), 'POST', JSON.stringify(body), stream, ctx);
    const response = await sendUpstream(upstream);
    if (stream) return { stream: true, events: await openEventStream(response, upstream, 'responses') };
    return { stream: false, body: await readJsonBody<ResponseObject>(response, upstream, RESPONSE_OBJECT) };
  }

  async stored(action: StoredResponseAction, ctx: CallContext): Promise<unknown> {
    const model = ctx.upstreamModel ?? this.deployment.model;
    const url = this.target.url(model, `/${encodeURIComponent(action.id)}${action.inputItems ? '/input_items' : ''}`);
    for (const [name, value] of new URLSearchParams(action.query)) url.searchParams.append(name, value);
    const upstream = this.request(url, action.method, undefined, false, ctx);
    return readJsonBody<unknown>(await sendUpstream(upstream), upstream, action.method === 'GET' && !action.inputItems ? RESPONSE_OBJECT : JSON_OBJECT);
  }

  private request(url: URL, method: 'POST' | 'GET' | 'DELETE', body: string | undefined, stream: boolean, ctx: CallContext): UpstreamRequest {
    const params = this.deployment.params;
    const fallback = this.limits.timeoutMs;
    const timeoutMs = stream ? (params.streamTimeoutMs ?? params.timeoutMs ?? fallback) : (params.timeoutMs ?? fallback);
    return { url, method, headers: this.target.headers, body, signal: ctx.signal, timeoutMs, stream, label: this.label, maxAnswerBytes: this.limits.maxAnswerBytes };
  }
}

/** Deployment defaults are written with chat names; these are the ones the Responses API shares. */
function responsesDefaults(defaults: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof defaults.temperature === 'number') out.temperature = defaults.temperature;
  if (typeof defaults.top_p === 'number') out.top_p = defaults.top_p;
  const max = defaults.max_completion_tokens ?? defaults.max_tokens;
  if (typeof max === 'number' && max > 0) out.max_output_tokens = max;
  return out;
}
