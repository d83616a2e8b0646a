import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigFile } from '../../src/config/index.js';
import { buildDeploymentClients, unimplementedProviderWarning } from '../../src/providers/index.js';
import { NdjsonDecoder } from '../../src/providers/framed-stream.js';
import { OPENAI_COMPATIBLE_FAMILIES } from '../../src/providers/openai-compatible/families.js';
import { familyAdapter, familyModel } from '../../src/providers/openai-compatible/family-adapt.js';
import { fixtureEnv, fixturePath } from '../support/config-fixtures.js';

/** The pure parts of the providers added with Cohere and Ollama: family adaptation and NDJSON framing. */

test('a family adapter renames, respells and drops, and names what it dropped', () => {
  const adapt = familyAdapter(OPENAI_COMPATIBLE_FAMILIES.mistral!)!;
  const body = { model: 'm', max_completion_tokens: 10, seed: 1, tool_choice: 'required', user: 'u', temperature: 0 };
  const dropped: string[] = [];
  assert.deepEqual(adapt(body, dropped), { model: 'm', max_tokens: 10, random_seed: 1, tool_choice: 'any', temperature: 0 });
  assert.deepEqual(dropped, ['user']);
  assert.equal(body.max_completion_tokens, 10, 'the caller\'s body is not changed');
  const untouched = { model: 'm', max_tokens: 3, tool_choice: 'auto' };
  assert.equal(adapt(untouched, []), untouched, 'nothing to change: no copy');
  assert.deepEqual(adapt({ max_tokens: 3, max_completion_tokens: 9 }, []), { max_tokens: 3 }, "the API's own name wins");
});

test('families without differences have no adapter; the Fireworks prefix is added once', () => {
  assert.equal(familyAdapter(OPENAI_COMPATIBLE_FAMILIES.openai!), undefined);
  assert.equal(familyAdapter(OPENAI_COMPATIBLE_FAMILIES.cerebras!), undefined);
  const fireworks = OPENAI_COMPATIBLE_FAMILIES.fireworks_ai!;
  assert.equal(familyModel(fireworks, 'llama-v3p1-8b-instruct'), 'accounts/fireworks/models/llama-v3p1-8b-instruct');
  assert.equal(familyModel(fireworks, 'accounts/me/models/mine'), 'accounts/me/models/mine');
});

test('NDJSON: lines split across chunks and a character split across chunks come out whole; blank lines skipped; a last line without newline counts', () => {
  const decoder = new NdjsonDecoder();
  const text = '{"a":"é"}\n\n{"b":2}\r\n{"c":3}';
  const bytes = Buffer.from(text);
  const events = [];
  for (let i = 0; i < bytes.length; i += 3) events.push(...decoder.push(bytes.subarray(i, i + 3)));
  events.push(...decoder.end());
  assert.deepEqual(events.map((e) => e.data), ['{"a":"é"}', '{"b":2}', '{"c":3}']);
});

test('the local-and-cohere fixture: every deployment has a client, none is unimplemented, each reaches the host its config names', () => {
  const result = loadConfigFile(fixturePath('local-and-cohere.yaml'), { env: fixtureEnv('http://127.0.0.1:9') });
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems));
  const { config } = result.value;
  assert.deepEqual(config.deployments.map((d) => d.provider), ['ollama_chat', 'ollama', 'ollama', 'cohere', 'cohere']);
  assert.equal(unimplementedProviderWarning(config), undefined);
  const { clients, problems } = buildDeploymentClients(config);
  assert.deepEqual(problems, []);
  assert.deepEqual(clients.map((c) => c.apiBase), ['http://127.0.0.1:9', 'http://127.0.0.1:9', 'http://127.0.0.1:9', 'https://api.cohere.com', 'https://api.cohere.com']);
});
