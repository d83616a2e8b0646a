import { isMapping, type Mapping } from './config-tree.js';
import type { ConfigProblem } from './problems.js';

/**
 * `credential_list` names sets of `litellm_params` (key, base URL, version, …) that deployments
 * pick with `litellm_params.litellm_credential_name`. As in LiteLLM, the credential fills only the
 * keys the deployment does not set itself: inline values win. Unlike LiteLLM, which silently
 * ignores a name it does not know (and then calls the provider without a key), an unknown name is
 * an error naming the key path. When two credentials share a name the first is used, as in
 * LiteLLM, with a warning.
 *
 * Runs on the document after `os.environ/` resolution and `~` removal; returns a new document.
 */
export function applyCredentials(doc: Mapping, problems: ConfigProblem[], warnings: string[], annotate: (path: string) => string): Mapping {
  const credentials = new Map<string, Mapping>();
  const duplicates: string[] = [];
  const list = Array.isArray(doc.credential_list) ? doc.credential_list : [];
  list.forEach((entry, index) => {
    if (!isMapping(entry) || typeof entry.credential_name !== 'string') return; // the schema reports it
    const values = isMapping(entry.credential_values) ? entry.credential_values : {};
    if (credentials.has(entry.credential_name)) duplicates.push(`${annotate(`credential_list[${index}].credential_name`)} (${entry.credential_name})`);
    else credentials.set(entry.credential_name, values);
  });
  if (duplicates.length > 0) warnings.push(`credential names used more than once, the first one is used: ${duplicates.join(', ')}`);

  if (!Array.isArray(doc.model_list)) return doc;
  const modelList = doc.model_list.map((entry, index) => {
    if (!isMapping(entry) || !isMapping(entry.litellm_params)) return entry;
    const params = entry.litellm_params;
    const name = params.litellm_credential_name;
    if (typeof name !== 'string') return entry;
    const values = credentials.get(name);
    if (values === undefined) {
      const known = [...credentials.keys()];
      problems.push({
        path: `model_list[${index}].litellm_params.litellm_credential_name`,
        message: `no credential named "${name}" in credential_list${known.length > 0 ? ` (it has: ${known.join(', ')})` : ''}`,
      });
      return entry;
    }
    return { ...entry, litellm_params: { ...values, ...params } };
  });
  return { ...doc, model_list: modelList };
}
