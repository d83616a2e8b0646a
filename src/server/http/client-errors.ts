import type { Socket } from 'node:net';
import { GatewayError, sequentialId } from '../../core/index.js';
import { REQUEST_ID_HEADER } from '../response-headers.js';

/**
 * What node's HTTP parser refuses before any route sees the request (not HTTP, headers too large,
 * a request that did not arrive in time) is answered here, in the same JSON error shape as
 * everything else: node's own answers have empty bodies. As node does, nothing is written once a
 * response on the connection has begun (it would corrupt it), and the connection is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && inFlight?.headersSent !== true) {
    const failure = gatewayErrorFor(error.code);
    const body = JSON.stringify(failure.toOpenAIBody());
    socket.write(
      `HTTP/1.1 ${failure.status} ${REASONS[failure.status] ?? 'Error'}\r\n`
      + `${REQUEST_ID_HEADER}: ${sequentialId()}\r\n`
      + 'content-type: application/json; charset=utf-8\r\n'
      + `content-length: ${Buffer.byteLength(body)}\r\n`
      + 'connection: close\r\n\r\n'
      + body,
    );
  }
  socket.destroySoon();
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

function gatewayErrorFor(code: string | undefined): GatewayError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError('headers_too_large', 'Request headers are larger than the server accepts.');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new GatewayError('body_too_large', 'Chunk extensions are larger than the server accepts.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError('request_timeout', 'The request did not arrive in time (--client_header_timeout for headers, --client_request_timeout for the whole request).');
    default:
      return new GatewayError('bad_http_request', 'The request is not valid HTTP.');
  }
}
