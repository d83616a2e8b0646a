import { GatewayError } from '../core/index.js';
import type { ChatMessage } from '../protocol/index.js';

/** A request field the provider cannot take: a 400 naming it (the caller's fault, never the deployment's). */
export function refuseParam(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${message}`, { param });
}

/** A message's content as one string, for APIs that take plain text only; any other part is refused. */
export function plainText(content: ChatMessage['content'], where: string): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((part, j) => {
    if (part.type !== 'text' || typeof part.text !== 'string') throw refuseParam(`${where}[${j}].type`, 'only text parts are allowed here');
    return part.text;
  }).join('');
}
