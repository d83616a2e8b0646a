/**
 * What the primary tells each worker it forks, through the worker's environment: its slot, its
 * spawn number and its request limit. Only config reads the environment, so the names live here
 * and the supervisor builds the variables with `workerEnvironment`.
 */

const SLOT = 'SWITCHYARD_WORKER_SLOT';
const SPAWN = 'SWITCHYARD_WORKER_SPAWN';
const LIMIT = 'SWITCHYARD_WORKER_REQUEST_LIMIT';
const TEST_HOOKS = 'SWITCHYARD_TEST_HOOKS';
const TEST_NEVER_READY_FROM = 'SWITCHYARD_TEST_NEVER_READY_FROM_SPAWN';
const TEST_UNBUNDLED = 'SWITCHYARD_TEST_UNBUNDLED';

export interface WorkerIdentity {
  /** Stable position 0..N-1; a replacement takes the slot of the worker it replaces. */
  slot: number;
  /** How many workers the primary had spawned before this one (0 for the first). */
  spawn: number;
  /** Requests after which this worker asks to be recycled; undefined when recycling is off. */
  requestLimit: number | undefined;
}

/**
 * Test-only switches, honoured only when SWITCHYARD_TEST_HOOKS=1 (never set in production):
 * a route that blocks the event loop, workers that never report ready, and workers forked without
 * the bundle (as a build without dist/bundle/ runs them).
 */
export interface TestHooks {
  enabled: boolean;
  /** Workers whose spawn number is at least this never report ready. */
  neverReadyFromSpawn: number | undefined;
  /** The primary forks the CLI itself for its workers, not the bundle. */
  unbundled: boolean;
}

export function workerEnvironment(identity: WorkerIdentity): Record<string, string> {
  const env: Record<string, string> = { [SLOT]: String(identity.slot), [SPAWN]: String(identity.spawn) };
  if (identity.requestLimit !== undefined) env[LIMIT] = String(identity.requestLimit);
  return env;
}

export function readWorkerIdentity(env: NodeJS.ProcessEnv = process.env): WorkerIdentity {
  const whole = (name: string): number | undefined => {
    const text = env[name];
    return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
  };
  return { slot: whole(SLOT) ?? 0, spawn: whole(SPAWN) ?? 0, requestLimit: whole(LIMIT) };
}

export function readTestHooks(env: NodeJS.ProcessEnv = process.env): TestHooks {
  const enabled = env[TEST_HOOKS] === '1';
  const from = env[TEST_NEVER_READY_FROM];
  return { enabled, neverReadyFromSpawn: enabled && from !== undefined && /^\d+$/.test(from) ? Number(from) : undefined, unbundled: enabled && env[TEST_UNBUNDLED] === '1' };
}

/** The node flags the operator set in NODE_OPTIONS (the supervisor leaves those to the operator). */
export function readNodeOptions(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.NODE_OPTIONS;
}
