import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * `--ssl_keyfile_path` / `--ssl_certfile_path`: the gateway serves HTTPS (node:https is loaded only
 * then), and the official client talks to it with a certificate made for the test.
 */

const MASTER_KEY = 'sk-tls-master-0123456789';
let gateway: GatewayProcess;
let agent: Agent;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  gateway = await startGateway({
    config: {
      model_list: [{ model_name: 'mocked', litellm_params: { model: 'openai/m', mock_response: 'over TLS' } }],
      general_settings: { master_key: MASTER_KEY },
    },
    args: ['--ssl_keyfile_path', key, '--ssl_certfile_path', cert],
    waitReady: false,
  });
  agent = new Agent({ connect: { ca: readFileSync(cert) } });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await undiciFetch(`https://127.0.0.1:${gateway.port}/health/readiness`, { dispatcher: agent });
      if (response.status === 200) break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

after(async () => {
  await stopAllGateways();
  await agent?.close();
});

test('with a key and certificate the gateway answers over HTTPS, and plain HTTP gets no answer', async () => {
  const client = new OpenAI({
    baseURL: `https://127.0.0.1:${gateway.port}/v1`, apiKey: MASTER_KEY, maxRetries: 0,
    fetch: ((url: string, init: object) => undiciFetch(url, { ...init, dispatcher: agent })) as unknown as typeof fetch,
  });
  const completion = await client.chat.completions.create({ model: 'mocked', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(completion.choices[0]!.message.content, 'over TLS');
  const chunks: string[] = [];
  for await (const chunk of await client.chat.completions.create({ model: 'mocked', messages: [{ role: 'user', content: 'hi' }], stream: true })) {
    chunks.push(chunk.choices[0]?.delta.content ?? '');
  }
  assert.equal(chunks.join(''), 'over TLS');
  await assert.rejects(fetch(`http://127.0.0.1:${gateway.port}/health/liveliness`));
});
