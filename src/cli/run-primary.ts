import type { LoadedConfig, StartOptions } from '../config/index.js';
import { formatProblem, loadConfigFile } from '../config/index.js';
import { VERSION, type Logger } from '../core/index.js';
import { buildDeploymentClients, unimplementedProviderWarning } from '../providers/index.js';
import { Supervisor, type ConfigCheck } from '../supervisor/index.js';

/** The primary: config checked once here, then the supervisor forks and tends the workers. */
export async function runPrimary(options: StartOptions, configPath: string, loaded: LoadedConfig, logger: Logger): Promise<number> {
  logger.info({ version: VERSION, config: configPath, workers: options.numWorkers, port: options.port }, 'switchyard starting');
  const supervisor = new Supervisor({ options, logger, checkConfig: () => checkConfig(configPath) });
  return supervisor.run();
}

/** Everything that would stop a worker from starting with this config file, without starting one. */
export function checkConfig(configPath: string): ConfigCheck {
  const loaded = loadConfigFile(configPath);
  if (!loaded.ok) return { ok: false, problems: loaded.problems.map(formatProblem), warnings: loaded.warnings };
  const warnings = [...loaded.value.warnings];
  const providerWarning = unimplementedProviderWarning(loaded.value.config);
  if (providerWarning) warnings.push(providerWarning);
  const problems = buildDeploymentClients(loaded.value.config).problems.map(formatProblem);
  return problems.length > 0 ? { ok: false, problems, warnings } : { ok: true, warnings };
}
