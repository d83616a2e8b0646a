import type { ServerResponse } from 'node:http';
import { noteLargeGarbage } from './memory-release.js';

const JSON_TYPE = 'application/json; charset=utf-8';
/** Answers from this many characters on are written a window at a time (see writeInWindows). */
const LARGE_ANSWER = 1024 * 1024;
const WINDOW = 64 * 1024;

/**
 * A response about to be written and the headers decided for it so far, as a flat name/value list
 * (the request id, routing headers, …). They go out with the status line in one writeHead: node
 * handles a list given there about twice as fast as the same headers set one by one beforehand.
 */
export interface Reply {
  readonly response: ServerResponse;
  readonly headers: string[];
}

/** Writes a JSON answer with the reply's headers, `extra` ones and its content type and length. */
export function sendJson(reply: Reply, status: number, body: unknown, extra?: Readonly<Record<string, string>>): void {
  const text = JSON.stringify(body);
  const headers = reply.headers;
  if (extra !== undefined) for (const name of Object.keys(extra)) headers.push(name, extra[name] as string);
  headers.push('content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(text)));
  reply.response.writeHead(status, headers);
  if (text.length < LARGE_ANSWER) reply.response.end(text);
  else void writeInWindows(reply.response, text);
}

/**
 * A large answer written 64 KB at a time, each window after the socket drained the last: `end`
 * with the whole text would make the socket a second copy of it (as large again) to write from.
 */
async function writeInWindows(response: ServerResponse, text: string): Promise<void> {
  for (let at = 0; at < text.length;) {
    if (response.destroyed) return;
    let end = Math.min(at + WINDOW, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--; // never split a surrogate pair
    const flushed = response.write(text.slice(at, end));
    at = end;
    if (!flushed) await drained(response);
  }
  if (!response.destroyed) response.end();
  noteLargeGarbage(text.length);
}

/** Resolves when the response can take more, or is gone. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

export function sendText(reply: Reply, status: number, contentType: string, text: string): void {
  reply.headers.push('content-type', contentType, 'content-length', String(Buffer.byteLength(text)));
  reply.response.writeHead(status, reply.headers);
  reply.response.end(text);
}

/** Sends the status line and the reply's headers with `extra` ones (e.g. an event stream's). */
export function sendHead(reply: Reply, status: number, extra: readonly string[]): void {
  reply.response.writeHead(status, reply.headers.concat(extra));
}

/** Adds a header to a reply, unless its headers have been sent already. */
export function addHeader(reply: Reply, name: string, value: string): void {
  if (!reply.response.headersSent) reply.headers.push(name, value);
}

/** The query string of a request, parsed (only routes that read one pay for it). */
export function queryOf(url: string | undefined): URLSearchParams {
  const at = url?.indexOf('?') ?? -1;
  return new URLSearchParams(at === -1 || url === undefined ? '' : url.slice(at + 1));
}
