import cluster from 'node:cluster';
import {
  demoConfigPath, formatProblem, loadConfigFile, resolveStartOptions, StartOptionError, type LoadedConfig, type StartOptions,
} from '../config/index.js';
import { createLogger, VERSION, type Logger } from '../core/index.js';
import { buildDeploymentClients, unimplementedProviderWarning } from '../providers/index.js';
import { helpText, parseFlags, UsageError } from './args.js';
import { runPrimary } from './run-primary.js';
import { runWorker } from './run-worker.js';

/** Flags and env → options, then hands off. Returns the process exit code (or never, when serving). */
export async function main(argv: readonly string[]): Promise<number | undefined> {
  let options: StartOptions;
  try {
    options = resolveStartOptions(parseFlags(argv));
  } catch (error) {
    if (error instanceof UsageError || error instanceof StartOptionError) {
      process.stderr.write(`switchyard: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(helpText());
    return 0;
  }
  if (options.version) {
    process.stdout.write(`switchyard ${VERSION}\n`);
    return 0;
  }

  const configPath = options.configPath ?? demoConfigPath();
  if (cluster.isWorker) {
    await runWorker(options, configPath);
    return undefined;
  }
  const loaded = loadConfigFile(configPath);
  if (options.validateConfig) return validate(configPath, loaded);

  const logger = createLogger({ level: options.logLevel, pretty: process.stdout.isTTY === true, base: { role: 'primary' } });
  for (const warning of options.warnings) logger.warn(warning);
  if (!loaded.ok) {
    for (const warning of loaded.warnings) logger.warn({ config: configPath }, warning);
    logger.fatal({ config: configPath, problems: loaded.problems.map(formatProblem) }, 'invalid config; not starting');
    return 1;
  }
  reportWarnings(logger, configPath, loaded.value);
  const clientProblems = buildDeploymentClients(loaded.value.config).problems;
  if (clientProblems.length > 0) {
    logger.fatal({ config: configPath, problems: clientProblems.map(formatProblem) }, 'invalid config; not starting');
    return 1;
  }
  return runPrimary(options, configPath, loaded.value, logger);
}

function validate(configPath: string, loaded: ReturnType<typeof loadConfigFile>): number {
  const out: string[] = [`config: ${configPath}`];
  const problems = loaded.ok ? [] : loaded.problems.map(formatProblem);
  const warnings = loaded.ok ? [...loaded.value.warnings] : [...loaded.warnings];
  if (loaded.ok) {
    const { config } = loaded.value;
    problems.push(...buildDeploymentClients(config).problems.map(formatProblem));
    const providerWarning = unimplementedProviderWarning(config);
    if (providerWarning) warnings.push(providerWarning);
  }
  for (const problem of problems) out.push(`error: ${problem}`);
  for (const warning of warnings) out.push(`warning: ${warning}`);
  // Counted even for an invalid config, from what it holds.
  const summary = loaded.ok ? { deployments: loaded.value.config.deployments.length, modelGroups: loaded.value.config.modelGroups.length } : loaded.summary;
  if (summary) {
    const { deployments, modelGroups } = summary;
    out.push(`${deployments} deployment${deployments === 1 ? '' : 's'} in ${modelGroups} model group${modelGroups === 1 ? '' : 's'}`);
  }
  out.push(problems.length === 0 ? 'config is valid' : `config is invalid: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  process.stdout.write(out.join('\n') + '\n');
  return problems.length === 0 ? 0 : 1;
}

function reportWarnings(logger: Logger, configPath: string, loaded: LoadedConfig): void {
  for (const warning of loaded.warnings) logger.warn({ config: configPath }, warning);
  const providerWarning = unimplementedProviderWarning(loaded.config);
  if (providerWarning) logger.warn({ config: configPath }, providerWarning);
}
