import { demoConfigPath, resolveStartOptions } from '../config/index.js';
import type { CodeCacheOutcome } from '../supervisor/index.js';
import { parseFlags } from './args.js';
import { runWorker } from './run-worker.js';

/**
 * A worker process's entry: the same flags as the primary (node:cluster passes them on), then the
 * worker's part. The build bundles this file, with everything it imports, into one script
 * (dist/bundle/worker-app.cjs) that the primary forks through worker-loader.ts; without the bundle
 * the primary forks the CLI itself, which comes here too. Resolves once the worker is ready (or
 * has reported that it cannot start).
 */
export function startWorker(argv: readonly string[], boot: WorkerBoot = {}): Promise<void> {
  const options = resolveStartOptions(parseFlags(argv));
  return runWorker(options, options.configPath ?? demoConfigPath(), boot);
}

export interface WorkerBoot {
  /** What V8's code cache did for the worker bundle (worker-loader.ts); undefined when unbundled. */
  codeCache?: Exclude<CodeCacheOutcome, 'unbundled'>;
}
