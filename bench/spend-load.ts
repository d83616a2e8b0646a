import { createInterface } from 'node:readline';
import { createLogger } from '../src/core/index.js';
import { createPostgresClient } from '../src/db/postgres-client.js';
import { spendRecord } from '../src/server/spend-record.js';
import { SpendWriter } from '../src/spend/spend-writer.js';
import { benchCallContext } from './spend-context.js';

/**
 * The spend bench's control load (`BENCH_SPEND_CONTROL=1`, bench/spend-bench.ts): the rows a
 * gateway with spend logs would write, built and written by the real SpendWriter in a process of
 * their own, at the rate read from stdin (`rate <rows per second>`; `rate 0` pauses; `stop` flushes
 * and exits). Beside a gateway without spend logs, it puts the same database work on the machine
 * without putting it in the gateway.
 */

const url = process.argv[2];
if (url === undefined) throw new Error('usage: spend-load.ts <database url>');
const logger = createLogger({ level: 'error', pretty: false, base: {} });
const db = createPostgresClient(url, logger);
const writer = new SpendWriter({ db, logger });
writer.start();

let rate = 0;
let owed = 0;
let last = performance.now();
const tick = setInterval(() => {
  const now = performance.now();
  owed += (rate * (now - last)) / 1000;
  last = now;
  for (; owed >= 1; owed--) writer.record(spendRecord(benchCallContext(), 200)!);
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
