/**
 * Start options: every flag, its environment variable and its default, in one table. The CLI
 * builds its parser from this table; this module resolves values with the precedence
 * flag > environment > default and reports bad values naming the flag or variable.
 */

export type OptionKind = 'string' | 'boolean' | 'count' | 'seconds' | 'port' | 'megabytes';

export interface OptionSpec {
  /** snake_case name, as LiteLLM spells the flag (`--num_workers`). */
  name: string;
  kind: OptionKind;
  env?: string;
  short?: string;
  description: string;
  /** Shown in --help; the parsed default lives in DEFAULT_START_OPTIONS. */
  defaultText?: string;
}

export const START_OPTION_SPECS = [
  { name: 'config', short: 'c', kind: 'string', env: 'CONFIG_FILE_PATH', description: 'YAML config file', defaultText: 'built-in demo config' },
  { name: 'host', kind: 'string', env: 'HOST', description: 'bind address', defaultText: '0.0.0.0' },
  { name: 'port', kind: 'port', env: 'PORT', description: 'port to listen on (in use: exit 1)', defaultText: '4000' },
  { name: 'num_workers', kind: 'count', env: 'NUM_WORKERS', description: 'worker processes', defaultText: '1' },
  { name: 'max_requests_before_restart', kind: 'count', env: 'MAX_REQUESTS_BEFORE_RESTART', description: 'recycle a worker after this many requests', defaultText: 'off' },
  { name: 'max_requests_before_restart_jitter', kind: 'count', env: 'MAX_REQUESTS_BEFORE_RESTART_JITTER', description: 'add a random whole number in [0, jitter] to each worker\'s limit', defaultText: '0' },
  { name: 'worker_ready_timeout', kind: 'seconds', env: 'WORKER_READY_TIMEOUT', description: 'how long a new worker may take to become ready', defaultText: '30' },
  { name: 'graceful_timeout', kind: 'seconds', env: 'GRACEFUL_TIMEOUT', description: 'on shutdown (SIGTERM/SIGINT), how long workers may finish in-flight requests', defaultText: '30' },
  { name: 'shutdown_delay', kind: 'seconds', env: 'SHUTDOWN_DELAY', description: 'on SIGTERM, keep serving this long with readiness failing before draining', defaultText: '0' },
  { name: 'recycle_drain_timeout', kind: 'seconds', env: 'RECYCLE_DRAIN_TIMEOUT', description: 'on a recycle or reload, how long the old worker may finish its requests and streams', defaultText: '3600' },
  { name: 'max_draining_workers', kind: 'count', env: 'MAX_DRAINING_WORKERS', description: 'draining workers alive at once; further recycles wait', defaultText: '2 x num_workers, at least 4' },
  { name: 'timeout_worker_healthcheck', kind: 'seconds', env: 'TIMEOUT_WORKER_HEALTHCHECK', description: 'kill a worker that has not answered a ping for this long', defaultText: '10' },
  { name: 'max_worker_memory_mb', kind: 'megabytes', env: 'MAX_WORKER_MEMORY_MB', description: 'recycle a worker whose resident memory passes this', defaultText: 'off' },
  { name: 'max_body_mb_in_flight', kind: 'megabytes', env: 'SWITCHYARD_MAX_BODY_MB_IN_FLIGHT', description: 'request-body bytes a worker may hold at once; past it requests get 503 with retry-after', defaultText: '256' },
  { name: 'client_header_timeout', kind: 'seconds', env: 'SWITCHYARD_CLIENT_HEADER_TIMEOUT', description: 'a request whose headers take longer gets 408', defaultText: '10' },
  { name: 'client_request_timeout', kind: 'seconds', env: 'SWITCHYARD_CLIENT_REQUEST_TIMEOUT', description: 'a request (headers and body) that takes longer to arrive gets 408; answers are not bounded by it', defaultText: '300' },
  { name: 'max_connections_per_worker', kind: 'count', env: 'SWITCHYARD_MAX_CONNECTIONS_PER_WORKER', description: 'client connections one worker holds; new ones past it are closed', defaultText: '4096' },
  { name: 'keepalive_timeout', kind: 'seconds', env: 'KEEPALIVE_TIMEOUT', description: 'HTTP keep-alive timeout', defaultText: '5' },
  { name: 'prometheus_metrics_port', kind: 'port', env: 'PROMETHEUS_METRICS_PORT', description: 'also serve /metrics from the primary on this port', defaultText: 'off' },
  { name: 'disable_metrics', kind: 'boolean', env: 'SWITCHYARD_DISABLE_METRICS', description: 'turn the Prometheus metrics off (/metrics answers 404)', defaultText: 'metrics on' },
  { name: 'ssl_keyfile_path', kind: 'string', env: 'SSL_KEYFILE_PATH', description: 'TLS private key (PEM)' },
  { name: 'ssl_certfile_path', kind: 'string', env: 'SSL_CERTFILE_PATH', description: 'TLS certificate (PEM)' },
  { name: 'validate_config', kind: 'boolean', description: 'check the config, print every problem, exit 0 (valid) or 1' },
  { name: 'debug', kind: 'boolean', description: 'debug logging' },
  { name: 'detailed_debug', kind: 'boolean', description: 'trace logging' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
  { name: 'version', short: 'v', kind: 'boolean', description: 'print the version' },
] as const satisfies readonly OptionSpec[];

export type StartOptionName = (typeof START_OPTION_SPECS)[number]['name'];

export interface StartOptions {
  configPath: string | undefined;
  host: string;
  port: number;
  numWorkers: number;
  maxRequestsBeforeRestart: number | undefined;
  maxRequestsBeforeRestartJitter: number;
  workerReadyTimeoutMs: number;
  gracefulTimeoutMs: number;
  /** After SIGTERM, how long workers keep serving (readiness failing) before they drain. */
  shutdownDelayMs: number;
  /** A routine drain's cap (recycle, reload): requests still open then are ended. */
  recycleDrainTimeoutMs: number;
  maxDrainingWorkers: number;
  workerHealthcheckTimeoutMs: number;
  maxWorkerMemoryBytes: number | undefined;
  /** Request-body bytes a worker may hold at once (received, not yet answered). */
  maxBodyBytesInFlight: number;
  keepAliveTimeoutMs: number;
  /** Time for a request's headers to arrive (node's headersTimeout). */
  clientHeaderTimeoutMs: number;
  /** Time for a whole request, headers and body, to arrive (node's requestTimeout); never bounds the answer. */
  clientRequestTimeoutMs: number;
  /** Client connections one worker holds at once (node's server.maxConnections). */
  maxConnectionsPerWorker: number;
  prometheusMetricsPort: number | undefined;
  /** Metrics are on unless this is set; off, nothing is recorded and /metrics answers 404. */
  metricsDisabled: boolean;
  sslKeyfilePath: string | undefined;
  sslCertfilePath: string | undefined;
  validateConfig: boolean;
  logLevel: 'trace' | 'debug' | 'info';
  help: boolean;
  version: boolean;
  /** Non-fatal remarks (e.g. jitter without a base). */
  warnings: string[];
}

export const DEFAULT_START_OPTIONS = {
  host: '0.0.0.0',
  port: 4000,
  numWorkers: 1,
  maxRequestsBeforeRestartJitter: 0,
  workerReadyTimeoutMs: 30_000,
  gracefulTimeoutMs: 30_000,
  recycleDrainTimeoutMs: 3_600_000,
  workerHealthcheckTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxBodyMbInFlight: 256,
  clientHeaderTimeoutMs: 10_000,
  clientRequestTimeoutMs: 300_000,
  maxConnectionsPerWorker: 4096,
} as const;

/**
 * Draining workers a host keeps at once unless told otherwise. A draining worker costs about an
 * idle worker's memory (70-120 MB) for as long as its longest request; the cap must leave room for
 * the workers caught holding long streams (each recycle of a worker holding one adds a draining
 * worker for that stream's length) plus the ones draining briefly, or recycles stall behind them.
 * Two per serving worker (at least four) does that for streams up to a few recycle intervals long
 * (docs/configuration.md).
 */
export function defaultMaxDrainingWorkers(numWorkers: number): number {
  return Math.max(4, 2 * numWorkers);
}

/** Values as the CLI parsed them: strings for valued flags, booleans for switches. */
export type RawFlags = Partial<Record<StartOptionName, string | boolean>>;

export class StartOptionError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'StartOptionError';
  }
}

export function resolveStartOptions(flags: RawFlags, env: NodeJS.ProcessEnv = process.env): StartOptions {
  const problems: string[] = [];
  const warnings: string[] = [];

  const lookup = (name: StartOptionName): { value: string | boolean; source: string } | undefined => {
    const flag = flags[name];
    if (flag !== undefined) return { value: flag, source: `--${name}` };
    const spec = START_OPTION_SPECS.find((s) => s.name === name) as OptionSpec;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: spec.env as string };
    return undefined;
  };

  const str = (name: StartOptionName): string | undefined => {
    const found = lookup(name);
    return found === undefined ? undefined : String(found.value);
  };

  const int = (name: StartOptionName, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const found = lookup(name);
    if (found === undefined) return undefined;
    const text = String(found.value).trim();
    if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      problems.push(`${found.source}: expected a whole number${max < Number.MAX_SAFE_INTEGER ? ` between ${min} and ${max}` : ` >= ${min}`}, got "${text}"`);
      return undefined;
    }
    return Number(text);
  };

  const seconds = (name: StartOptionName, fallbackMs: number, zeroAllowed = false): number => {
    const found = lookup(name);
    if (found === undefined) return fallbackMs;
    const text = String(found.value).trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
      problems.push(`${found.source}: expected a ${zeroAllowed ? 'non-negative' : 'positive'} number of seconds, got "${text}"`);
      return fallbackMs;
    }
    return Math.round(value * 1000);
  };

  const bool = (name: StartOptionName): boolean => {
    const found = lookup(name);
    if (found === undefined) return false;
    if (typeof found.value === 'boolean') return found.value;
    return ['1', 'true', 'yes', 'on'].includes(found.value.trim().toLowerCase());
  };

  const maxRequests = int('max_requests_before_restart', 1);
  const jitter = int('max_requests_before_restart_jitter', 0) ?? DEFAULT_START_OPTIONS.maxRequestsBeforeRestartJitter;
  if (jitter > 0 && maxRequests === undefined) {
    warnings.push('max_requests_before_restart_jitter has no effect without max_requests_before_restart; no recycling limit is applied');
  }
  const memoryMb = int('max_worker_memory_mb', 1);
  const numWorkers = int('num_workers', 1, 1024) ?? DEFAULT_START_OPTIONS.numWorkers;

  const logEnv = (env.LITELLM_LOG ?? '').toUpperCase();
  const logLevel = bool('detailed_debug') || logEnv === 'DEBUG' ? 'trace' : bool('debug') || logEnv === 'INFO' ? 'debug' : 'info';

  const options: StartOptions = {
    configPath: str('config'),
    host: str('host') ?? DEFAULT_START_OPTIONS.host,
    port: int('port', 0, 65535) ?? DEFAULT_START_OPTIONS.port,
    numWorkers,
    maxRequestsBeforeRestart: maxRequests,
    maxRequestsBeforeRestartJitter: maxRequests === undefined ? 0 : jitter,
    workerReadyTimeoutMs: seconds('worker_ready_timeout', DEFAULT_START_OPTIONS.workerReadyTimeoutMs),
    gracefulTimeoutMs: seconds('graceful_timeout', DEFAULT_START_OPTIONS.gracefulTimeoutMs),
    shutdownDelayMs: seconds('shutdown_delay', 0, true),
    recycleDrainTimeoutMs: seconds('recycle_drain_timeout', DEFAULT_START_OPTIONS.recycleDrainTimeoutMs),
    maxDrainingWorkers: int('max_draining_workers', 1, 4096) ?? defaultMaxDrainingWorkers(numWorkers),
    workerHealthcheckTimeoutMs: seconds('timeout_worker_healthcheck', DEFAULT_START_OPTIONS.workerHealthcheckTimeoutMs),
    maxWorkerMemoryBytes: memoryMb === undefined ? undefined : memoryMb * 1024 * 1024,
    maxBodyBytesInFlight: (int('max_body_mb_in_flight', 1) ?? DEFAULT_START_OPTIONS.maxBodyMbInFlight) * 1024 * 1024,
    keepAliveTimeoutMs: seconds('keepalive_timeout', DEFAULT_START_OPTIONS.keepAliveTimeoutMs),
    clientHeaderTimeoutMs: seconds('client_header_timeout', DEFAULT_START_OPTIONS.clientHeaderTimeoutMs),
    clientRequestTimeoutMs: seconds('client_request_timeout', DEFAULT_START_OPTIONS.clientRequestTimeoutMs),
    maxConnectionsPerWorker: int('max_connections_per_worker', 1) ?? DEFAULT_START_OPTIONS.maxConnectionsPerWorker,
    prometheusMetricsPort: int('prometheus_metrics_port', 0, 65535),
    metricsDisabled: bool('disable_metrics'),
    sslKeyfilePath: str('ssl_keyfile_path'),
    sslCertfilePath: str('ssl_certfile_path'),
    validateConfig: bool('validate_config'),
    logLevel,
    help: bool('help'),
    version: bool('version'),
    warnings,
  };
  if ((options.sslKeyfilePath === undefined) !== (options.sslCertfilePath === undefined)) {
    problems.push('--ssl_keyfile_path and --ssl_certfile_path must be given together');
  }
  if (options.clientHeaderTimeoutMs > options.clientRequestTimeoutMs) {
    problems.push('--client_header_timeout must not be longer than --client_request_timeout (the headers are part of the request)');
  }
  if (options.metricsDisabled && options.prometheusMetricsPort !== undefined) {
    warnings.push('prometheus_metrics_port has no effect with metrics turned off (disable_metrics); nothing listens on it');
  }
  if (problems.length > 0) throw new StartOptionError(problems);
  return options;
}
