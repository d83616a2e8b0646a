import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startFakeUpstream, sleep, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * Clients that are slow, too many or not speaking HTTP: a request whose headers or body do not
 * arrive in time is answered 408 and closed (a long answer is never cut: the timeouts bound
 * receiving the request only), a worker takes a bounded number of connections, and what node
 * itself refuses (bad HTTP, headers too large) is answered in the JSON error shape.
 */

let upstream: FakeUpstream;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('slow-stream', { text: 'one two three four five six seven eight', chunkIntervalMs: 400 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const config = () => ({ model_list: [{ model_name: 'slow-stream', litellm_params: { model: 'openai/slow-stream', api_base: `${upstream.url}/v1` } }] });

/** A raw connection: what the server wrote, and when it closed. */
interface Raw {
  socket: Socket;
  received(): string;
  closed: Promise<number>;
}

function open(gateway: GatewayProcess): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: gateway.port });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (piece: string) => (text += piece));
    socket.on('error', () => undefined); // a reset shows as the close
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

/** Status and JSON body of the one HTTP response in `text`. */
function parseResponse(text: string): { status: number; headers: string; body: { error?: { message: string; type: string; code: string } } } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), headers: head.toLowerCase(), body: body ? JSON.parse(body) : {} };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what} not within ${ms} ms`)))]);
}

describe('defaults: the header timeout, and node\'s own refusals', () => {
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGateway({ config: config() });
  });

  test('headers that never finish are answered 408 in the JSON shape within about ten seconds', async () => {
    const raw = await open(gateway);
    const started = Date.now();
    raw.socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    const closedAt = await within(raw.closed, 15_000, 'the connection closing');
    assert.ok(closedAt - started >= 9_000, `closed after ${closedAt - started} ms, before the 10 s default`);
    const answer = parseResponse(raw.received());
    assert.equal(answer.status, 408);
    assert.equal(answer.body.error?.code, 'request_timeout');
    assert.match(answer.headers, /connection: close/);
  });

  test('what node refuses itself is answered in the JSON error shape: bad HTTP 400, large headers 431', async () => {
    const garbage = await open(gateway);
    garbage.socket.write('THIS IS NOT HTTP\r\n\r\n');
    await within(garbage.closed, 3_000, 'the bad request closing');
    const bad = parseResponse(garbage.received());
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'bad_http_request');
    assert.match(bad.headers, /content-type: application\/json/);

    const large = await open(gateway);
    large.socket.write(`GET /health/liveliness HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await within(large.closed, 3_000, 'the large-header request closing');
    const tooLarge = parseResponse(large.received());
    assert.equal(tooLarge.status, 431);
    assert.equal(tooLarge.body.error?.code, 'headers_too_large');
  });
});

describe('configured timeouts and connection limit', () => {
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGateway({
      config: config(),
      args: ['--client_header_timeout', '1', '--client_request_timeout', '2', '--keepalive_timeout', '5', '--max_connections_per_worker', '4'],
    });
  });

  test('a body that stops arriving is answered 408 once the request timeout passes', async () => {
    const raw = await open(gateway);
    const started = Date.now();
    raw.socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":');
    const closedAt = await within(raw.closed, 6_000, 'the connection closing');
    assert.ok(closedAt - started >= 1_800, `closed after ${closedAt - started} ms`);
    const answer = parseResponse(raw.received());
    assert.equal(answer.status, 408);
    assert.equal(answer.body.error?.type, 'invalid_request_error');
  });

  test('an answer streaming longer than the request timeout is not cut', async () => {
    const started = Date.now();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow-stream', stream: true, messages: [{ role: 'user', content: 'slowly' }] }),
    });
    const text = await response.text();
    assert.equal(response.status, 200);
    assert.ok(Date.now() - started > 2_500, 'the stream outlasted the request timeout');
    assert.ok(text.trimEnd().endsWith('data: [DONE]'), text.slice(-200));
  });

  test('an idle keep-alive connection outlives the header timeout', async () => {
    const raw = await open(gateway);
    const ask = 'GET /health/liveliness HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';
    raw.socket.write(ask);
    await sleep(2_500); // idle for longer than the header and request timeouts
    raw.socket.write(ask);
    await sleep(300);
    assert.equal(raw.received().match(/HTTP\/1\.1 200/g)?.length, 2, raw.received());
    raw.socket.destroy();
  });

  test('past the connection limit new connections are closed; below it again they are served', async () => {
    // Six connections against a limit of four (other connections of this file may hold slots too):
    // at most four are kept, and the rest are closed at once, before the 1 s header timeout.
    const opened: Array<Raw & { at: number }> = [];
    for (let i = 0; i < 6; i++) {
      opened.push({ ...(await open(gateway)), at: Date.now() });
      await sleep(50);
    }
    const closedAt = await Promise.all(opened.map((raw) => Promise.race([raw.closed, sleep(600).then(() => undefined)])));
    const dropped = opened.filter((raw, i) => closedAt[i] !== undefined && (closedAt[i] as number) - raw.at < 500 && raw.received() === '');
    const kept = closedAt.filter((at) => at === undefined).length;
    assert.ok(kept <= 4, `${kept} connections kept`);
    assert.ok(dropped.length >= 2, `${dropped.length} connections closed at once`);
    for (const raw of opened) raw.socket.destroy();
    await sleep(200);
    const response = await fetch(`${gateway.url}/health/liveliness`);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    assert.ok(gateway.logs.some((line) => line.msg?.startsWith('connection limit reached')));
  });
});
