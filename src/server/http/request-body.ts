import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../core/index.js';
import type { BodyBudget } from './body-budget.js';
import { noteLargeGarbage } from './memory-release.js';

/** A body past this many times the limit is not read to its end: the connection is dropped. */
const DISCARD_FACTOR = 8;
/** Bodies declared at least this large are read into one buffer of their size, not chunk by chunk. */
const PREALLOCATE_FROM = 64 * 1024;
/** Seconds a client told "busy" is asked to wait: bodies in flight usually finish within that. */
const BUSY_RETRY_AFTER_SECONDS = 1;

export interface BodyLimits {
  /** The largest body accepted (general_settings.max_request_size_mb). */
  maxBytes: number;
  /** The worker's budget of body bytes in flight (`--max_body_mb_in_flight`). */
  budget: BodyBudget;
}

/** What one request holds against the budget; the caller gives it back when the response ends. */
export interface BodyHold {
  bodyBytes: number;
}

/**
 * Reads the request body as JSON, within the size limit and the worker's budget. Any content type
 * is read as JSON (curl -d sends form-encoded and LiteLLM accepts it). An empty body is
 * `undefined` (the route's validation then says what it needed). Over the limit: body_too_large;
 * past the budget: server_busy (503, retry-after). Either way the rest of the body is read and
 * dropped (so that the client can read the answer) up to a bound, then the socket goes.
 *
 * Copies are what a large body costs, so there are as few as the parse allows: a declared body is
 * read into one buffer of its size (not chunks and then a concatenation of them), the buffer is
 * let go once decoded, and the text once parsed (JsonPieces then spares the copies on the way to
 * the upstream).
 */
export function readJsonBody(request: IncomingMessage, limits: BodyLimits, hold: BodyHold): Promise<unknown> {
  const { maxBytes, budget } = limits;
  const declared = declaredLength(request);
  return new Promise((resolve, reject) => {
    let whole = declared !== undefined && declared >= PREALLOCATE_FROM && declared <= maxBytes && budget.fits(declared)
      ? Buffer.allocUnsafe(declared)
      : undefined;
    let chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    if (declared !== undefined && declared > maxBytes) refuse(tooLarge(maxBytes));
    else if (declared !== undefined && !budget.fits(declared)) refuse(busy(budget));

    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        if (size > maxBytes * DISCARD_FACTOR) request.socket.destroy();
        return;
      }
      if (size > maxBytes) return refuse(tooLarge(maxBytes));
      if (!budget.take(chunk.length, hold.bodyBytes)) return refuse(busy(budget));
      hold.bodyBytes += chunk.length;
      if (whole !== undefined) chunk.copy(whole, size - chunk.length);
      else chunks.push(chunk);
    });
    request.once('end', () => {
      if (refused) return;
      const bytes = whole ?? (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      whole = undefined;
      chunks = [];
      const text = bytes.toString('utf8', 0, size);
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new GatewayError('invalid_json', `Request body is not valid JSON: ${(error as Error).message}`));
      }
    });
    request.once('error', (error) => reject(new GatewayError('client_closed_request', 'the client closed the request while sending it', { cause: error })));

    function refuse(error: GatewayError): void {
      refused = true;
      whole = undefined;
      chunks = [];
      budget.give(hold.bodyBytes);
      noteLargeGarbage(hold.bodyBytes);
      hold.bodyBytes = 0;
      reject(error);
    }
  });
}

function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined) return undefined;
  const value = Number(header);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError('body_too_large', `Request body is larger than the limit of ${formatBytes(limit)} (general_settings.max_request_size_mb).`);
}

function busy(budget: BodyBudget): GatewayError {
  return new GatewayError(
    'server_busy',
    `This worker holds ${formatBytes(budget.inFlight)} of request bodies already (limit ${formatBytes(budget.limit)}, --max_body_mb_in_flight); retry shortly.`,
    { headers: { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) } },
  );
}

function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB` : `${bytes} bytes`;
}
