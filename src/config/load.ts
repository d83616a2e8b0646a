import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { registerSecret } from '../core/index.js';
import { resolveEnvRefs } from './env-refs.js';
import { normalizeConfig } from './normalize.js';
import { ConfigError, formatPath, type ConfigProblem, type PathSegment } from './problems.js';
import { configSchema, strictConfigSchema } from './schema.js';
import type { LoadedConfig } from './types.js';
import { parseYaml } from './yaml-parse.js';

export type LoadResult =
  | { ok: true; value: LoadedConfig }
  | { ok: false; problems: ConfigProblem[]; warnings: string[] };

export interface LoadOptions {
  /**
   * The environment to resolve `os.environ/` against. `environment_variables` from the file are
   * written into it first (as LiteLLM does), so pass process.env to let them reach the process.
   */
  env?: NodeJS.ProcessEnv;
}

export function loadConfigFile(path: string, options: LoadOptions = {}): LoadResult {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(error);
    return { ok: false, problems: [{ path: absolute, message: `cannot read config: ${why}` }], warnings: [] };
  }
  return loadConfigText(text, absolute, options);
}

export function loadConfigText(text: string, source: string | null, options: LoadOptions = {}): LoadResult {
  const env = options.env ?? process.env;
  const label = source ?? 'config';
  const parsed = parseYaml(text, label);
  if (parsed.problems.length > 0) return { ok: false, problems: parsed.problems, warnings: [] };

  const document = parsed.value ?? {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    return { ok: false, problems: [{ path: label, message: 'the config must be a YAML mapping of sections (model_list, general_settings, …)' }], warnings: [] };
  }

  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const raw = document as Record<string, unknown>;

  applyEnvironmentVariables(raw.environment_variables, env, problems);
  const resolved = resolveEnvRefs(raw, env, problems) as Record<string, unknown>;
  const missingPaths = new Set(problems.map((p) => p.path));

  const strict = strictConfigSchema.safeParse(resolved);
  if (!strict.success) {
    const unknown: string[] = [];
    for (const issue of strict.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) unknown.push(formatPath([...(issue.path as PathSegment[]), key]));
        continue;
      }
      const path = formatPath(issue.path as PathSegment[]);
      if (missingPaths.has(path)) continue; // already reported as a missing environment variable
      problems.push({ path, message: issueMessage(issue) });
    }
    if (unknown.length > 0) warnings.push(`unknown config keys, ignored: ${unknown.join(', ')}`);
  }
  if (problems.length > 0) return { ok: false, problems: dedupe(problems), warnings };

  const data = configSchema.parse(resolved);
  const config = normalizeConfig(
    { raw: data, unresolvedModelList: Array.isArray(raw.model_list) ? raw.model_list : [], env, source },
    problems,
  );
  if (problems.length > 0) return { ok: false, problems, warnings };

  registerSecret(config.masterKey);
  for (const deployment of config.deployments) registerSecret(deployment.params.apiKey);
  if (config.redis?.password) registerSecret(config.redis.password);
  return { ok: true, value: { config, warnings } };
}

/** Loads or throws a ConfigError carrying every problem. */
export function loadConfigOrThrow(path: string, options: LoadOptions = {}): LoadedConfig {
  const result = loadConfigFile(path, options);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.value;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function applyEnvironmentVariables(section: unknown, env: NodeJS.ProcessEnv, problems: ConfigProblem[]): void {
  if (section === undefined || section === null) return;
  if (typeof section !== 'object' || Array.isArray(section)) return; // the schema reports the type
  const values = resolveEnvRefs(section, env, problems, ['environment_variables']) as Record<string, unknown>;
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') env[name] = String(value);
  }
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return 'is required';
  if (issue.code === 'invalid_type' && issue.expected === 'object') return 'expected a mapping';
  if (issue.code === 'invalid_type' && issue.expected === 'array') return 'expected a list';
  if (issue.code === 'invalid_union') return issue.message.replace(/^Invalid input$/, 'has an invalid value');
  return issue.message;
}
