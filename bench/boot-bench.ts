import { startGateway, type LogLine } from '../test/support/gateway.js';

/**
 * `npm run bench:boot`: how long a worker takes from fork to ready, as the primary logs it
 * (`worker booted`, `boot_ms`), and the CPU time the worker used to get there (`boot_cpu_ms`, less
 * sensitive to what else the machine runs). "Alone": a gateway of one worker, started ROUNDS times. "Two at
 * once": a gateway of two workers, both booting together, started ROUNDS times. Prints the median,
 * p90 and max of each; asserts nothing. The machine should be otherwise idle for the "alone" row.
 */

const ROUNDS = Number(process.env.BENCH_BOOT_ROUNDS ?? 20);
const config = { model_list: [{ model_name: 'bench', litellm_params: { model: 'openai/bench', api_base: 'http://127.0.0.1:9/v1' } }] };

async function bootTimes(workers: number): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const gateway = await startGateway({ config, args: ['--num_workers', String(workers)] });
    const booted = (line: LogLine) => line.msg === 'worker booted';
    await gateway.waitForLog(() => gateway.logs.filter(booted).length >= workers, 20_000, `${workers} workers booted`);
    wall.push(...gateway.logs.filter(booted).map((line) => Number(line.boot_ms)));
    cpu.push(...gateway.logs.filter(booted).map((line) => Number(line.boot_cpu_ms)));
    await gateway.stop();
  }
  return { wall, cpu };
}

function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${sorted[0]} ms, max ${sorted[sorted.length - 1]} ms (n=${sorted.length})`;
}

const alone = await bootTimes(1);
const together = await bootTimes(2);
console.log(`worker boot, fork to ready, ${ROUNDS} rounds each`);
console.log(`alone:       ${summary(alone.wall)}; CPU ${summary(alone.cpu)}`);
console.log(`two at once: ${summary(together.wall)}; CPU ${summary(together.cpu)}`);
