import { readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { isDeepEqual, isMapping, type Mapping } from './config-tree.js';
import type { ConfigProblem } from './problems.js';
import { parseYaml } from './yaml-parse.js';

/**
 * Reads a config file and everything it pulls in with `include: [file, …]`, into one document.
 *
 * LiteLLM's rules, kept: paths are relative to the config's folder; a missing file is an error
 * naming it; top-level lists (`model_list`, `credential_list`, …) are appended after the
 * including file's own entries, in include order; for anything else the included file's value
 * wins. Where LiteLLM is careless, Switchyard is not:
 * - LiteLLM replaces a whole section (`litellm_settings`) by the included file's, silently
 *   dropping the including file's other keys in it; Switchyard merges the two mappings key by key
 *   (the included file still wins a key both set) and names every such key in a warning;
 * - includes inside included files are relative to the file that names them, with a fallback to
 *   the main config's folder (where LiteLLM looks), and are expanded in place (depth first);
 * - an include cycle is an error naming the chain (LiteLLM loops forever).
 */

export interface ConfigTree {
  /** The merged document; undefined when the main file could not be read or parsed. */
  document: Mapping | undefined;
  problems: ConfigProblem[];
  warnings: string[];
  /** For each top-level list, the included file each item came from (undefined: the main file). */
  itemOrigins: Record<string, Array<string | undefined>>;
}

interface Loaded {
  doc: Mapping;
  origins: Record<string, Array<string | undefined>>;
}

interface Context {
  rootPath: string | null;
  rootDir: string;
  rootLabel: string;
  problems: ConfigProblem[];
  duplicates: string[];
  remarks: string[];
  overridden: string[];
  foundAtRoot: string[];
}

const NOT_A_MAPPING = 'the config must be a YAML mapping of sections (model_list, general_settings, …)';

/** `rootPath` null: text that is not a file (includes are then relative to the working directory). */
export function readConfigTree(rootPath: string | null, rootText?: string): ConfigTree {
  const ctx: Context = {
    rootPath,
    rootDir: rootPath === null ? process.cwd() : dirname(rootPath),
    rootLabel: rootPath ?? 'config',
    problems: [],
    duplicates: [],
    remarks: [],
    overridden: [],
    foundAtRoot: [],
  };
  const root = loadFile(ctx, rootPath, rootText, rootPath === null ? [] : [rootPath]);
  const warnings: string[] = [];
  if (ctx.duplicates.length > 0) warnings.push(`duplicate keys, the last value wins: ${ctx.duplicates.join(', ')}`);
  if (ctx.overridden.length > 0) warnings.push(`settings set in more than one file, the included file's value wins: ${ctx.overridden.join(', ')}`);
  if (ctx.foundAtRoot.length > 0) warnings.push(`included files found relative to the main config's folder rather than the including file's: ${ctx.foundAtRoot.join(', ')}`);
  warnings.push(...ctx.remarks);
  return { document: root?.doc, problems: ctx.problems, warnings, itemOrigins: root?.origins ?? {} };
}

function loadFile(ctx: Context, file: string | null, givenText: string | undefined, chain: readonly string[]): Loaded | undefined {
  const name = file === null || file === ctx.rootPath ? undefined : relative(ctx.rootDir, file);
  const label = name ?? ctx.rootLabel;
  const where = (path: string) => (name === undefined ? path : `${name} ${path}`);
  let text = givenText;
  if (text === undefined) {
    try {
      text = readFileSync(file as string, 'utf8');
    } catch (error) {
      ctx.problems.push({ path: label, message: `cannot read config: ${readError(error)}` });
      return undefined;
    }
  }
  const parsed = parseYaml(text, label);
  if (parsed.problems.length > 0) {
    ctx.problems.push(...parsed.problems);
    return undefined;
  }
  ctx.duplicates.push(...parsed.duplicates.map(where));
  ctx.remarks.push(...parsed.remarks.map((remark) => `${label}: YAML: ${remark}`));
  const value = parsed.value ?? {};
  if (!isMapping(value)) {
    ctx.problems.push({ path: label, message: NOT_A_MAPPING });
    return undefined;
  }

  const { include, ...doc } = value;
  const loaded: Loaded = { doc, origins: {} };
  for (const [key, item] of Object.entries(doc)) if (Array.isArray(item)) loaded.origins[key] = item.map(() => name);

  for (const [index, entry] of includeEntries(ctx, include, where)) {
    const target = locate(ctx, entry, file, where(`include[${index}]`));
    if (target === undefined) {
      ctx.problems.push({ path: where(`include[${index}]`), message: `included file not found: ${resolve(file === null ? ctx.rootDir : dirname(file), entry)}` });
      continue;
    }
    if (chain.includes(target)) {
      const cycle = [...chain, target].map((f) => relative(ctx.rootDir, f));
      ctx.problems.push({ path: where(`include[${index}]`), message: `include cycle: ${cycle.join(' → ')}` });
      continue;
    }
    const child = loadFile(ctx, target, undefined, [...chain, target]);
    if (child !== undefined) mergeInto(ctx, loaded, child, relative(ctx.rootDir, target));
  }
  return loaded;
}

function includeEntries(ctx: Context, include: unknown, where: (path: string) => string): Array<[number, string]> {
  if (include === undefined || include === null) return [];
  // LiteLLM's docs show a single file too; accepting it costs nothing.
  const list = typeof include === 'string' ? [include] : include;
  if (!Array.isArray(list)) {
    ctx.problems.push({ path: where('include'), message: 'expected a list of file paths' });
    return [];
  }
  const entries: Array<[number, string]> = [];
  list.forEach((entry, index) => {
    if (typeof entry === 'string' && entry.trim() !== '') entries.push([index, entry.trim()]);
    else ctx.problems.push({ path: where(`include[${index}]`), message: 'expected a file path' });
  });
  return entries;
}

/** Relative to the including file; failing that, to the main config's folder (LiteLLM's only rule). */
function locate(ctx: Context, entry: string, includingFile: string | null, where: string): string | undefined {
  const own = resolve(includingFile === null ? ctx.rootDir : dirname(includingFile), entry);
  if (isFile(own)) return own;
  const atRoot = resolve(ctx.rootDir, entry);
  if (atRoot !== own && isFile(atRoot)) {
    ctx.foundAtRoot.push(`${where} (${entry})`);
    return atRoot;
  }
  return undefined;
}

function mergeInto(ctx: Context, base: Loaded, addition: Loaded, additionName: string): void {
  for (const [key, value] of Object.entries(addition.doc)) {
    if (value === null || value === undefined) continue; // `~` sets nothing
    const existing = base.doc[key];
    if (existing === null || existing === undefined) {
      base.doc[key] = value;
      if (addition.origins[key]) base.origins[key] = addition.origins[key];
    } else if (Array.isArray(existing) && Array.isArray(value)) {
      base.doc[key] = [...existing, ...value];
      base.origins[key] = [...(base.origins[key] ?? existing.map(() => undefined)), ...(addition.origins[key] ?? [])];
    } else if (isMapping(existing) && isMapping(value)) {
      base.doc[key] = mergeMappings(existing, value, key, (path) => ctx.overridden.push(`${path} (${additionName})`));
    } else {
      if (!isDeepEqual(existing, value)) ctx.overridden.push(`${key} (${additionName})`);
      base.doc[key] = value;
      base.origins[key] = addition.origins[key] ?? [];
    }
  }
}

function mergeMappings(base: Mapping, addition: Mapping, path: string, overridden: (path: string) => void): Mapping {
  const out: Mapping = { ...base };
  for (const [key, value] of Object.entries(addition)) {
    if (value === null || value === undefined) continue;
    const existing = out[key];
    if (isMapping(existing) && isMapping(value)) out[key] = mergeMappings(existing, value, `${path}.${key}`, overridden);
    else {
      if (existing !== null && existing !== undefined && !isDeepEqual(existing, value)) overridden(`${path}.${key}`);
      out[key] = value;
    }
  }
  return out;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(error);
}
