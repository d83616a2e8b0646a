/**
 * V8 heap flags for worker processes. A gateway worker keeps a small live set (about 15–20 MB)
 * and allocates fast: short-lived request and chunk objects, some of which live across a young
 * collection while their request is in flight and are promoted. With V8's default heap growing
 * factor the old generation grows to three or four times its live size before a full collection,
 * so a worker that holds 20 MB sat at 150–170 MB resident after a busy minute.
 * `--heap-growing-percent=50` lets it grow to 1.5 × its live size instead: about 120 MB resident
 * after the same load, for about 3 µs more collection time per request (figures in
 * docs/benchmarks.md). A smaller young generation (`--max-semi-space-size=8`) saved another 10 MB
 * but cost 5–7 % of throughput (10–15 % CPU per request in a later pinned A/B), so it is left to
 * the operator.
 * `--expose-gc` lets a worker ask for one full collection after a burst of large bodies
 * (server/http/memory-release.ts); it is a start flag, not set at run time, because V8's code
 * cache is checked against the flags a process started with.
 * A flag the operator already gave node (on the command line or in NODE_OPTIONS) wins: ours is
 * then left out.
 */
const EXPOSE_GC = '--expose-gc';
export const WORKER_HEAP_FLAGS: readonly string[] = ['--heap-growing-percent=50', EXPOSE_GC];

/** The name of a node/V8 flag, normalised: `--heap_growing_percent=100` → `heap-growing-percent`. */
function flagName(arg: string): string {
  return arg.replace(/^-+/, '').split('=')[0]!.replace(/_/g, '-');
}

/** The execArgv for a worker: the primary's own, plus each worker heap flag the operator did not set. */
export function workerExecArgv(primaryExecArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = new Set([...primaryExecArgv, ...(nodeOptions ?? '').split(/\s+/)].filter((arg) => arg.startsWith('--')).map(flagName));
  return [...primaryExecArgv, ...WORKER_HEAP_FLAGS.filter((flag) => !given.has(flagName(flag)))];
}
