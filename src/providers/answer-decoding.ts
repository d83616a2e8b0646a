import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/**
 * Content codings an upstream may answer with. The gateway never asks for one (it sends no
 * `accept-encoding`, and OpenAI, Anthropic and Azure then answer in plain bytes), but servers
 * behind some proxies or frameworks compress anyway, and `extra_headers` may ask for it; such an
 * answer is decoded rather than failed. zlib does the work off the main thread.
 */
const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

export type AnswerDecoding =
  | { kind: 'plain' }
  | { kind: 'decoded'; decoder: Transform; coding: string }
  | { kind: 'unsupported'; coding: string };

/** What to do with an answer's `content-encoding` header (absent or `identity`: nothing). */
export function answerDecoding(header: string | string[] | undefined): AnswerDecoding {
  const value = (Array.isArray(header) ? header.join(',') : header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return { kind: 'plain' };
  const codings = value.split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return { kind: 'plain' };
  const coding = codings.join(', ');
  const make = codings.length === 1 ? DECODERS[codings[0] as string] : undefined;
  return make === undefined ? { kind: 'unsupported', coding } : { kind: 'decoded', decoder: make(), coding };
}
