import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * Upstreams that break their API's promise while answering 200 with a JSON answer of the wrong
 * shape. It may not reach the client as a success: it is a 502 `upstream_invalid_response`,
 * metered and charged to the deployment that answered (one failure cools it down here:
 * `allowed_fails: 0`).
 */

const KEY = 'sk-broken-upstreams-master-3';
const UPSTREAM_KEY = 'sk-broken-upstreams-upstream-key-9';
const MESSAGES = [{ role: 'user', content: 'one two three four five' }];

let upstream: FakeUpstream;
let gateway: GatewayProcess;
/** What the `malformed*` deployments answer next (NONE: a real answer). */
const NONE = Symbol('none');
let answer: unknown = NONE;

before(async () => {
  upstream = await startFakeUpstream();
  const gpt = (group: string, n = 1) => ({
    model_name: group, litellm_params: { model: `openai/${group}`, api_base: `${upstream.url}/v1`, api_key: UPSTREAM_KEY }, model_info: { id: `${group}-${n}` },
  });
  const claude = (group: string, n = 1) => ({
    model_name: group, litellm_params: { model: `anthropic/${group}`, api_base: upstream.url, api_key: UPSTREAM_KEY }, model_info: { id: `${group}-${n}` },
  });
  gateway = await startGateway({
    config: {
      model_list: [
        gpt('malformed'), gpt('malformed-completion'), gpt('malformed-embedding'), claude('malformed-claude'),
        gpt('malformed-to-messages'), gpt('malformed-pair'), gpt('malformed-pair', 2),
      ],
      general_settings: { master_key: KEY },
      router_settings: { num_retries: 0, allowed_fails: 0, cooldown_time: 60 },
    },
  });
  upstream.behave((r) => r.model?.startsWith('malformed') === true, () => (answer === NONE ? {} : { answerBody: answer }));
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

/** Failed attempts the metrics count for a deployment, by outcome. */
async function failures(deployment: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^switchyard_upstream_requests_total\{([^}]*)\} (\d+)$/gm)) {
    const labels = match[1] as string;
    const outcome = /outcome="([^"]+)"/.exec(labels)?.[1] as string;
    if (labels.includes(`deployment="${deployment}"`) && outcome !== 'ok') out[outcome] = Number(match[2]);
  }
  return out;
}

async function post(path: string, body: object): Promise<{ status: number; json: { error?: { code?: string; message?: string; type?: string } }; text: string }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json = {};
  try {
    json = JSON.parse(text) as object;
  } catch {
    // a stream, or not JSON
  }
  return { status: response.status, json, text };
}

describe('a 200 answer of the wrong shape is a 502', () => {
  /** Sends each answer through `path` and checks the 502; answers the messages. */
  async function expectInvalid(path: string, body: object, answers: unknown[]): Promise<string[]> {
    const messages: string[] = [];
    for (const value of answers) {
      answer = value;
      const result = await post(path, body);
      assert.equal(result.status, 502, `${JSON.stringify(value)} on ${path}: ${result.text}`);
      messages.push(result.json.error?.message ?? '');
      if (path !== '/v1/messages') assert.equal(result.json.error?.code, 'upstream_invalid_response', result.text);
    }
    answer = NONE;
    assert.equal((await post(path, body)).status, 200, 'a real answer still passes');
    return messages;
  }

  test('chat completions: not an object, no choices, choices of the wrong shape; each counted against the deployment', async () => {
    const answers = [{ foo: 1 }, { choices: null }, { choices: [] }, { choices: [null] }, { choices: [{ index: 0, message: null }] },
      { choices: [{ message: { role: 'assistant', content: 'x', tool_calls: 'none' } }] }, 5, 'text', [], null];
    const messages = await expectInvalid('/v1/chat/completions', { model: 'malformed', messages: MESSAGES }, answers);
    for (const message of messages) assert.match(message, /malformed\/malformed-1 .*not a chat completion/);
    assert.match(messages[1] as string, /choices/);
    assert.deepEqual(await failures('malformed-1'), { transient: answers.length });
  });

  test('completions and embeddings', async () => {
    await expectInvalid('/v1/completions', { model: 'malformed-completion', prompt: 'x' }, [{ foo: 1 }, { choices: null }, { choices: [{ text: 5 }] }]);
    await expectInvalid('/v1/embeddings', { model: 'malformed-embedding', input: 'x' }, [{ foo: 1 }, { data: null }, { data: [null] }, { data: [{ index: 0 }] }]);
    assert.deepEqual(await failures('malformed-completion-1'), { transient: 3 });
    assert.deepEqual(await failures('malformed-embedding-1'), { transient: 4 });
  });

  test('Anthropic answers without content, natively and translated; an OpenAI answer without choices on /v1/messages', async () => {
    const bad = [{ id: 'msg_1', type: 'message', role: 'assistant', model: 'm', stop_reason: 'end_turn', usage: {} }, { content: null }, { content: 'text' }, { content: [null] }, 7];
    const native = await expectInvalid('/v1/messages', { model: 'malformed-claude', max_tokens: 10, messages: MESSAGES }, bad);
    for (const message of native) assert.match(message, /not an Anthropic message/);
    await expectInvalid('/v1/chat/completions', { model: 'malformed-claude', messages: MESSAGES }, bad);
    await expectInvalid('/v1/messages', { model: 'malformed-to-messages', max_tokens: 10, messages: MESSAGES }, [{ choices: null }, { id: 'x' }]);
    assert.deepEqual(await failures('malformed-claude-1'), { transient: bad.length * 2 });
    assert.deepEqual(await failures('malformed-to-messages-1'), { transient: 2 });
  });

  test('in a group of two, the deployment that answered so is cooled down', async () => {
    answer = { foo: 1 };
    const result = await post('/v1/chat/completions', { model: 'malformed-pair', messages: MESSAGES });
    answer = NONE;
    assert.equal(result.status, 502);
    const line = await gateway.waitForLog((l) => l.msg === 'deployment cooling down' && String(l.deployment_id).startsWith('malformed-pair-'), 5_000, 'a cooldown');
    assert.equal(line.error_code, 'upstream_invalid_response');
  });
});
