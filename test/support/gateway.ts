import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from './ports.js';

/** The gateway as a real process, started from the built CLI (`node dist/cli.js`). */

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface LogLine {
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GatewayProcess {
  readonly url: string;
  readonly port: number;
  readonly configPath: string;
  readonly proc: ChildProcess;
  readonly logs: LogLine[];
  /** Everything the process wrote, stdout and stderr interleaved. */
  output(): string;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  readonly exited: Promise<Exit>;
  /** Sends the signal and waits for exit (SIGKILL after the timeout). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** Rewrites the config file (for SIGHUP reload tests). */
  writeConfig(config: object | string): void;
}

export interface StartGatewayOptions {
  /** The config to write to a temporary file; ignored when `configFile` is given. */
  config?: object | string;
  /** An existing config file to start with as it is (fixtures with includes need their folder). */
  configFile?: string;
  args?: string[];
  /** Flags for node itself, before the CLI path (e.g. V8 heap flags). */
  nodeArgs?: string[];
  env?: Record<string, string | undefined>;
  /** Wait until /health/readiness answers 200 (default true). */
  waitReady?: boolean;
  port?: number;
  readyTimeoutMs?: number;
}

const running = new Set<GatewayProcess>();

/** Variables that would change a gateway's behaviour if the test runner's shell had them. */
const SCRUBBED_ENV = [
  'LITELLM_MASTER_KEY', 'REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'USE_SHARED_HEALTH_CHECK', 'NUM_WORKERS',
  'PORT', 'HOST', 'CONFIG_FILE_PATH', 'MAX_REQUESTS_BEFORE_RESTART', 'MAX_REQUESTS_BEFORE_RESTART_JITTER', 'OPENAI_API_KEY',
  'LITELLM_LOG', 'PROMETHEUS_METRICS_PORT', 'SWITCHYARD_DISABLE_METRICS', 'NODE_OPTIONS', 'SWITCHYARD_MAX_BODY_MB_IN_FLIGHT',
  'SWITCHYARD_CLIENT_HEADER_TIMEOUT', 'SWITCHYARD_CLIENT_REQUEST_TIMEOUT', 'SWITCHYARD_MAX_CONNECTIONS_PER_WORKER', 'DATABASE_URL',
  'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'VERTEXAI_PROJECT',
  'VERTEXAI_LOCATION', 'VERTEXAI_CREDENTIALS',
];

/**
 * Google's auth library looks for Application Default Credentials in gcloud's folder and on the
 * metadata server (169.254.169.254): in tests it finds neither, and asks no one.
 */
const HERMETIC_ENV = { METADATA_SERVER_DETECTION: 'none', CLOUDSDK_CONFIG: '/nonexistent/switchyard-test-gcloud' };

export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...HERMETIC_ENV };
  for (const name of SCRUBBED_ENV) delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export function writeTempConfig(config: object | string, dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'))): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, typeof config === 'string' ? config : stringify(config));
  return path;
}

export async function startGateway(options: StartGatewayOptions): Promise<GatewayProcess> {
  const port = options.port ?? (await freePort());
  const configPath = options.configFile ?? writeTempConfig(options.config ?? {});
  const args = [...(options.nodeArgs ?? []), CLI_PATH, '--config', configPath, '--host', '127.0.0.1', '--port', String(port), ...(options.args ?? [])];
  const proc = spawn(process.execPath, args, { env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let output = '';
  const waiters = new Set<() => void>();
  const take = (stream: NodeJS.ReadableStream) => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      output += text;
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.startsWith('{')) {
          try {
            logs.push(JSON.parse(line) as LogLine);
          } catch {
            // not a log line
          }
        }
      }
      for (const wake of waiters) wake();
    });
  };
  take(proc.stdout);
  take(proc.stderr);
  const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => {
    resolve({ code, signal });
    for (const wake of waiters) wake();
  }));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const gateway: GatewayProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    configPath,
    proc,
    logs,
    output: () => output,
    exited,
    waitForLog(predicate, timeoutMs = 10_000, what = 'log line') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find(predicate);
          if (found) {
            cleanup();
            resolve(found);
          } else if (hasExited) {
            cleanup();
            reject(new Error(`gateway exited before ${what}; output:\n${tail(output)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output:\n${tail(output)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      running.delete(gateway);
      if (!hasExited) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
    writeConfig(config) {
      if (options.configFile !== undefined) throw new Error('writeConfig would overwrite the given configFile');
      writeFileSync(configPath, typeof config === 'string' ? config : stringify(config));
    },
  };
  running.add(gateway);

  if (options.waitReady !== false) {
    await waitReady(gateway, options.readyTimeoutMs ?? 20_000, () => hasExited);
    // Readiness answers as soon as one worker listens; the primary says when all of them do.
    await gateway.waitForLog((line) => line.msg === 'switchyard ready', options.readyTimeoutMs ?? 20_000, 'every worker ready');
  }
  return gateway;
}

async function waitReady(gateway: GatewayProcess, timeoutMs: number, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`gateway exited during start-up; output:\n${tail(gateway.output())}`);
    try {
      const response = await fetch(`${gateway.url}/health/readiness`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await gateway.stop('SIGKILL');
  throw new Error(`gateway not ready within ${timeoutMs} ms; output:\n${tail(gateway.output())}`);
}

/** Runs the CLI to completion (e.g. --validate_config) and returns what it printed. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [CLI_PATH, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  proc.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Stops every gateway a test file started and did not stop itself. */
export async function stopAllGateways(): Promise<void> {
  await Promise.all([...running].map((g) => g.stop('SIGKILL', 5_000)));
}

process.once('exit', () => {
  for (const gateway of running) gateway.proc.kill('SIGKILL');
});

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}
