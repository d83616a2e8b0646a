import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { dirname, join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';

/**
 * The script the primary forks for each worker (bundled by the build into dist/bundle/worker.cjs).
 * It runs the worker bundle (worker-app.cjs: the worker's code and its dependencies in one file)
 * through V8's code cache: the first worker after a build compiles the bundle and, once it is
 * ready, saves V8's compiled code next to it (worker-app.cjs.cache); every later worker starts
 * from that instead of parsing 1.8 MB of JavaScript. Node 20 has no module compile cache of its
 * own (module.enableCompileCache is 22.1+), and this is one file, so V8's `cachedData` is used
 * directly. A cache that V8 rejects (another node version, other V8 flags) is compiled normally
 * and replaced; one that cannot be written (read-only image) only costs the next worker the same
 * compile. Measured in docs/benchmarks.md (worker boot).
 */

import type { CodeCacheOutcome } from '../supervisor/index.js';
import type { startWorker } from './worker-entry.js';

interface WorkerApp {
  startWorker: typeof startWorker;
}

const here = dirname(process.argv[1] ?? '.');
const appPath = join(here, 'worker-app.cjs');
const cachePath = `${appPath}.cache`;

function loadApp(): { app: WorkerApp; script: Script; outcome: Exclude<CodeCacheOutcome, 'unbundled'> } {
  const source = readFileSync(appPath, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cachePath);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(wrap(source), {
    filename: appPath,
    cachedData,
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const outcome: Exclude<CodeCacheOutcome, 'unbundled'> = cachedData === undefined ? 'miss' : script.cachedDataRejected === true ? 'rejected' : 'hit';
  const module = { exports: {} as WorkerApp };
  const compiled = script.runInThisContext() as (...args: unknown[]) => void;
  compiled.call(module.exports, module.exports, createRequire(appPath), module, appPath, here);
  return { app: module.exports, script, outcome };
}

function saveCache(script: Script): void {
  // A temporary name, then a rename: workers booting together never read a half-written file.
  const temporary = `${cachePath}.${process.pid}`;
  try {
    writeFileSync(temporary, script.createCachedData());
    renameSync(temporary, cachePath);
  } catch {
    // Read-only or full: the next worker compiles the bundle again, nothing worse.
  }
}

const { app, script, outcome } = loadApp();
void app.startWorker(process.argv.slice(2), { codeCache: outcome }).then(() => {
  if (outcome !== 'hit') setImmediate(() => saveCache(script));
});
