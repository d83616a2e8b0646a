import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * A real Prometheus server (the Debian `prometheus` package) started on a free port on 127.0.0.1,
 * scraping the given targets every second, with its storage in a temporary folder.
 */

export interface PrometheusServer {
  readonly url: string;
  /** An instant query; the vector's samples as label sets and numbers. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** The loaded rules with their evaluation health (`ok`, `err`, `unknown` before the first evaluation). */
  rules(): Promise<RuleState[]>;
  stop(): Promise<void>;
}

export function findTool(name: 'prometheus' | 'promtool'): string {
  for (const candidate of [name, `/usr/bin/${name}`]) {
    if (spawnSync(candidate, ['--version']).error === undefined) return candidate;
  }
  throw new Error(`${name} not found: install the Debian package (apt-get install -y prometheus); .ci/run does`);
}

/** Runs `promtool check metrics` on exposition text; returns its exit code and what it said. */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const result = spawnSync(findTool('promtool'), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

export interface PrometheusOptions {
  /** Rule files to load (evaluated every second); their rules' health shows in `rules()`. */
  ruleFiles?: string[];
}

export interface RuleState {
  name: string;
  health: string;
  lastError?: string;
  state?: string;
}

export async function startPrometheus(jobs: Record<string, string>, options: PrometheusOptions = {}): Promise<PrometheusServer> {
  const binary = findTool('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    '  evaluation_interval: 1s',
    ...(options.ruleFiles?.length ? ['rule_files:', ...options.ruleFiles.map((file) => `  - '${file}'`)] : []),
    'scrape_configs:',
    ...Object.entries(jobs).flatMap(([job, target]) => [`  - job_name: ${job}`, '    static_configs:', `      - targets: ['${target}']`]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config + '\n');
  const proc: ChildProcess = spawn(binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.setEncoding('utf8').on('data', (text: string) => (log = (log + text).slice(-4000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited during start-up:\n${log}`);
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within 20 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const query = async (expr: string) => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success' || body.data?.resultType !== 'vector') throw new Error(`query ${expr} failed: ${body.error ?? JSON.stringify(body)}`);
    return body.data.result.map((sample) => ({ metric: sample.metric, value: Number(sample.value[1]) }));
  };

  // Ready is not scraping: targets reach the scrape manager on a 5 s discovery tick. Return only
  // once every job has been scraped, so that a test observes everything it does afterwards.
  const scrapedBy = Date.now() + 20_000;
  while ((await query('up')).length < Object.keys(jobs).length) {
    if (Date.now() > scrapedBy) {
      await stop();
      throw new Error(`prometheus scraped no target within 20 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const rules = async () => {
    const response = await fetch(`${url}/api/v1/rules`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { data: { groups: Array<{ rules: RuleState[] }> } };
    return body.data.groups.flatMap((group) => group.rules.map(({ name, health, lastError, state }) => ({ name, health, lastError, state })));
  };

  return { url, stop, query, rules };
}
