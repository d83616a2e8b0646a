import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import type { FakeUpstream } from './fake-upstream.js';
import type { GatewayProcess, LogLine } from './gateway.js';

/**
 * Two gateways sharing cooldowns through Redis (standalone, Cluster or Sentinel): host A cools a
 * deployment down, host B must learn it and route around it. Used by every Redis topology test.
 */
export interface CooldownHosts {
  upstream: FakeUpstream;
  hostA: GatewayProcess;
  hostB: GatewayProcess;
  clientA: OpenAI;
  clientB: OpenAI;
}

const ask = (client: OpenAI, model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse();

export const cooling = (id: string, reason?: string) => (line: LogLine) =>
  line.msg === 'deployment cooling down' && line.deployment_id === id && (reason === undefined || line.reason === reason);

/** Host A sends traffic until it cools `bad` down (a 429 in a two-deployment group does it at once). */
export async function coolDownOnHostA(hosts: CooldownHosts, group: string, bad: string): Promise<void> {
  hosts.upstream.behave(bad, { status: 429, errorMessage: 'rate limited upstream' });
  for (let i = 0; i < 50 && !hosts.hostA.logs.some(cooling(bad, 'rate_limited')); i++) {
    const { response } = await ask(hosts.clientA, group);
    assert.equal(response.status, 200);
  }
  await hosts.hostA.waitForLog(cooling(bad, 'rate_limited'), 1_000, `host A cooling ${bad} down`);
}

/**
 * Host B learns of the cooldown within `withinMs`, then sends `bad` nothing in `calls` calls, each
 * answered by `good` at the first attempt (it would pick `bad` if it did not know: it has served
 * no traffic, so usage-based routing favours `bad`).
 */
export async function assertHostBAvoids(hosts: CooldownHosts, group: string, bad: string, good: string, withinMs: number, calls = 10): Promise<void> {
  await hosts.hostB.waitForLog(cooling(bad, 'shared'), withinMs, `host B learning of ${bad}'s cooldown`);
  const before = hosts.upstream.count(bad);
  for (let i = 0; i < calls; i++) {
    const { response } = await ask(hosts.clientB, group);
    assert.equal(response.headers.get('x-litellm-model-id'), good);
    assert.equal(response.headers.get('x-litellm-attempted-retries'), '0');
  }
  assert.equal(hosts.upstream.count(bad), before);
}
