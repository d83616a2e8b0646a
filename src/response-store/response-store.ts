import type { ResponseObject, ResponsesItem } from '../protocol/index.js';

/**
 * What the gateway keeps of a Responses API answer made with `store` (OpenAI's default), so that
 * a later request can continue it (`previous_response_id`) and `GET /v1/responses/{id}` can show
 * it. Two kinds:
 * - `translated`: the gateway made the answer (Claude, a chat API, mock), so it keeps all of it:
 *   the response, its input items and the ids of the responses before it in its conversation
 *   (`chain`, oldest first). A conversation is read back from those records, each turn once.
 * - `native`: an `openai/` or `azure/` deployment made and keeps it; the gateway notes only which
 *   deployment, so that follow-ups and GET/DELETE go back to it.
 */
export interface StoredTranslated {
  readonly kind: 'translated';
  readonly id: string;
  readonly response: ResponseObject;
  readonly input: readonly ResponsesItem[];
  readonly chain: readonly string[];
}

export interface StoredNative {
  readonly kind: 'native';
  readonly id: string;
  readonly deploymentId: string;
}

export type StoredResponse = StoredTranslated | StoredNative;

export interface ResponseStore {
  /** Where records live now: `redis` (shared by every worker and host) or `memory` (this worker). */
  readonly where: () => 'redis' | 'memory';
  get(id: string): Promise<StoredResponse | undefined>;
  /**
   * Every item of a translated response's conversation, oldest first: each earlier turn's input
   * and output, then its own. Undefined when an earlier turn is gone (expired or deleted).
   */
  conversation(record: StoredTranslated): Promise<ResponsesItem[] | undefined>;
  /** Stores a record (and renews the life of the conversation it belongs to). */
  put(record: StoredResponse): Promise<void>;
  /** True when there was such a record. */
  delete(id: string): Promise<boolean>;
}

/** A turn's items as the next turn sees them: what it was given, then what it answered. */
export function turnItems(record: StoredTranslated): ResponsesItem[] {
  return [...record.input, ...record.response.output];
}
