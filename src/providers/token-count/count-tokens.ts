import { messagesRequestToChat, type TokenCount, type TokenCountRequest } from '../../protocol/index.js';
import type { CallContext, DeploymentClient } from '../adapter.js';
import { countChatTokens, encodingForModel } from './local-token-count.js';

/**
 * `/v1/messages/count_tokens` for one deployment: its own count API when it has one (`anthropic/`),
 * else counted here with the tokenizer of the model it runs (the request read as the chat request
 * the translation would send it).
 */
export async function answerCountTokens(client: DeploymentClient, request: TokenCountRequest, ctx: CallContext, options: { beta: boolean }): Promise<TokenCount> {
  if (client.countTokens) return client.countTokens(request, ctx, options);
  const chat = messagesRequestToChat({ ...request, max_tokens: 1 });
  return { input_tokens: countChatTokens(chat.messages, chat.tools, encodingForModel(ctx.upstreamModel ?? client.deployment.model)) };
}
