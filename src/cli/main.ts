import cluster from 'node:cluster';
import { demoConfigPath, resolveStartOptions, StartOptionError, type StartOptions } from '../config/index.js';
import { VERSION } from '../core/index.js';
import { helpText, parseFlags, UsageError } from './args.js';

/**
 * Flags and env → options, then hands off to the primary, a worker or --validate_config. Each
 * path imports only what it needs (the primary never loads the HTTP server), which keeps start-up
 * and the primary's memory small. Returns the exit code, or undefined while a worker serves.
 */
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

  if (cluster.isWorker) {
    // Forked without the worker bundle (see worker-loader.ts): the worker's part, unbundled.
    const { startWorker } = await import('./worker-entry.js');
    await startWorker(argv);
    return undefined;
  }
  const configPath = options.configPath ?? demoConfigPath();
  const primary = await import('./run-primary.js');
  if (options.validateConfig) return primary.validateConfigCommand(configPath);
  return primary.runPrimary(options, configPath);
}
