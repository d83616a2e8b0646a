import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * Real Redis topologies for tests, on free 127.0.0.1 ports, in a temporary directory removed by
 * `stop()`: a Redis Cluster (`redis-server --cluster-enabled yes` + `redis-cli --cluster create`)
 * and a Sentinel-managed primary (`redis-server --sentinel`, the same binary Debian's
 * redis-sentinel package links to). Nodes can be SIGKILLed one by one to force a failover.
 */

export interface RedisNodeProcess {
  readonly port: number;
  kill(): Promise<void>;
  readonly alive: boolean;
}

export interface RedisClusterProcess {
  readonly nodes: readonly RedisNodeProcess[];
  /** `[{host, port}]` of every node, as LiteLLM's redis_startup_nodes. */
  readonly startupNodes: Array<{ host: string; port: number }>;
  /** The node currently primary for the slot of `key`. */
  primaryFor(key: string): RedisNodeProcess;
  /** Waits until every live node reports cluster_state:ok. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Waits until a live node other than `port` is primary for `key` (after a failover), then until healthy. */
  waitPromoted(key: string, port: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisSentinelProcess {
  readonly primary: RedisNodeProcess;
  readonly replica: RedisNodeProcess;
  readonly sentinels: readonly RedisNodeProcess[];
  readonly serviceName: string;
  /** `[[host, port]]` of the sentinels, as LiteLLM's sentinel_nodes. */
  readonly sentinelNodes: Array<[string, number]>;
  /** The port the sentinels currently name as primary. */
  currentPrimaryPort(): number | undefined;
  stop(): Promise<void>;
}

const BASE_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];

/** Debian's redis-sentinel (a link to redis-server, which `--sentinel` also turns into one). */
const SENTINEL_BINARY = spawnSync('sh', ['-c', 'command -v redis-sentinel'], { encoding: 'utf8' }).status === 0 ? 'redis-sentinel' : 'redis-server';

/** Every node started, killed when the test process exits (one listener for all of them). */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of started) proc.kill('SIGKILL');
});

async function startNode(args: string[], dir: string, binary = 'redis-server'): Promise<RedisNodeProcess> {
  {
    const port = await freePort();
    const proc: ChildProcess = spawn(binary, [...args.map((a) => a.replaceAll('%PORT%', String(port))), '--port', String(port), '--dir', dir], { stdio: 'ignore' });
    started.add(proc);
    proc.once('exit', () => started.delete(proc));
    await waitFor(() => cli(port, 'PING') === 'PONG', 10_000, `redis-server on ${port}`);
    let alive = true;
    proc.once('exit', () => (alive = false));
    return {
      port,
      get alive() {
        return alive && proc.exitCode === null;
      },
      kill: () =>
        new Promise<void>((resolve) => {
          if (!alive || proc.exitCode !== null) return resolve();
          proc.once('exit', () => resolve());
          proc.kill('SIGKILL');
        }),
    };
  }
}

export async function startRedisCluster(options: { primaries?: number; replicasPerPrimary?: number } = {}): Promise<RedisClusterProcess> {
  const primaries = options.primaries ?? 3;
  const replicas = options.replicasPerPrimary ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-cluster-'));
  const nodes = await Promise.all(
    Array.from({ length: primaries * (1 + replicas) }, (_, i) =>
      startNode(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '1000', ...BASE_ARGS], dir),
    ),
  );
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout} ${created.stderr}`);
  const cluster: RedisClusterProcess = {
    nodes,
    startupNodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    primaryFor(key: string) {
      const live = nodes.find((n) => n.alive) as RedisNodeProcess;
      const slot = Number(cli(live.port, 'CLUSTER', 'KEYSLOT', key));
      for (const line of (cli(live.port, 'CLUSTER', 'NODES') ?? '').split('\n')) {
        const fields = line.split(' ');
        if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue; // 'fail' and 'fail?'
        const port = Number(fields[1]?.split(':')[1]?.split('@')[0]);
        for (const range of fields.slice(8)) {
          const [from, to] = range.split('-').map(Number);
          if (from !== undefined && slot >= from && slot <= (to ?? from)) return nodes.find((n) => n.port === port) as RedisNodeProcess;
        }
      }
      throw new Error(`no primary for ${key}`);
    },
    async waitHealthy(timeoutMs = 15_000) {
      await waitFor(() => nodes.filter((n) => n.alive).every((n) => (cli(n.port, 'CLUSTER', 'INFO') ?? '').includes('cluster_state:ok')), timeoutMs, 'cluster_state:ok');
    },
    async waitPromoted(key: string, port: number, timeoutMs = 15_000) {
      await waitFor(
        () => {
          try {
            const primary = cluster.primaryFor(key);
            return primary.port !== port && primary.alive;
          } catch {
            return false; // the old primary is flagged as failed and no replica has taken over yet
          }
        },
        timeoutMs,
        `a replica promoted for ${key}`,
      );
      await cluster.waitHealthy(timeoutMs);
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.waitHealthy();
  return cluster;
}

export async function startRedisSentinel(): Promise<RedisSentinelProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-sentinel-'));
  const serviceName = 'switchyard-test';
  const primary = await startNode(BASE_ARGS, dir);
  const replica = await startNode([...BASE_ARGS, '--replicaof', '127.0.0.1', String(primary.port)], dir);
  const sentinels = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const file = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        file,
        [
          'bind 127.0.0.1',
          `sentinel monitor ${serviceName} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${serviceName} 1000`,
          `sentinel failover-timeout ${serviceName} 3000`,
          `sentinel parallel-syncs ${serviceName} 1`,
          '',
        ].join('\n'),
      );
      return startNode([file, '--sentinel'], dir, SENTINEL_BINARY);
    }),
  );
  await waitFor(() => sentinels.every((s) => (cli(s.port, 'SENTINEL', 'REPLICAS', serviceName) ?? '').includes(String(replica.port))), 15_000, 'sentinels to see the replica');
  // A failover needs a majority that knows each other (they meet through the primary every 2 s).
  await waitFor(() => sentinels.every((s) => field(cli(s.port, 'SENTINEL', 'MASTER', serviceName), 'num-other-sentinels') === '2'), 15_000, 'sentinels to find each other');
  return {
    primary,
    replica,
    sentinels,
    serviceName,
    sentinelNodes: sentinels.map((s) => ['127.0.0.1', s.port] as [string, number]),
    currentPrimaryPort() {
      for (const s of sentinels) {
        if (!s.alive) continue;
        const answer = cli(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', serviceName);
        const port = Number(answer?.split('\n')[1]);
        if (port > 0) return port;
      }
      return undefined;
    },
    async stop() {
      await Promise.all([...sentinels, replica, primary].map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A field of a `--raw` reply that alternates names and values, one per line. */
function field(reply: string | undefined, name: string): string | undefined {
  const lines = (reply ?? '').split('\n');
  const at = lines.indexOf(name);
  return at < 0 ? undefined : lines[at + 1];
}

/** One redis-cli command; its raw answer, or undefined when the node does not answer. */
export function cli(port: number, ...command: string[]): string | undefined {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--raw', ...command], { encoding: 'utf8', timeout: 2_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
