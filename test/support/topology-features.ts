import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import type { FakeUpstream } from './fake-upstream.js';
import { sleep } from './fake-upstream.js';
import type { GatewayProcess, LogLine } from './gateway.js';

/**
 * What every Redis topology test (standalone, Cluster, Sentinel) checks beyond cooldowns
 * (shared-cooldown.ts): the response cache and usage shared between two hosts, client load
 * through a failover, and the health lock's holders read from the hosts' logs.
 */

/** Asks with the response cache on (configured `mode: default_off`, so only these take part). */
export async function askCached(client: OpenAI, model: string, text: string): Promise<{ id: string; key: string | null }> {
  const id = `cached-${Math.random().toString(36).slice(2)}`;
  const { response } = await client.chat.completions.create(
    { model, messages: [{ role: 'user', content: text }], cache: { 'use-cache': true } } as OpenAI.ChatCompletionCreateParamsNonStreaming,
    { headers: { 'x-request-id': id } },
  ).withResponse();
  assert.equal(response.status, 200);
  return { id, key: response.headers.get('x-litellm-cache-key') };
}

async function cacheResult(gateway: GatewayProcess, requestId: string): Promise<unknown> {
  const line = await gateway.waitForLog((l) => l.msg === 'request' && l.request_id === requestId, 5_000, `log line of ${requestId}`);
  return line.cache;
}

/** An answer stored through host A is served by host B from Redis; the upstream saw one call. */
export async function assertCacheSharedAcrossHosts(
  hosts: { upstream: FakeUpstream; hostA: GatewayProcess; hostB: GatewayProcess; clientA: OpenAI; clientB: OpenAI },
  model: string,
  word: string,
): Promise<void> {
  const text = `cache me: ${word}`;
  const calls = () => hosts.upstream.requests.filter((r) => JSON.stringify(r.body?.messages ?? '').includes(text)).length;
  const first = await askCached(hosts.clientA, model, text);
  assert.equal(await cacheResult(hosts.hostA, first.id), 'miss');
  const second = await askCached(hosts.clientB, model, text);
  assert.equal(await cacheResult(hosts.hostB, second.id), 'hit', 'host B answered from the entry host A stored');
  assert.equal(second.key, first.key);
  assert.equal(calls(), 1);
}

/** Usage counts live in wall-clock minutes: start a usage test early in one. */
export async function awayFromMinuteEnd(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 52_000) await sleep(60_000 - intoMinute + 100);
}

export interface LoadResult {
  latencies: Array<{ at: number; ms: number }>;
  failures: string[];
}

/**
 * `connections` callers, each a keep-alive loop over one of `clients` in turn, until stopped; even
 * loops ask with the response cache on (a few distinct prompts, so hits and misses both).
 * stop() always ends the loops (call it in `finally`: a failed assertion must not leave them running).
 */
export function startLoad(clients: OpenAI[], model: string, connections: number): { stop(): Promise<LoadResult> } {
  const result: LoadResult = { latencies: [], failures: [] };
  let stopped = false;
  let seq = 0;
  const loops = Array.from({ length: connections }, async (_, i) => {
    const client = clients[i % clients.length] as OpenAI;
    while (!stopped) {
      const started = performance.now();
      try {
        if (i % 2 === 0) {
          await askCached(client, model, `load ${seq++ % 8}`);
        } else {
          const { response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
          assert.equal(response.status, 200);
        }
        result.latencies.push({ at: Date.now(), ms: performance.now() - started });
      } catch (error) {
        result.failures.push(String(error));
        await sleep(10); // a refused connection fails at once: do not spin
      }
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return result;
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const HOLD_ENDS = [
  'health check lock released',
  'health check lock had already expired or passed to another host; nothing released',
  'health check lock lost while probing (it expired or another host took it); the results are still shared',
  'health check lock not released: redis unavailable; it expires by itself',
];

/**
 * The spans during which a host held the health lock in its own view, from its primary's log:
 * from `health check lock acquired` to its release, its loss, or its lease lapsing (an open span
 * ends at `now`).
 */
export function lockHolds(gateway: GatewayProcess, now = Date.now()): Array<{ from: number; to: number }> {
  const spans: Array<{ from: number; to: number }> = [];
  let open: number | undefined;
  const at = (line: LogLine) => Date.parse(String(line.time));
  for (const line of gateway.logs) {
    if (line.role !== 'primary' || typeof line.msg !== 'string') continue;
    if (line.msg === 'health check lock acquired') {
      if (open === undefined) open = at(line);
    } else if (open !== undefined && (HOLD_ENDS.includes(line.msg) || line.msg.startsWith('health check lock lapsed'))) {
      spans.push({ from: open, to: at(line) });
      open = undefined;
    }
  }
  if (open !== undefined) spans.push({ from: open, to: now });
  return spans;
}

/** The longest time both hosts held the lock at once. */
export function longestDoubleHold(a: GatewayProcess, b: GatewayProcess): number {
  let longest = 0;
  const holdsB = lockHolds(b);
  for (const x of lockHolds(a)) {
    for (const y of holdsB) longest = Math.max(longest, Math.min(x.to, y.to) - Math.max(x.from, y.from));
  }
  return longest;
}
