import { resolve } from 'node:path';
import type { z } from 'zod';
import { registerSecret } from '../core/index.js';
import { readConfigTree, type ConfigTree } from './config-includes.js';
import { dropNullValues, isMapping, type Mapping } from './config-tree.js';
import { cachingWarnings, describeUnrecognizedKeys, unimplementedModesWarning, type UnrecognizedKey } from './config-warnings.js';
import { applyCredentials } from './credential-fill.js';
import { resolveEnvRefs } from './env-refs.js';
import { normalizeConfig } from './normalize.js';
import { ConfigError, formatPath, type ConfigProblem, type PathSegment } from './problems.js';
import { configSchema, strictConfigSchema } from './schema.js';
import type { LoadedConfig } from './types.js';

export type LoadResult =
  | { ok: true; value: LoadedConfig }
  | { ok: false; problems: ConfigProblem[]; warnings: string[]; summary?: ConfigSummary };

/** What the config holds, counted even when it is invalid (for `--validate_config`). */
export interface ConfigSummary {
  deployments: number;
  modelGroups: number;
}

export interface LoadOptions {
  /**
   * The environment to resolve `os.environ/` against. `environment_variables` from the file are
   * written into it first (as LiteLLM does), so pass process.env to let them reach the process.
   */
  env?: NodeJS.ProcessEnv;
}

/**
 * The pipeline: read the file and its includes (YAML as PyYAML reads it) → drop `~` values →
 * apply `environment_variables` → resolve `os.environ/` → check everything against the schema at
 * once (unknown keys become warnings) → fill credentials → normalize to the frozen Config.
 */
export function loadConfigFile(path: string, options: LoadOptions = {}): LoadResult {
  const absolute = resolve(path);
  return loadTree(readConfigTree(absolute), absolute, options);
}

/** `source`: the file the text came from (includes are relative to it), or null. */
export function loadConfigText(text: string, source: string | null, options: LoadOptions = {}): LoadResult {
  const absolute = source === null ? null : resolve(source);
  return loadTree(readConfigTree(absolute, text), source, options);
}

function loadTree(tree: ConfigTree, source: string | null, options: LoadOptions): LoadResult {
  const env = options.env ?? process.env;
  if (tree.document === undefined) return { ok: false, problems: tree.problems, warnings: tree.warnings };

  const annotate = originAnnotator(tree);
  const problems: ConfigProblem[] = [...tree.problems];
  const warnings: string[] = [...tree.warnings];
  const raw = dropNullValues(tree.document) as Mapping;

  applyEnvironmentVariables(raw.environment_variables, env, problems);
  const envProblems: ConfigProblem[] = [];
  const resolved = resolveEnvRefs(raw, env, envProblems) as Mapping;

  const unrecognized: UnrecognizedKey[] = [];
  const schemaProblems: ConfigProblem[] = [];
  // jitless: zod would otherwise compile a fast parser for every object schema on its first
  // parse, for a config each process parses once or twice (~28 ms of a worker's boot).
  const strict = strictConfigSchema.safeParse(resolved, { jitless: true });
  if (!strict.success) {
    for (const issue of strict.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) unrecognized.push({ at: issue.path as PathSegment[], key });
      } else {
        schemaProblems.push({ path: formatPath(issue.path as PathSegment[]), message: issueMessage(issue) });
      }
    }
  }
  const keyWarnings = describeUnrecognizedKeys(unrecognized, annotate);
  warnings.push(...keyWarnings.warnings);
  // A missing variable under a key that is ignored anyway (an `x-` anchor holder, a guardrail's
  // key) stops nothing; under anything Switchyard uses, it is an error naming the key path.
  const isIgnored = (path: string) => keyWarnings.ignored.some((ignored) => path === ignored || path.startsWith(`${ignored}.`) || path.startsWith(`${ignored}[`));
  // The database only holds spend logs (written off the request path): a config whose
  // database_url names a variable this environment lacks still serves, without them.
  const optional = (path: string) => path === 'general_settings.database_url';
  for (const p of envProblems) if (optional(p.path)) warnings.push(`${annotate(p.path)}: ${p.message}; spend logs are off`);
  problems.push(...envProblems.filter((p) => !isIgnored(p.path) && !optional(p.path)));
  const missingPaths = new Set(envProblems.map((p) => p.path));
  problems.push(...schemaProblems.filter((p) => !missingPaths.has(p.path))); // reported as the missing variable

  for (const warning of [unimplementedModesWarning(resolved, annotate), ...cachingWarnings(resolved)]) if (warning) warnings.push(warning);
  const filled = applyCredentials(resolved, problems, warnings, annotate);
  if (problems.length > 0) return { ok: false, problems: withOrigins(dedupe(problems), annotate), warnings, summary: summarize(raw) };

  const data = configSchema.parse(filled, { jitless: true });
  const config = normalizeConfig(
    { raw: data, unresolvedModelList: Array.isArray(raw.model_list) ? raw.model_list : [], env, source },
    problems,
  );
  if (problems.length > 0) return { ok: false, problems, warnings, summary: summarize(raw) };

  registerSecret(config.masterKey);
  for (const deployment of config.deployments) {
    registerSecret(deployment.params.apiKey);
    registerSecret(deployment.params.aws?.secretAccessKey);
    registerSecret(deployment.params.aws?.sessionToken);
  }
  if (config.redis?.password) registerSecret(config.redis.password);
  if (config.database !== undefined) {
    registerSecret(config.database.url);
    registerSecret(urlPassword(config.database.url));
  }
  return { ok: true, value: { config, warnings } };
}

/** Loads or throws a ConfigError carrying every problem. */
export function loadConfigOrThrow(path: string, options: LoadOptions = {}): LoadedConfig {
  const result = loadConfigFile(path, options);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.value;
}

/** `model_list[7]…` → `model_list[7]… [models/openai.yaml]` when that entry came from an included file. */
function originAnnotator(tree: ConfigTree): (path: string) => string {
  return (path) => {
    const match = /^([a-z_]+)\[(\d+)\]/.exec(path);
    const origin = match ? tree.itemOrigins[match[1]!]?.[Number(match[2])] : undefined;
    return origin === undefined ? path : `${path} [${origin}]`;
  };
}

function withOrigins(problems: ConfigProblem[], annotate: (path: string) => string): ConfigProblem[] {
  return problems.map((p) => {
    const annotated = annotate(p.path);
    return annotated === p.path ? p : { path: p.path, message: `${p.message} ${annotated.slice(p.path.length + 1)}` };
  });
}

function summarize(raw: Mapping): ConfigSummary {
  const list = Array.isArray(raw.model_list) ? raw.model_list : [];
  const groups = new Set(list.map((entry) => (isMapping(entry) ? entry.model_name : undefined)).filter((name) => name !== undefined).map(String));
  return { deployments: list.length, modelGroups: groups.size };
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
  if (!isMapping(section)) return; // absent, or the schema reports the type
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

function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}
