import type { AnswerShape } from './answer-shape.js';
import type { AnthropicMessagesRequest } from './anthropic-types.js';
import { validateMessagesRequest } from './anthropic-validate.js';
import type { Validated } from './validation.js';

/**
 * Anthropic's `POST /v1/messages/count_tokens`: a Messages request without `max_tokens` (and
 * without sampling settings), answered with `{"input_tokens": n}`.
 */
export interface TokenCountRequest {
  model: string;
  messages: AnthropicMessagesRequest['messages'];
  system?: AnthropicMessagesRequest['system'];
  tools?: AnthropicMessagesRequest['tools'];
  tool_choice?: AnthropicMessagesRequest['tool_choice'];
  thinking?: AnthropicMessagesRequest['thinking'];
  [key: string]: unknown;
}

export interface TokenCount {
  input_tokens: number;
  [key: string]: unknown;
}

/**
 * The same checks as a Messages request (every field the count reads: messages, system, tools),
 * with `max_tokens` not required. The original body is returned, so a native count forwards it
 * as sent and the upstream judges the fields it does not take.
 */
export function validateCountTokensRequest(body: unknown): Validated<TokenCountRequest> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return validateMessagesRequest(body);
  const checked = validateMessagesRequest({ max_tokens: 1, ...body });
  return checked.ok ? { ok: true, value: body as TokenCountRequest } : checked;
}

export const TOKEN_COUNT: AnswerShape = {
  name: 'a token count',
  problem: (body) => {
    const count = (body as { input_tokens?: unknown } | null)?.input_tokens;
    return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? undefined : '"input_tokens" is not a whole number';
  },
};
