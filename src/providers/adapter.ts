import type { Deployment } from '../config/index.js';
import type { CancelSignal } from '../core/index.js';
import type {
  AnthropicMessage, AnthropicMessagesRequest, ChatCompletion, ChatCompletionRequest, Completion, CompletionRequest,
  EmbeddingRequest, EmbeddingResponse, ResponseObject, ResponsesRequest, SseEvent, TokenCount, TokenCountRequest,
} from '../protocol/index.js';

/**
 * What a provider adapter offers the router: one client per deployment, built once at start-up
 * (URL, headers and auth resolved then, not per request). Failures are thrown as GatewayError
 * with a catalogue code; a client that goes away shows up as `client_closed_request`.
 */

export interface CallContext {
  /** Aborted when the client disconnects or the gateway gives up; the upstream call stops at once. */
  signal: CancelSignal;
  requestId: string;
  /** Client headers an adapter may forward (e.g. `anthropic-beta` on the native route). */
  passHeaders?: Readonly<Record<string, string>>;
  /**
   * The upstream model for this call when it differs from the deployment's: a wildcard deployment
   * (`model: openai/*`) learns per request what its `*` stands for. Absent: `deployment.model`.
   */
  upstreamModel?: string;
  /** The request's own `drop_params` (it beats the deployment's and `litellm_settings`'). */
  dropParams?: boolean;
  /** The request's `additional_drop_params`: fields never to send, added to the deployment's. */
  additionalDropParams?: readonly string[];
  /** Told which request fields were dropped for this deployment (names only), for the debug log. */
  onDropped?: (deployment: Deployment, fields: readonly string[]) => void;
  /** Bytes of the client's request body: a large one is sent upstream without copying its large strings. */
  bodyBytes?: number;
}

/**
 * An upstream stream: events in order, in batches (never empty) of what arrived together, so that
 * each layer pays its async step once per upstream read rather than once per event. OpenAI-style
 * events exclude the final `[DONE]`; Anthropic ones carry their `event:` names.
 */
export type EventStream = AsyncIterable<SseEvent[]>;

/** What bounds every upstream call of a client: its default timeout and the largest answer it reads whole. */
export interface CallLimits {
  /** Milliseconds for a call whose deployment sets no `timeout`. */
  timeoutMs: number;
  /** general_settings.max_response_size_mb, in bytes. */
  maxAnswerBytes: number;
}

export type Answer<T> = { stream: false; body: T } | { stream: true; events: EventStream };

export interface DeploymentClient {
  readonly deployment: Deployment;
  /**
   * Where the upstream is, for the `x-litellm-model-api-base` header: scheme, host and port of its
   * URL only (never a path, user info or query, where credentials can hide). None for the mock.
   */
  readonly apiBase?: string;
  chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Answer<ChatCompletion>>;
  completion(request: CompletionRequest, ctx: CallContext): Promise<Answer<Completion>>;
  embedding(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse>;
  /**
   * An Anthropic Messages call (`POST /v1/messages`). Optional: a client without it is answered by
   * translating to chat() and back (`answerMessages`); `anthropic/` clients forward it natively.
   */
  messages?(request: AnthropicMessagesRequest, ctx: CallContext): Promise<Answer<AnthropicMessage>>;
  /**
   * `POST /v1/responses` natively (`openai/`, `azure/`): the body as the client sent it, the model
   * replaced. Optional: a client without it is answered through chat() (`answerResponses`).
   */
  responses?(request: ResponsesRequest, ctx: CallContext): Promise<Answer<ResponseObject>>;
  /** A response stored upstream (native ones): read, deleted or its input items listed, as the upstream answers. */
  storedResponse?(action: StoredResponseAction, ctx: CallContext): Promise<unknown>;
  /** `POST /v1/messages/count_tokens` natively (`anthropic/`). Optional: others count locally. */
  countTokens?(request: TokenCountRequest, ctx: CallContext, options: { beta: boolean }): Promise<TokenCount>;
}

export interface StoredResponseAction {
  method: 'GET' | 'DELETE';
  id: string;
  /** `GET …/{id}/input_items`. */
  inputItems: boolean;
  /** The client's query string (`?limit=…&order=…`), without the `?`; '' for none. */
  query: string;
}

/** The scheme, host and port of a URL (`https://api.anthropic.com`): nothing that can hold a secret. */
export function publicOrigin(url: URL): string {
  return url.origin;
}

/** How errors name a deployment: model group, id, and where it points. */
export function deploymentLabel(deployment: Deployment): string {
  return `deployment ${deployment.modelName}/${deployment.id} (${deployment.provider}/${deployment.model})`;
}
