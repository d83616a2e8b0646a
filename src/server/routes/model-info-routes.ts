import type { Config } from '../../config/index.js';
import { GatewayError } from '../../core/index.js';
import { mayUse } from '../../keys/index.js';
import type { RouteSpec } from '../http/route-table.js';
import { queryOf, sendJson } from '../http/respond.js';
import { modelGroupInfo, modelInfoEntry } from '../model-info.js';

/**
 * LiteLLM's read routes about the configured models (behind the key, like every model route):
 * `/model/info` (one entry per deployment; `?litellm_model_id=` picks one) and
 * `/model_group/info` (one entry per group; `?model_group=` picks one). Shapes: model-info.ts. A
 * virtual key sees only the model groups it may call.
 */
export function modelInfoRoutes(config: Config): RouteSpec[] {
  return [
    {
      method: 'GET',
      paths: ['/model/info', '/v1/model/info'],
      handle(ctx) {
        const id = queryOf(ctx.request.url).get('litellm_model_id');
        const visible = ctx.caller === undefined ? config.deployments : config.deployments.filter((d) => mayUse(ctx.caller!, d.modelName));
        const deployments = id === null ? visible : visible.filter((d) => d.id === id);
        if (id !== null && deployments.length === 0) throw new GatewayError('not_found', `No deployment has the id \`${id}\`.`, { param: 'litellm_model_id' });
        sendJson(ctx, 200, { data: deployments.map(modelInfoEntry) });
      },
    },
    {
      method: 'GET',
      paths: ['/model_group/info'],
      handle(ctx) {
        const only = queryOf(ctx.request.url).get('model_group');
        const visible = ctx.caller === undefined ? config.modelGroups : config.modelGroups.filter((g) => mayUse(ctx.caller!, g));
        const groups = only === null ? visible : visible.filter((g) => g === only);
        if (only !== null && groups.length === 0) throw new GatewayError('model_not_found', `The model group \`${only}\` does not exist.`, { param: 'model_group' });
        sendJson(ctx, 200, { data: groups.map((group) => modelGroupInfo(group, config.deployments.filter((d) => d.modelName === group))) });
      },
    },
  ];
}
