import { request as httpRequest } from 'node:http';

/**
 * A POST of raw bytes with node:http: with a content-length, or chunked without one (the two ways
 * a client sends a body, which the gateway reads differently), and the answer read as text.
 */

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The answer parsed as JSON ({} when it is not JSON). */
  json: { error?: { message: string; code: string | null; type: string } } & Record<string, unknown>;
}

export function postBytes(url: string, body: Buffer, options: { chunked?: boolean; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (!options.chunked) headers['content-length'] = String(body.length);
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (piece: string) => (text += piece));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) }));
    });
    req.on('error', reject);
    if (!options.chunked) return void req.end(body);
    for (let at = 0; at < body.length; at += 256 * 1024) req.write(body.subarray(at, at + 256 * 1024));
    req.end();
  });
}

function parseJson(text: string): RawAnswer['json'] {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as RawAnswer['json']) : {};
  } catch {
    return {};
  }
}
