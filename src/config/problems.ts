/** A config problem with the key path it is about (`model_list[2].litellm_params.model`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

export type PathSegment = string | number;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out || '(top level)';
}

export function formatProblem(problem: ConfigProblem): string {
  return `${problem.path}: ${problem.message}`;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid config:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
