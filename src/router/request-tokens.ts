import type { AnthropicMessagesRequest, ChatCompletionRequest, CompletionRequest, EmbeddingRequest, ResponsesRequest } from '../protocol/index.js';

/**
 * Input tokens a request is expected to use before the upstream says, for usage-based routing's
 * `tpm` check (as LiteLLM, the prompt only): text at about four characters a token, token-id
 * arrays by their length. A rough figure is enough: the real usage replaces it once known.
 */

export function chatRequestTokens(request: ChatCompletionRequest): number {
  let chars = 0;
  for (const message of request.messages) {
    if (typeof message.content === 'string') chars += message.content.length;
    else if (Array.isArray(message.content)) {
      for (const part of message.content) if (typeof part.text === 'string') chars += part.text.length;
    }
  }
  return textTokens(chars);
}

export function messagesRequestTokens(request: AnthropicMessagesRequest): number {
  let chars = typeof request.system === 'string' ? request.system.length : 0;
  for (const message of request.messages) {
    if (typeof message.content === 'string') chars += message.content.length;
    else if (Array.isArray(message.content)) {
      for (const block of message.content) if ('text' in block && typeof block.text === 'string') chars += block.text.length;
    }
  }
  return textTokens(chars);
}

export function responsesRequestTokens(request: ResponsesRequest): number {
  const input = request.input;
  if (typeof input === 'string') return textTokens(input.length + (request.instructions?.length ?? 0));
  let chars = request.instructions?.length ?? 0;
  for (const item of input ?? []) {
    const content = (item as { content?: unknown }).content;
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) for (const part of content) if (typeof part?.text === 'string') chars += part.text.length;
  }
  return textTokens(chars);
}

export function completionRequestTokens(request: CompletionRequest): number {
  return inputTokens(request.prompt);
}

export function embeddingRequestTokens(request: EmbeddingRequest): number {
  return inputTokens(request.input);
}

function inputTokens(input: string | string[] | number[] | number[][]): number {
  if (typeof input === 'string') return textTokens(input.length);
  let tokens = 0;
  for (const item of input) tokens += typeof item === 'string' ? textTokens(item.length) : Array.isArray(item) ? item.length : 1;
  return tokens;
}

function textTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}
