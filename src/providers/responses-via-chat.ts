import { GatewayError } from '../core/index.js';
import {
  chatCompletionToResponse, ChatToResponsesStream, inputItemsOf, itemsForNativeInput, ItemIds, newResponseId, responsesRequestToChat,
  translateEvents, type ResponseObject, type ResponsesItem, type ResponsesRequest,
} from '../protocol/index.js';
import { deploymentLabel, type Answer, type CallContext, type DeploymentClient } from './adapter.js';

/** What came before the request, when it continues a stored response (`previous_response_id`). */
export type PreviousResponse =
  | { kind: 'translated'; id: string; items: readonly ResponsesItem[] }
  | { kind: 'native'; id: string; deploymentId: string };

/** A Responses answer and how it was made: natively (the upstream keeps it) or by translation (the gateway may). */
export type ResponsesAnswer = Answer<ResponseObject> & {
  native: boolean;
  /** Translated: this request's input items, with the ids `input_items` lists them by. */
  input?: ResponsesItem[];
};

/**
 * `POST /v1/responses` for one deployment: forwarded when it speaks the Responses API, else
 * translated to a chat request and its answer (JSON or stream) back to a Response.
 *
 * A stored conversation the gateway made (translated) continues on a native deployment as input
 * items in place of `previous_response_id`, which the upstream would not know; one an upstream
 * keeps can only be continued natively.
 */
export async function answerResponses(client: DeploymentClient, request: ResponsesRequest, ctx: CallContext, previous?: PreviousResponse): Promise<ResponsesAnswer> {
  if (client.responses) {
    const answer = await client.responses(previous?.kind === 'translated' ? inlined(request, previous.items) : request, ctx);
    return { ...answer, native: true };
  }
  if (previous?.kind === 'native') {
    throw new GatewayError('invalid_request', `previous_response_id: response '${previous.id}' is kept by the openai/azure deployment that made it, and ${deploymentLabel(client.deployment)} cannot continue it; ask for a model group that deployment serves`, {
      param: 'previous_response_id',
    });
  }
  // An id the gateway does not hold: only a native deployment (its upstream) may know it.
  if (previous === undefined && request.previous_response_id != null) throw previousResponseNotFound(request.previous_response_id);
  const ids = new ItemIds();
  const frame = { id: newResponseId(previous?.id), createdAt: Math.floor(Date.now() / 1000), request, ids };
  const target = client.deployment.provider === 'anthropic' && client.deployment.params.mockResponse === undefined ? 'anthropic' : 'chat';
  const chat = responsesRequestToChat(request, { history: previous?.items, target });
  const input = inputItemsOf(request, ids);
  const answer = await client.chat(chat, ctx);
  if (!answer.stream) return { stream: false, body: chatCompletionToResponse(answer.body, frame), native: false, input };
  const translator = new ChatToResponsesStream(frame, deploymentLabel(client.deployment));
  return { stream: true, events: translateEvents(answer.events, translator), native: false, input };
}

/** OpenAI's answer for an id it does not have, word for word. */
export function previousResponseNotFound(id: string, why = ''): GatewayError {
  return new GatewayError('previous_response_not_found', `Previous response with id '${id}' not found.${why}`, { param: 'previous_response_id' });
}

/** The stored conversation as input items, the request's own after it. */
function inlined(request: ResponsesRequest, items: readonly ResponsesItem[]): ResponsesRequest {
  const own: ResponsesItem[] = typeof request.input === 'string' ? [{ role: 'user', content: request.input }] : (request.input ?? []);
  const { previous_response_id: _previous, ...rest } = request;
  return { ...rest, input: [...itemsForNativeInput(items), ...own] };
}
