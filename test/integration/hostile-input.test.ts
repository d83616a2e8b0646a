import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeCohere, type FakeCohere } from '../support/fake-cohere.js';
import { startFakeOllama, type FakeOllama } from '../support/fake-ollama.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { baseBody, bodyText, deeplyNestedJson, hostileCases, PATHS, type Api, type HostileCase } from '../support/hostile-payloads.js';

/**
 * A client's payload must never count against a deployment. Every wrong-kind variant of every
 * field a translator reads, and JSON nested thousands of levels deep in the fields passed upstream
 * as they are, sent through both APIs to every provider path: each must be a 4xx naming the
 * field, never a 500, and must leave no trace on the deployments (no upstream request, no failed
 * attempt, no cooldown). Groups have two deployments and default router settings, so any blame
 * would show as a cooldown.
 */

const KEY = 'sk-hostile-master-key-7';
/** 24 KB of JSON: deeper than JSON.stringify's stack allows (12 KB of it did in the report). */
const NESTING_DEPTH = 6_000;
const PROVIDERS = ['openai', 'azure', 'anthropic', 'groq', 'hosted_vllm', 'cohere', 'ollama_chat', 'mock'] as const;
const UPSTREAM_KEY = 'sk-fake-upstream-key';
const APIS: Api[] = ['chat', 'completions', 'embeddings', 'messages'];

let upstream: FakeUpstream;
let cohere: FakeCohere;
let ollama: FakeOllama;
let gateway: GatewayProcess;

before(async () => {
  upstream = await startFakeUpstream();
  cohere = await startFakeCohere(UPSTREAM_KEY);
  ollama = await startFakeOllama(['fuzz-ollama_chat']);
  const deployment = (provider: (typeof PROVIDERS)[number], n: number) => {
    const params: Record<string, unknown> = { model: `${provider}/fuzz-${provider}`, api_key: UPSTREAM_KEY };
    if (provider === 'mock') Object.assign(params, { model: 'openai/fuzz-mock', mock_response: 'mocked' });
    else if (provider === 'anthropic' || provider === 'azure') params.api_base = upstream.url;
    else if (provider === 'cohere') params.api_base = cohere.url;
    else if (provider === 'ollama_chat') params.api_base = ollama.url;
    else params.api_base = `${upstream.url}/v1`;
    return { model_name: `p-${provider}`, litellm_params: params, model_info: { id: `${provider}-${n}` } };
  };
  gateway = await startGateway({
    config: {
      model_list: PROVIDERS.flatMap((provider) => [deployment(provider, 1), deployment(provider, 2)]),
      general_settings: { master_key: KEY },
    },
  });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
  await cohere.close();
  await ollama.close();
});

/** Requests every fake received. */
const sent = () => upstream.requests.length + cohere.requests.length + ollama.requests.length;

interface Answer {
  status: number;
  param: string | null | undefined;
  message: string;
}

async function send(api: Api, body: string): Promise<Answer> {
  const response = await fetch(`${gateway.url}${PATHS[api]}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body,
  });
  const text = await response.text();
  let json: { error?: { message?: string; param?: string | null } } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // not JSON: reported through `message`
  }
  return { status: response.status, param: json.error?.param, message: json.error?.message ?? text.slice(0, 200) };
}

/** Why the answer to a hostile case is wrong, or undefined when it is right. */
function judge(c: HostileCase, answer: Answer): string | undefined {
  if (answer.status < 400 || answer.status >= 500) return `status ${answer.status}`;
  // Anthropic's error body has no `param`: the message starts with the field instead.
  const named = c.api === 'messages' ? /^([^:]+):/.exec(answer.message)?.[1] : answer.param;
  if (named == null || named === '') return `no field named (${answer.message})`;
  const ok = c.prefix ? named.startsWith(c.param) : named === c.param;
  if (!ok) return `named ${named}, expected ${c.param}${c.prefix ? '…' : ''} (${answer.message})`;
  if (!answer.message.includes(named)) return `message does not name ${named}: ${answer.message}`;
  return undefined;
}

/** Runs `work` over `items`, a few at a time. */
async function inPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++] as T);
  }));
}

async function metricsText(): Promise<string> {
  const response = await fetch(`${gateway.url}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

/** Series of `name` with a non-zero value whose labels match `labels`. */
function nonZero(text: string, name: string, labels: RegExp = /.*/): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) && labels.test(line) && Number(line.slice(line.lastIndexOf(' ') + 1)) !== 0);
}

/**
 * Valid calls still answer on every API and provider (anthropic/ has no completions or
 * embeddings, cohere/ no completions; ollama_chat/ refuses the chat body's image URL, since it
 * fetches nothing).
 */
async function everyPathServes(): Promise<void> {
  for (const api of APIS) {
    for (const provider of PROVIDERS) {
      if (provider === 'anthropic' && (api === 'completions' || api === 'embeddings')) continue;
      if ((provider === 'cohere' && api === 'completions') || (provider === 'ollama_chat' && api === 'chat')) continue;
      const answer = await send(api, JSON.stringify(baseBody(api, `p-${provider}`)));
      assert.equal(answer.status, 200, `${api} on ${provider}: ${answer.message}`);
    }
  }
}

describe('hostile payloads', () => {
  test('every wrong kind in every field a translator reads, and deep nesting, on every API and provider: a 4xx naming the field, and no deployment blamed', async () => {
    await everyPathServes();
    const sentBefore = sent();
    const cases = APIS.flatMap((api) => hostileCases(api));
    const runs = cases.flatMap((c) => PROVIDERS.map((provider) => ({ c, model: `p-${provider}` })));
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    await inPool(runs, 4, async ({ c, model }) => {
      const answer = await send(c.api, bodyText(c, model, NESTING_DEPTH));
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const problem = judge(c, answer);
      if (problem !== undefined) problems.push(`${c.api} ${model} ${c.label}: ${problem}`);
    });
    assert.ok(runs.length > 1_000, `a systematic set, not a sample (${runs.length} requests)`);
    assert.deepEqual(problems.slice(0, 40), [], `${problems.length} of ${runs.length} answers were wrong`);
    assert.equal(statuses.get(500), undefined, 'no 500 at all');

    assert.equal(sent(), sentBefore, 'no hostile payload reached an upstream');
    const metrics = await metricsText();
    assert.deepEqual(nonZero(metrics, 'switchyard_upstream_requests_total', /outcome="(?!ok")/), [], 'no failed upstream attempt');
    assert.deepEqual(nonZero(metrics, 'switchyard_deployment_cooldowns_total'), [], 'no cooldown');
    assert.deepEqual(nonZero(metrics, 'switchyard_deployment_state'), [], 'every deployment in service');
    await everyPathServes();
  });
});

describe('poison next to normal traffic', () => {
  /** The reported triggers: each one took a deployment's share of blame on every attempt. */
  function poison(i: number): { api: Api; text: string } {
    const deep = deeplyNestedJson(NESTING_DEPTH);
    const chat = baseBody('chat', 'p-anthropic');
    const messages = baseBody('messages', 'p-anthropic');
    switch (i % 4) {
      case 0: // JSON.stringify overflowing on an Anthropic tool's input_schema (native route)
        return { api: 'messages', text: JSON.stringify(messages).replace('{"type":"object","properties":{"q":{"type":"string"}}}', deep) };
      case 1: // ... and on metadata
        return { api: 'messages', text: JSON.stringify({ ...messages, metadata: '<deep>' }).replace('"<deep>"', deep) };
      case 2: // an OpenAI tool's parameters, translated for anthropic/
        return { api: 'chat', text: JSON.stringify(chat).replace('{"type":"object","properties":{"q":{"type":"string"}}}', deep) };
      default: // tool_calls that is not a list: `forEach is not a function` in the translation
        return { api: 'chat', text: JSON.stringify({ model: 'p-anthropic', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'x', tool_calls: { id: 'call_1' } }] }) };
    }
  }

  test('100 poison requests interleaved with 100 normal calls: every normal call to the 2-deployment group is answered', async () => {
    const sentBefore = upstream.requests.length;
    const statuses: number[] = [];
    let normalOk = 0;
    for (let i = 0; i < 100; i++) {
      const bad = poison(i);
      statuses.push((await send(bad.api, bad.text)).status);
      const api: Api = i % 2 === 0 ? 'chat' : 'messages';
      const normal = await send(api, JSON.stringify(baseBody(api, 'p-anthropic')));
      if (normal.status === 200) normalOk++;
      else assert.fail(`normal call ${i} after ${bad.api} poison: ${normal.status} ${normal.message}`);
    }
    assert.equal(normalOk, 100);
    assert.deepEqual([...new Set(statuses)], [400], 'every poison request was refused as the client\'s');
    assert.equal(upstream.requests.length - sentBefore, 100, 'only the normal calls reached the upstream');
    const metrics = await metricsText();
    assert.deepEqual(nonZero(metrics, 'switchyard_upstream_requests_total', /outcome="(?!ok")/), []);
    assert.deepEqual(nonZero(metrics, 'switchyard_deployment_cooldowns_total'), []);
  });
});
