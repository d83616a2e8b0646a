import { randomBytes } from 'node:crypto';
import type { ResponsesItem, ResponsesRequest } from './responses-types.js';

/**
 * Ids and items of translated Responses. A translated response's id is OpenAI-like
 * (`resp_` + 48 hex digits) and its first 12 digits name its conversation: every response that
 * continues one (`previous_response_id`) shares them, so that the conversation store can keep a
 * conversation's records together (one Redis Cluster hash slot, see src/response-store/).
 */

const CONVERSATION_DIGITS = 12;

/** The conversation part of a response id (`resp_<12 hex>…`); the whole id when it has none. */
export function conversationOf(responseId: string): string {
  return responseId.startsWith('resp_') && responseId.length >= 5 + CONVERSATION_DIGITS
    ? responseId.slice(5, 5 + CONVERSATION_DIGITS)
    : responseId;
}

/** A new response id: in `previous`'s conversation when it continues one, else in a new one. */
export function newResponseId(previous?: string | null): string {
  const random = randomBytes(24).toString('hex');
  const conversation = previous != null && previous.startsWith('resp_') && previous.length >= 5 + CONVERSATION_DIGITS
    ? conversationOf(previous)
    : random.slice(0, CONVERSATION_DIGITS);
  return `resp_${conversation}${random.slice(CONVERSATION_DIGITS)}`;
}

/** Item ids need to be unique, not secret: a random stem per process, a count per response. */
const PROCESS_STEM = randomBytes(12).toString('hex');
let responses = 0;

/**
 * Item ids for one response (`msg_…`, `fc_…`, `rs_…` as OpenAI writes them): the process stem,
 * the response's number and a counter, so that a response pays no random draw for them (one
 * costs about as much as translating a hundred stream events).
 */
export class ItemIds {
  private readonly stem = `${PROCESS_STEM}${(responses++ % 0x1000000000000).toString(16).padStart(12, '0')}`;
  private next = 0;

  id(prefix: 'msg' | 'fc' | 'rs' | 'fco'): string {
    return `${prefix}_${this.stem}${(this.next++).toString(16).padStart(4, '0')}`;
  }
}

/**
 * The request's input as a list of items, each with an id (as OpenAI lists them under
 * `input_items`): a string input is one user message; items without an id get one. The items
 * are copies: the request itself is not changed.
 */
export function inputItemsOf(request: Pick<ResponsesRequest, 'input'>, ids: ItemIds): ResponsesItem[] {
  const input = request.input;
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ type: 'message', id: ids.id('msg'), role: 'user', content: [{ type: 'input_text', text: input }] }];
  return input.map((item) => {
    const type = item.type ?? 'message';
    if (typeof item.id === 'string' && item.id !== '') return { ...item, type };
    const prefix = type === 'function_call' ? 'fc' : type === 'function_call_output' ? 'fco' : type === 'reasoning' ? 'rs' : 'msg';
    return { ...item, type, id: ids.id(prefix) };
  });
}

/**
 * A stored conversation's items as input for a native deployment, which never saw them: the
 * gateway's item ids and reasoning items (whose content only the gateway can read) are left out,
 * as OpenAI would refuse them.
 */
export function itemsForNativeInput(items: readonly ResponsesItem[]): ResponsesItem[] {
  const out: ResponsesItem[] = [];
  for (const item of items) {
    if (item.type === 'reasoning') continue;
    const { id: _id, status: _status, ...rest } = item as Record<string, unknown>;
    out.push(rest as ResponsesItem);
  }
  return out;
}
