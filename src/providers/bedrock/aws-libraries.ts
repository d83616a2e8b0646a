import { createHash } from 'node:crypto';
import { EventStreamCodec, type Message } from '@smithy/core/event-streams';
import { fromUtf8, Hash, toUtf8 } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { JsonPieces } from '../../core/index.js';
import type { AwsCredentials } from './bedrock-target.js';

/**
 * AWS's own packages for what Bedrock needs (the ones its JavaScript SDK uses): SigV4 signing
 * (`@smithy/signature-v4`, hashing with node's crypto through `@smithy/core/serde`'s `Hash`) and
 * the binary event-stream codec (`@smithy/core/event-streams`, which checks both CRCs of every
 * message). This module is loaded
 * on a bedrock/ deployment's first call (`import()` in bedrock-client.ts), so that a worker
 * without one never evaluates it.
 */

export type SignBody = string | JsonPieces;

export interface SignedCall {
  headers: Record<string, string>;
}

export class BedrockSigner {
  private readonly signer: SignatureV4;

  constructor(region: string, credentials: AwsCredentials) {
    this.signer = new SignatureV4({ service: 'bedrock', region, credentials, sha256: Hash.bind(null, 'sha256') });
  }

  /**
   * The headers of a signed POST. The payload hash is computed here over the body as it will be
   * sent (a large body piece by piece, never joined) and sent as `x-amz-content-sha256`, which
   * the signer then takes as the payload's hash.
   */
  async sign(url: URL, headers: Record<string, string>, body: SignBody): Promise<Record<string, string>> {
    const hash = createHash('sha256');
    if (typeof body === 'string') hash.update(body);
    else for (const piece of body) hash.update(piece);
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname,
      query: {},
      headers: { ...headers, host: url.host, 'x-amz-content-sha256': hash.digest('hex') },
    });
    return signed.headers;
  }
}

/** One decoded event-stream message: its headers as plain strings, and its payload. */
export interface StreamMessage {
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * AWS event-stream framing: every message starts with its total length (4 bytes, big-endian),
 * so a byte stream splits into messages by that prefix; each whole message is decoded (and its
 * CRCs checked) by AWS's codec.
 */
export class EventStreamReader {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): StreamMessage[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: StreamMessage[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (length < 16) throw new Error(`an event-stream message declares ${length} bytes, fewer than its prelude`);
      if (this.pending.length < length) break;
      out.push(plain(this.codec.decode(this.pending.subarray(0, length))));
      this.pending = this.pending.subarray(length);
    }
    return out;
  }

  /** Bytes left over at the end of the body: a message cut short. */
  get leftover(): number {
    return this.pending.length;
  }
}

function plain(message: Message): StreamMessage {
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(message.headers)) headers[name] = String(header.value);
  return { headers, body: message.body };
}
