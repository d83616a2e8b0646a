import { isMapping, type Mapping } from './config-tree.js';
import { formatPath, type PathSegment } from './problems.js';
import { homesOf, isKnownIn, SECTION_LABEL, type Section } from './section-keys.js';

/**
 * "Tolerance with a voice": what the config holds that Switchyard will not act on loads anyway,
 * and each kind of it is named in one warning line listing every key path.
 */

export const IMPLEMENTED_MODES: readonly string[] = ['chat', 'completion', 'embedding'];

export interface UnrecognizedKey {
  /** Path of the mapping that holds the key. */
  at: readonly PathSegment[];
  key: string;
}

export interface KeyWarnings {
  warnings: string[];
  /** Every ignored key path: a missing `os.environ/` variable below one of them is not an error. */
  ignored: string[];
}

/** Sorts unrecognized keys into unknown top-level sections, keys in the wrong section and the rest. */
export function describeUnrecognizedKeys(keys: readonly UnrecognizedKey[], annotate: (path: string) => string): KeyWarnings {
  const sections: string[] = [];
  const misplaced: string[] = [];
  const unknown: string[] = [];
  const ignored: string[] = [];
  for (const { at, key } of keys) {
    const path = formatPath([...at, key]);
    ignored.push(path);
    const section = sectionAt(at);
    const homes = section === undefined || isKnownIn(key, section) ? [] : homesOf(key, section);
    if (section !== undefined && homes.length > 0) {
      const names = homes.map((home) => (section === 'credential' && home === 'litellm_params' ? 'credential_values' : SECTION_LABEL[home]));
      misplaced.push(`${annotate(path)} (belongs ${homes[0] === 'top' ? 'at' : 'in'} ${names.join(' or ')})`);
    } else if (section === 'top') sections.push(path);
    else unknown.push(annotate(path));
  }
  const warnings: string[] = [];
  if (sections.length > 0) warnings.push(`top-level sections Switchyard does not implement, ignored: ${sections.join(', ')}`);
  if (misplaced.length > 0) warnings.push(`keys in the wrong section, ignored: ${misplaced.join(', ')}`);
  if (unknown.length > 0) warnings.push(`unknown config keys, ignored: ${unknown.join(', ')}`);
  return { warnings, ignored };
}

/** The section a mapping at this path is (`model_list[3].litellm_params` → litellm_params). */
function sectionAt(at: readonly PathSegment[]): Section | undefined {
  const [first, second, third] = at;
  if (at.length === 0) return 'top';
  if (first === 'model_list') {
    if (at.length === 2) return 'deployment';
    if (third === 'litellm_params' && at.length === 3) return 'litellm_params';
    if (third === 'model_info' && at.length === 3) return 'model_info';
    return undefined;
  }
  if (first === 'credential_list') {
    if (at.length === 2) return 'credential';
    if (third === 'credential_values' && at.length === 3) return 'litellm_params';
    return undefined;
  }
  if (first === 'litellm_settings' && second === 'cache_params' && at.length === 2) return 'cache_params';
  if (at.length === 1 && (first === 'general_settings' || first === 'litellm_settings' || first === 'router_settings')) return first;
  return undefined;
}

/** `model_info.mode` values with no endpoint here (rerank, image_generation, …). */
export function unimplementedModesWarning(doc: Mapping, annotate: (path: string) => string): string | undefined {
  const found: string[] = [];
  const list = Array.isArray(doc.model_list) ? doc.model_list : [];
  list.forEach((entry, index) => {
    const mode = isMapping(entry) && isMapping(entry.model_info) ? entry.model_info.mode : undefined;
    if (typeof mode === 'string' && !IMPLEMENTED_MODES.includes(mode)) found.push(`${annotate(`model_list[${index}].model_info.mode`)} (${mode})`);
  });
  if (found.length === 0) return undefined;
  return `model_info.mode values Switchyard does not implement (only ${IMPLEMENTED_MODES.join(', ')}; these deployments are still reachable through those endpoints): ${found.join(', ')}`;
}

/** Call types the response cache does not serve, though LiteLLM's may: named at start (docs/caching.md says why). */
const UNCACHED_CALL_TYPES = ['responses', 'aresponses', 'transcription', 'atranscription', 'rerank', 'arerank'];

/**
 * Cache types Switchyard does not implement (`s3`, `qdrant-semantic`, …): named at start, nothing
 * cached. Call types in `supported_call_types` that are never cached here (`aresponses`, …): named.
 */
export function cachingWarnings(doc: Mapping): string[] {
  const settings = isMapping(doc.litellm_settings) ? doc.litellm_settings : {};
  const params = isMapping(settings.cache_params) ? settings.cache_params : {};
  const warnings: string[] = [];
  const type = params.type;
  if (typeof type === 'string' && !['redis', 'local', 'in-memory', 'memory'].includes(type)) {
    warnings.push(`litellm_settings.cache_params.type ${type} is not implemented (only redis and local): no response is cached`);
  }
  const types = Array.isArray(params.supported_call_types) ? params.supported_call_types : [];
  const uncached = types.filter((t): t is string => typeof t === 'string' && UNCACHED_CALL_TYPES.includes(t));
  if (settings.cache === true && uncached.length > 0) {
    warnings.push(`litellm_settings.cache_params.supported_call_types: ${uncached.join(', ')} are not cached by Switchyard (only chat, text completions, embeddings and /v1/messages; see docs/caching.md)`);
  }
  return warnings;
}
