import { parseArgs, type ParseArgsConfig } from 'node:util';
import { START_OPTION_SPECS, type RawFlags } from '../config/index.js';

export class UsageError extends Error {}

/** argv → raw flag values. `--num-workers` and `--num_workers` are the same flag. */
export function parseFlags(argv: readonly string[]): RawFlags {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const spec of START_OPTION_SPECS) {
    options[spec.name] = { type: spec.kind === 'boolean' ? 'boolean' : 'string', ...('short' in spec ? { short: spec.short } : {}) };
  }
  const normalized = argv.map((arg) => {
    if (!arg.startsWith('--')) return arg;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    return `--${name.replaceAll('-', '_')}${eq === -1 ? '' : arg.slice(eq)}`;
  });
  try {
    const { values, positionals } = parseArgs({ args: normalized, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; see --help`);
    return values as RawFlags;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${(error as Error).message.split('. ')[0]}; see --help`);
  }
}

export function helpText(): string {
  const lines = START_OPTION_SPECS.map((spec) => {
    const flag = `${'short' in spec ? `-${spec.short}, ` : '    '}--${spec.name}${spec.kind === 'boolean' ? '' : ' VALUE'}`;
    const env = 'env' in spec ? ` [env ${spec.env}]` : '';
    const fallback = 'defaultText' in spec ? ` (default: ${spec.defaultText})` : '';
    return `  ${flag.padEnd(48)} ${spec.description}${fallback}${env}`;
  });
  return [
    'Usage: switchyard [options]',
    '',
    'An LLM gateway speaking the OpenAI and Anthropic APIs; a drop-in for the LiteLLM proxy.',
    '',
    'Options (kebab-case spellings such as --num-workers work too; flags beat env, env beats config):',
    ...lines,
    '',
  ].join('\n');
}
