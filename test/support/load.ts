/** Bounded load for tests: a few concurrent loops, stopped by a condition, a count or a deadline. */

export interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
  durationMs: number;
}

export interface LoadOptions {
  concurrency: number;
  /** One request; resolves when it succeeded, throws (or rejects) when it failed. */
  request: (loop: number, index: number) => Promise<void>;
  /** Stop when this returns true (checked before each request). */
  until?: () => boolean;
  maxRequests: number;
  maxMs: number;
  /** Pause between requests of one loop. */
  pauseMs?: number;
  /** Spread `maxRequests` over at least this long (each loop paces itself); needs `maxRequests`. */
  minMs?: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const result: LoadResult = { ok: 0, failed: 0, errors: [], durationMs: 0 };
  let issued = 0;
  const loop = async (loopIndex: number) => {
    while (issued < options.maxRequests && Date.now() - started < options.maxMs && !(options.until?.() ?? false)) {
      const index = issued++;
      try {
        await options.request(loopIndex, index);
        result.ok++;
      } catch (error) {
        result.failed++;
        if (result.errors.length < 20) result.errors.push(`#${index}: ${error instanceof Error ? `${error.name}: ${error.message}${(error as { cause?: { code?: string } }).cause?.code ? ` (${(error as { cause: { code: string } }).cause.code})` : ''}` : String(error)}`);
      }
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      if (options.minMs) {
        // Do not run ahead of an even spread of the requests over minMs.
        const due = started + (options.minMs * issued) / options.maxRequests;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => loop(i)));
  result.durationMs = Date.now() - started;
  return result;
}
