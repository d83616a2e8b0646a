import {
  chatCompletionToMessage, messagesRequestToChat, OpenAIToAnthropicStream, translateEvents,
  type AnthropicMessage, type AnthropicMessagesRequest,
} from '../protocol/index.js';
import { deploymentLabel, type Answer, type CallContext, type DeploymentClient } from './adapter.js';

/**
 * `/v1/messages` for a deployment that speaks only the OpenAI API: the Messages request becomes
 * a chat request, and the answer (JSON or stream) comes back as Anthropic's.
 */
export async function messagesViaChat(client: DeploymentClient, request: AnthropicMessagesRequest, ctx: CallContext): Promise<Answer<AnthropicMessage>> {
  const answer = await client.chat(messagesRequestToChat(request), ctx);
  if (!answer.stream) return { stream: false, body: chatCompletionToMessage(answer.body) };
  const translator = new OpenAIToAnthropicStream({ model: client.deployment.model, label: deploymentLabel(client.deployment) });
  return { stream: true, events: translateEvents(answer.events, translator) };
}

/** The deployment's own Messages call when it has one, else the translation through chat. */
export function answerMessages(client: DeploymentClient, request: AnthropicMessagesRequest, ctx: CallContext): Promise<Answer<AnthropicMessage>> {
  return client.messages ? client.messages(request, ctx) : messagesViaChat(client, request, ctx);
}
