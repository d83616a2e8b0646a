import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../core/index.js';
import { EXPOSITION_CONTENT_TYPE } from './exposition.js';

export interface MetricsPortOptions {
  host: string;
  port: number;
  render: () => Promise<string>;
  /** undefined when the request may read the metrics, else the error to answer (401). */
  authorize: (headers: IncomingHttpHeaders) => { status: number; body: object } | undefined;
  logger: Logger;
}

/**
 * `--prometheus_metrics_port`: the primary serves GET /metrics itself on its own port. It needs
 * no worker at all, so it answers even while every worker is busy, stuck or being replaced.
 */
export async function serveMetricsPort(options: MetricsPortOptions): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]?.replace(/\/+$/, '') ?? '';
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return json(response, 404, { error: { message: 'Not found: this port serves GET /metrics only.', type: 'invalid_request_error', code: 'not_found' } });
    }
    const denied = options.authorize(request.headers);
    if (denied) return json(response, denied.status, denied.body);
    options.render().then(
      (text) => {
        response.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        options.logger.error({ err: error }, 'metrics: rendering failed');
        json(response, 500, { error: { message: 'Rendering the metrics failed; see the primary\'s log.', type: 'server_error', code: 'internal_error' } });
      },
    );
  });
  server.keepAliveTimeout = 65_000; // scrapers keep their connection between scrapes
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  return server;
}

function json(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
