import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the fakes of providers with their own API (fake-cohere.ts, fake-ollama.ts) share: a server
 * on 127.0.0.1 and a free port that records every request and picks a behaviour per request by
 * the model it names. The API itself (routes, shapes, errors) is each fake's own.
 */

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The body parsed as JSON; undefined when it was not JSON. */
  body: Record<string, unknown> | undefined;
  /** The body as sent. */
  text: string;
  model: string | undefined;
}

export interface ProviderBehaviour {
  /** Answer this HTTP status with the API's error body. */
  status?: number;
  errorMessage?: string;
  headers?: Record<string, string>;
  /** Reply text (default: `fake reply to: <last user text>`). */
  text?: string;
  /** Answer with a call of this tool (arguments as JSON text) when the request offers tools. */
  toolCall?: { name: string; arguments: string };
  /** End the stream cleanly after this many events, without the API's end. */
  truncateAfterChunks?: number;
  /** Send the API's mid-stream error after this many events (Ollama). */
  errorAfterChunks?: number;
}

export type Handler<B> = (req: SeenRequest, res: ServerResponse, behaviour: B) => void | Promise<void>;

export interface FakeProvider<B extends ProviderBehaviour = ProviderBehaviour> {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Behaviour for requests naming this model (later rules win). */
  behave(model: string, behaviour: B): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startProviderServer<B extends ProviderBehaviour>(handle: Handler<B>): Promise<FakeProvider<B>> {
  let rules: Array<{ model: string; behaviour: B }> = [];
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = text === '' ? undefined : JSON.parse(text);
        body = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const seen: SeenRequest = { method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'http://fake').pathname, headers: req.headers, body, text, model: typeof body?.model === 'string' ? body.model : undefined };
      requests.push(seen);
      const behaviour = [...rules].reverse().find((r) => r.model === seen.model)?.behaviour ?? ({} as B);
      await handle(seen, res, behaviour);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake provider failed: ${String(error)}`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behave(model, behaviour) {
      rules.push({ model, behaviour });
    },
    reset() {
      rules = [];
      requests.length = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** The last user message's text, as the fakes echo it. */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  const last = [...(messages as Array<{ role?: string; content?: unknown }>)].reverse().find((m) => m.role === 'user');
  const content = last?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return (content as Array<{ text?: string }>).map((p) => p.text ?? '').join('');
  return '';
}

/** Text in word-sized pieces that rejoin into it. */
export function words(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [text];
}
