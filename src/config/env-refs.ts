import { formatPath, type ConfigProblem, type PathSegment } from './problems.js';

const PREFIX = 'os.environ/';

/**
 * Replaces every string `os.environ/NAME`, at any depth (lists included), with that variable's
 * value. A variable that is not set is a problem naming the key path; its value becomes undefined.
 */
export function resolveEnvRefs(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  path: PathSegment[] = [],
): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(PREFIX)) return value;
    const name = value.slice(PREFIX.length).trim();
    const resolved = env[name];
    if (resolved === undefined) {
      problems.push({ path: formatPath(path), message: `environment variable ${name} is not set (referenced as ${value})` });
    }
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveEnvRefs(item, env, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = resolveEnvRefs(item, env, problems, [...path, key]);
    return out;
  }
  return value;
}
