import { GatewayError } from '../core/index.js';
import type { Caller } from './caller.js';

/** LiteLLM's values for "every model of the proxy" in a key's or team's `models`. */
const ALL_MODELS = new Set(['all-proxy-models', '*']);
/** A key's value for "whatever its team may use". */
const TEAM_MODELS = 'all-team-models';

/**
 * The model group a caller's request goes to: the key's `aliases` first (requested name → model
 * group), then the check against the key's `models` and its team's (LiteLLM's
 * `can_key_call_model` / `can_team_access_model`). An empty list, `all-proxy-models` or `*` allow
 * everything; `all-team-models` on a key defers to the team; `prefix/*` allows names under it. A
 * name passes when either the name sent or the group it is an alias of is allowed.
 */
export function resolveModel(caller: Caller, requested: string): string {
  const target = caller.aliases[requested] ?? requested;
  if (!allowedBy(caller.models, requested, target, caller.teamModels)) {
    throw new GatewayError('key_model_access_denied', `key not allowed to access model. This key can only access models=${JSON.stringify(caller.models)}. Tried to access ${requested}`, { param: 'model' });
  }
  if (caller.teamModels !== undefined && !allowedBy(caller.teamModels, requested, target, undefined)) {
    throw new GatewayError('team_model_access_denied', `team not allowed to access model. Team=${caller.teamId}, Model=${requested}. Allowed team models = ${JSON.stringify(caller.teamModels)}`, { param: 'model' });
  }
  return target;
}

/** Whether a caller may see a model group (`/v1/models`, `/model/info`). */
export function mayUse(caller: Caller, group: string): boolean {
  const aliasOf = Object.entries(caller.aliases).some(([name, target]) => target === group && allowedBy(caller.models, name, group, caller.teamModels));
  const keyAllows = aliasOf || allowedBy(caller.models, group, group, caller.teamModels);
  return keyAllows && (caller.teamModels === undefined || allowedBy(caller.teamModels, group, group, undefined));
}

function allowedBy(models: readonly string[], requested: string, target: string, teamModels: readonly string[] | undefined): boolean {
  if (models.length === 0) return true;
  for (const model of models) {
    if (ALL_MODELS.has(model) || model === requested || model === target) return true;
    if (model === TEAM_MODELS && (teamModels === undefined || allowedBy(teamModels, requested, target, undefined))) return true;
    if (model.endsWith('/*') && (requested.startsWith(model.slice(0, -1)) || target.startsWith(model.slice(0, -1)))) return true;
  }
  return false;
}
