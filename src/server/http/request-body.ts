import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../core/index.js';

/** A body past this many times the limit is not read to its end: the connection is dropped. */
const DISCARD_FACTOR = 8;

/**
 * Reads the request body as JSON, within the size limit. Any content type is read as JSON (curl
 * -d sends form-encoded and LiteLLM accepts it). An empty body is `undefined` (the route's
 * validation then says what it needed). Over the limit: body_too_large, and the rest of the body is
 * read and discarded (so that the client can read the 413) up to a bound, then the socket goes.
 */
export function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    if (tooLarge) fail();
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) {
        if (size > limit * DISCARD_FACTOR) request.socket.destroy();
        return;
      }
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        fail();
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => {
      if (tooLarge) return;
      const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new GatewayError('invalid_json', `Request body is not valid JSON: ${(error as Error).message}`));
      }
    });
    request.once('error', (error) => reject(new GatewayError('client_closed_request', 'the client closed the request while sending it', { cause: error })));

    function fail(): void {
      reject(new GatewayError('body_too_large', `Request body is larger than the limit of ${formatBytes(limit)} (general_settings.max_request_size_mb).`));
    }
  });
}

function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB` : `${bytes} bytes`;
}
