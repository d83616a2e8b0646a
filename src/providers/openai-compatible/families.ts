/**
 * OpenAI-compatible provider families: each is only data (default base URL, where its key comes
 * from, and how its API differs from OpenAI's in the request: fields it names otherwise, values it
 * spells otherwise, fields it refuses, headers it wants). `openai/` with an `api_base` reaches any
 * OpenAI-compatible server. Defaults and environment variables are LiteLLM's, so that a LiteLLM
 * config reaches the same place. Adding a provider of this kind is one entry here (and a test).
 */
export interface Family {
  /** Default base URL including the version path; absent when `api_base` is required. */
  baseUrl?: string;
  /** Environment variables consulted, in order, when the deployment sets no `api_key`. */
  keyEnv: readonly string[];
  /** Environment variables consulted, in order, when the deployment sets no `api_base`. */
  baseEnv: readonly string[];
  /** Ensure the base URL ends with this path (Mistral's API lives under /v1). */
  basePathSuffix?: string;
  /**
   * Chat and completion request fields this API knows under another name (`max_completion_tokens`
   * → `max_tokens`). When the request sets both names, the API's own name keeps its value.
   */
  renames?: Readonly<Record<string, string>>;
  /** String values this API spells otherwise, per field (Mistral's `tool_choice: "any"` for OpenAI's `"required"`). */
  values?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Chat and completion request fields this API refuses: never sent, named in the request's debug line. */
  drops?: readonly string[];
  /** Headers whose value comes from an environment variable, sent when it is set (OpenRouter's attribution). */
  headerEnv?: Readonly<Record<string, string>>;
  /** Model names are sent with this prefix unless they already carry it (Fireworks' `accounts/fireworks/models/`). */
  modelPrefix?: { prefix: string; unlessStartsWith: string };
}

/** OpenAI's newer name for the output limit; most compatible servers know only `max_tokens`. */
const MAX_TOKENS_ONLY = { max_completion_tokens: 'max_tokens' } as const;

export const OPENAI_COMPATIBLE_FAMILIES: Readonly<Record<string, Family>> = {
  openai: { baseUrl: 'https://api.openai.com/v1', keyEnv: ['OPENAI_API_KEY'], baseEnv: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'] },
  groq: {
    baseUrl: 'https://api.groq.com/openai/v1', keyEnv: ['GROQ_API_KEY'], baseEnv: ['GROQ_API_BASE'],
    // Groq answers 400 to these (its API reference: "not yet supported").
    drops: ['logprobs', 'logit_bias', 'top_logprobs'],
  },
  together_ai: {
    baseUrl: 'https://api.together.xyz/v1',
    keyEnv: ['TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY', 'TOGETHERAI_API_KEY', 'TOGETHER_AI_TOKEN'],
    baseEnv: ['TOGETHER_AI_API_BASE', 'TOGETHERAI_API_BASE'],
  },
  deepseek: { baseUrl: 'https://api.deepseek.com/beta', keyEnv: ['DEEPSEEK_API_KEY'], baseEnv: ['DEEPSEEK_API_BASE'], renames: MAX_TOKENS_ONLY },
  mistral: {
    baseUrl: 'https://api.mistral.ai/v1', keyEnv: ['MISTRAL_AZURE_API_KEY', 'MISTRAL_API_KEY'], baseEnv: ['MISTRAL_AZURE_API_BASE', 'MISTRAL_API_BASE'],
    basePathSuffix: '/v1',
    // Mistral refuses fields it does not know (422 extra_forbidden) and names the seed otherwise.
    renames: { ...MAX_TOKENS_ONLY, seed: 'random_seed' },
    values: { tool_choice: { required: 'any' } },
    drops: ['user', 'logit_bias', 'logprobs', 'top_logprobs', 'store', 'metadata', 'service_tier'],
  },
  xai: { baseUrl: 'https://api.x.ai/v1', keyEnv: ['XAI_API_KEY'], baseEnv: ['XAI_API_BASE'], renames: MAX_TOKENS_ONLY },
  openrouter: {
    baseUrl: 'https://openrouter.ai/api/v1', keyEnv: ['OPENROUTER_API_KEY', 'OR_API_KEY'], baseEnv: ['OPENROUTER_API_BASE'],
    headerEnv: { 'HTTP-Referer': 'OR_SITE_URL', 'X-Title': 'OR_APP_NAME' },
  },
  fireworks_ai: {
    baseUrl: 'https://api.fireworks.ai/inference/v1',
    keyEnv: ['FIREWORKS_API_KEY', 'FIREWORKS_AI_API_KEY', 'FIREWORKSAI_API_KEY', 'FIREWORKS_AI_TOKEN'],
    baseEnv: ['FIREWORKS_API_BASE', 'FIREWORKS_AI_API_BASE'],
    renames: MAX_TOKENS_ONLY,
    values: { tool_choice: { required: 'any' } },
    modelPrefix: { prefix: 'accounts/fireworks/models/', unlessStartsWith: 'accounts/' },
  },
  perplexity: { baseUrl: 'https://api.perplexity.ai', keyEnv: ['PERPLEXITYAI_API_KEY', 'PERPLEXITY_API_KEY'], baseEnv: ['PERPLEXITY_API_BASE'] },
  cerebras: { baseUrl: 'https://api.cerebras.ai/v1', keyEnv: ['CEREBRAS_API_KEY'], baseEnv: ['CEREBRAS_API_BASE'] },
  deepinfra: { baseUrl: 'https://api.deepinfra.com/v1/openai', keyEnv: ['DEEPINFRA_API_KEY'], baseEnv: ['DEEPINFRA_API_BASE'] },
  hosted_vllm: { keyEnv: ['HOSTED_VLLM_API_KEY'], baseEnv: ['HOSTED_VLLM_API_BASE'] },
  // LiteLLM's `vllm/` runs the model in-process through vLLM's Python package; a gateway can only
  // reach a vLLM server, so `vllm/` is taken as hosted_vllm/ (its OpenAI server, api_base required).
  vllm: { keyEnv: ['HOSTED_VLLM_API_KEY'], baseEnv: ['HOSTED_VLLM_API_BASE'] },
  lm_studio: { keyEnv: ['LM_STUDIO_API_KEY'], baseEnv: ['LM_STUDIO_API_BASE'] },
};
