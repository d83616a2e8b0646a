/**
 * OpenAI-compatible provider families: each is only data (default base URL and where its key
 * comes from). `openai/` with an `api_base` reaches any OpenAI-compatible server.
 */
export interface Family {
  /** Default base URL including the version path; absent when `api_base` is required. */
  baseUrl?: string;
  /** Environment variables consulted, in order, when the deployment sets no `api_key`. */
  keyEnv: readonly string[];
  /** Environment variables consulted, in order, when the deployment sets no `api_base`. */
  baseEnv: readonly string[];
  /** Ensure the base URL ends with this path (Ollama's OpenAI API lives under /v1). */
  basePathSuffix?: string;
}

export const OPENAI_COMPATIBLE_FAMILIES: Readonly<Record<string, Family>> = {
  openai: { baseUrl: 'https://api.openai.com/v1', keyEnv: ['OPENAI_API_KEY'], baseEnv: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'] },
  groq: { baseUrl: 'https://api.groq.com/openai/v1', keyEnv: ['GROQ_API_KEY'], baseEnv: ['GROQ_API_BASE'] },
  together_ai: { baseUrl: 'https://api.together.xyz/v1', keyEnv: ['TOGETHERAI_API_KEY', 'TOGETHER_AI_API_KEY', 'TOGETHER_API_KEY'], baseEnv: ['TOGETHERAI_API_BASE'] },
  deepseek: { baseUrl: 'https://api.deepseek.com/v1', keyEnv: ['DEEPSEEK_API_KEY'], baseEnv: ['DEEPSEEK_API_BASE'] },
  mistral: { baseUrl: 'https://api.mistral.ai/v1', keyEnv: ['MISTRAL_API_KEY'], baseEnv: ['MISTRAL_API_BASE'] },
  xai: { baseUrl: 'https://api.x.ai/v1', keyEnv: ['XAI_API_KEY'], baseEnv: ['XAI_API_BASE'] },
  openrouter: { baseUrl: 'https://openrouter.ai/api/v1', keyEnv: ['OPENROUTER_API_KEY', 'OR_API_KEY'], baseEnv: ['OPENROUTER_API_BASE'] },
  fireworks_ai: { baseUrl: 'https://api.fireworks.ai/inference/v1', keyEnv: ['FIREWORKS_AI_API_KEY', 'FIREWORKS_API_KEY'], baseEnv: ['FIREWORKS_AI_API_BASE'] },
  hosted_vllm: { keyEnv: ['HOSTED_VLLM_API_KEY'], baseEnv: ['HOSTED_VLLM_API_BASE'] },
  ollama_chat: { baseUrl: 'http://localhost:11434/v1', keyEnv: ['OLLAMA_API_KEY'], baseEnv: ['OLLAMA_API_BASE'], basePathSuffix: '/v1' },
};
