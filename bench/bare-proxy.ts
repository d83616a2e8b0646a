import { createServer } from 'node:http';
import { Pool } from 'undici';

/**
 * The floor the gateway is measured against: node:http + an undici pool, parse the request JSON,
 * re-serialize it, forward it, parse and re-serialize a JSON answer (streams are piped), nothing else.
 */
const upstream = process.argv[2];
const port = Number(process.argv[3]);
if (!upstream || !port) throw new Error('usage: bare-proxy.ts <upstream-origin> <port>');
const pool = new Pool(upstream, { connections: 512, keepAliveTimeout: 30_000 });

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stream?: boolean };
  const response = await pool.request({
    path: req.url ?? '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  if (body.stream) {
    res.writeHead(response.statusCode, { 'content-type': 'text/event-stream' });
    for await (const chunk of response.body) res.write(chunk);
    res.end();
    return;
  }
  const answer = (await response.body.json()) as object;
  res.writeHead(response.statusCode, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer));
});
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port })}\n`));
