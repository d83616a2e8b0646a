import { loadConfigText } from '../src/config/index.js';
import { sequentialId } from '../src/core/index.js';
import type { RequestContext } from '../src/server/request-context.js';

/**
 * The spend benches' finished call (bench:spend-rows, and bench:spend's control load): a priced,
 * non-streamed chat call of 3 ms with cached input, as `spendRecord` reads it, with a request id
 * shaped as the gateway's.
 */
const loaded = loadConfigText('model_list: [{model_name: gpt-4o, litellm_params: {model: openai/gpt-4o, api_key: k, api_base: "http://127.0.0.1:9/v1"}}]\n', 'bench.yaml', { env: {} });
if (!loaded.ok) throw new Error('config');
const deployment = loaded.value.config.deployments[0]!;

export function benchCallContext(): RequestContext {
  return {
    id: sequentialId(), idFromClient: false, startedAt: performance.now() - 3.2, route: '/v1/chat/completions', stream: false,
    modelGroup: 'gpt-4o', deployment, apiBase: '127.0.0.1:9', attempts: 1, usage: { input: 1_234, output: 321, cacheRead: 1_024, cacheWrite: 0 },
    cost: { usd: 0.0039123, source: '@pydantic/genai-prices@0.1.8' }, tags: undefined, caller: undefined, cache: undefined, cacheKey: undefined,
    firstByteMs: undefined, errorCode: undefined, fallbackGroup: undefined, savedUsd: undefined,
  } as unknown as RequestContext;
}
