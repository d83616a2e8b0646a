import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

/**
 * `npm run bench:google-auth`: what Google's auth library (google-auth-library, used for Vertex
 * AI tokens) costs a worker that loads it: wall and CPU time of its first `require` in a fresh
 * node process, and the resident memory it adds, as the median of ROUNDS processes. Workers load
 * it lazily, on the first Vertex token only (providers/vertex/vertex-auth.ts), and the worker
 * bundle leaves it out (scripts/bundle-worker.mjs), so a config without Vertex pays nothing: the
 * bundle's size is printed to show that. Prints figures; asserts nothing.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

const probe = `
const before = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
require('google-auth-library');
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
global.gc?.();
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: (process.memoryUsage().rss - before) / 1048576 }));
`;

const runs: Array<{ ms: number; cpuMs: number; rssMb: number }> = [];
for (let i = 0; i < ROUNDS; i++) runs.push(JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', probe], { encoding: 'utf8' })) as { ms: number; cpuMs: number; rssMb: number });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`google-auth-library first require, median of ${ROUNDS} fresh processes:`);
console.log(`  wall ${median(runs.map((r) => r.ms)).toFixed(1)} ms, CPU ${median(runs.map((r) => r.cpuMs)).toFixed(1)} ms, resident +${median(runs.map((r) => r.rssMb)).toFixed(1)} MB`);
try {
  console.log(`worker bundle (dist/bundle/worker-app.cjs): ${(statSync('dist/bundle/worker-app.cjs').size / 1024).toFixed(0)} KB`);
} catch {
  console.log('worker bundle: not built (npm run build)');
}
