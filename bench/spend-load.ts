import { createInterface } from 'node:readline';
import { loadConfigText } from '../src/config/index.js';
import { createLogger, sequentialId } from '../src/core/index.js';
import { createPostgresClient } from '../src/db/postgres-client.js';
import type { RequestContext } from '../src/server/request-context.js';
import { spendRecord } from '../src/server/spend-record.js';
import { SpendWriter } from '../src/spend/spend-writer.js';

/**
 * The spend bench's control load (`BENCH_SPEND_CONTROL=1`, bench/spend-bench.ts): the rows a
 * gateway with spend logs would write, built and written by the real SpendWriter in a process of
 * their own, at the rate read from stdin (`rate <rows per second>`; `rate 0` pauses; `stop` flushes
 * and exits). Beside a gateway without spend logs, it puts the same database work on the machine
 * without putting it in the gateway.
 */

const url = process.argv[2];
if (url === undefined) throw new Error('usage: spend-load.ts <database url>');
const loaded = loadConfigText('model_list: [{model_name: gpt-4o, litellm_params: {model: openai/gpt-4o, api_key: k, api_base: "http://127.0.0.1:9/v1"}}]\n', 'load.yaml', { env: {} });
if (!loaded.ok) throw new Error('config');
const deployment = loaded.value.config.deployments[0]!;
const logger = createLogger({ level: 'error', pretty: false, base: {} });
const db = createPostgresClient(url, logger);
const writer = new SpendWriter({ db, logger });
writer.start();

function context(): RequestContext {
  return {
    id: sequentialId(), idFromClient: false, startedAt: performance.now() - 3.2, route: '/v1/chat/completions', stream: false,
    modelGroup: 'gpt-4o', deployment, apiBase: '127.0.0.1:9', attempts: 1, usage: { input: 12, output: 9, cacheRead: 0, cacheWrite: 0 },
    cost: { usd: 0.00012, source: '@pydantic/genai-prices@0.1.8' }, tags: undefined, caller: undefined, cache: undefined, cacheKey: undefined,
    firstByteMs: undefined, errorCode: undefined, fallbackGroup: undefined, savedUsd: undefined,
  } as unknown as RequestContext;
}

let rate = 0;
let owed = 0;
let last = performance.now();
const tick = setInterval(() => {
  const now = performance.now();
  owed += (rate * (now - last)) / 1000;
  last = now;
  for (; owed >= 1; owed--) writer.record(spendRecord(context(), 200)!);
}, 5);

for await (const line of createInterface({ input: process.stdin })) {
  const [command, value] = line.trim().split(' ');
  if (command === 'rate') {
    rate = Number(value);
    owed = 0;
    last = performance.now();
  } else if (command === 'stop') {
    break;
  }
}
clearInterval(tick);
await writer.close(10_000);
await db.end(1_000);
