import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * The ways a client may present the master key, as LiteLLM's user_api_key_auth reads them:
 * x-litellm-api-key first, then Authorization with a scheme (Bearer, Basic as Langfuse clients
 * send it, AWS SigV4's Credential=), then api-key, x-api-key, x-goog-api-key and
 * ocp-apim-subscription-key. An Authorization header without a scheme is refused, as LiteLLM
 * refuses it. The key never reaches the logs, in any form.
 */

const KEY = 'sk-auth-forms-master-7319';
let gateway: GatewayProcess;

before(async () => {
  gateway = await startGateway({
    config: { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', mock_response: 'fine' } }], general_settings: { master_key: KEY } },
  });
});

after(async () => {
  await stopAllGateways();
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function call(headers: Record<string, string>): Promise<{ status: number; message: string }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await response.json()) as { error?: { message: string } };
  return { status: response.status, message: body.error?.message ?? '' };
}

describe('key forms', () => {
  test('Basic with the key as the password (Langfuse clients), or as the whole credential (LiteLLM reads both)', async () => {
    assert.equal((await call({ authorization: basic('pk-lf-1234', KEY) })).status, 200);
    assert.equal((await call({ authorization: basic('', KEY) })).status, 200);
    assert.equal((await call({ authorization: `Basic ${KEY}` })).status, 200);
    assert.equal((await call({ authorization: basic('pk-lf-1234', 'sk-wrong') })).status, 401);
    assert.equal((await call({ authorization: basic(KEY, 'sk-wrong') })).status, 401, 'the user name is not the key');
  });

  test('an Authorization header without a scheme is refused, saying which form to use', async () => {
    const bare = await call({ authorization: KEY });
    assert.equal(bare.status, 401);
    assert.match(bare.message, /Bearer/);
    assert.ok(!bare.message.includes(KEY), 'the message does not echo the key');
    assert.equal((await call({ authorization: KEY, 'x-api-key': KEY })).status, 401, 'as in LiteLLM, a malformed Authorization is not passed over');
  });

  test('Bearer in any case, and the OpenAI SDK', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) assert.equal((await call({ authorization: `${scheme} ${KEY}` })).status, 200, scheme);
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.choices[0]?.message.content, 'fine');
  });

  test('x-litellm-api-key comes before Authorization, which may then carry something else', async () => {
    assert.equal((await call({ authorization: 'Bearer a-token-for-another-proxy', 'x-litellm-api-key': KEY })).status, 200);
    assert.equal((await call({ authorization: basic('corp', 'proxy-pass'), 'x-litellm-api-key': `Bearer ${KEY}` })).status, 200);
    assert.equal((await call({ authorization: `Bearer ${KEY}`, 'x-litellm-api-key': 'sk-wrong' })).status, 401);
  });

  test('the other headers LiteLLM reads: api-key, x-api-key, x-goog-api-key, ocp-apim-subscription-key', async () => {
    for (const name of ['api-key', 'x-api-key', 'x-goog-api-key', 'ocp-apim-subscription-key']) {
      assert.equal((await call({ [name]: KEY })).status, 200, name);
      assert.equal((await call({ [name]: 'sk-wrong' })).status, 401, name);
    }
  });

  test('AWS SigV4 with the key as its credential (LangChain\'s Bedrock client pointed at the gateway)', async () => {
    const sigv4 = (credential: string) => `AWS4-HMAC-SHA256 Credential=${credential}/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd`;
    assert.equal((await call({ authorization: sigv4(`Bearer ${KEY}`) })).status, 200);
    assert.equal((await call({ authorization: sigv4(KEY) })).status, 200);
    assert.equal((await call({ authorization: sigv4('AKIAEXAMPLE') })).status, 401);
  });

  test('no form of the key reaches the logs', async () => {
    await call({ authorization: KEY });
    const output = gateway.output();
    for (const form of [KEY, Buffer.from(`pk-lf-1234:${KEY}`).toString('base64'), 'sk-wrong', 'proxy-pass']) assert.ok(!output.includes(form), form);
  });
});
