import { fileURLToPath } from 'node:url';

export * from './types.js';
export * from './problems.js';
export * from './start-options.js';
export { loadConfigFile, loadConfigText, loadConfigOrThrow, type ConfigSummary, type LoadResult, type LoadOptions } from './load.js';
export { splitProviderModel } from './normalize.js';
export { CONFIG_DEFAULTS } from './defaults.js';

/** The demo config shipped with the package: one model group answered by the built-in mock. */
export function demoConfigPath(): string {
  return fileURLToPath(new URL('../../config/demo.yaml', import.meta.url));
}
export * from './worker-identity.js';
