
/**
 * Memory a burst of large bodies leaves behind goes back to the system only when V8 collects it.
 * Under load V8 does; after the load its memory reducer does, but only if it finds the worker idle
 * when it looks (some 8-16 s after the last full collection): measured after 16 bodies of 30 MB, the
 * worker held 400-700 MB for minutes when the load stopped at the wrong moment, and went back to
 * ~100 MB within seconds when it did not. So once large bodies (and large answers) have stopped
 * flowing for a moment, one full collection is asked for. It costs a pause of some tens of
 * milliseconds, once per burst, and never happens for ordinary traffic.
 */

/** Large garbage (bytes) a quiet moment must follow before a collection is worth asking for. */
const WORTH_COLLECTING = 16 * 1024 * 1024;
/** The quiet moment: no large body or answer has ended for this long. */
const QUIET_MS = 2_000;
/** Bodies and answers from this size on count as large. */
export const LARGE_GARBAGE = 1024 * 1024;

let collect: (() => void) | undefined;
let pending = 0;
let timer: NodeJS.Timeout | undefined;

/**
 * Turns the release on for this process (a worker): workers start with `--expose-gc`
 * (supervisor/worker-node-flags.ts). Not set at run time with v8.setFlagsFromString: a V8 flag
 * changed after start changes the flag hash that V8's code cache is checked against, and every
 * worker would then reject the cache its predecessor wrote. Without the flag nothing is released.
 */
export function enableMemoryRelease(): void {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (typeof gc === 'function') collect = gc as () => void;
}

/** A large body or answer (`bytes`) is no longer needed. */
export function noteLargeGarbage(bytes: number): void {
  if (collect === undefined || bytes < LARGE_GARBAGE) return;
  pending += bytes;
  if (pending < WORTH_COLLECTING) return;
  if (timer !== undefined) clearTimeout(timer);
  timer = setTimeout(release, QUIET_MS);
  timer.unref();
}

function release(): void {
  timer = undefined;
  pending = 0;
  collect?.();
}
