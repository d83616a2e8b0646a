import type { Config, Deployment } from '../../config/index.js';
import { GatewayError, registerSecret } from '../../core/index.js';
import { firstSet } from '../openai-compatible/openai-compatible-client.js';

/** What signs a Bedrock call: the deployment's keys, else the standard AWS environment variables. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface BedrockTarget {
  /** The runtime endpoint's origin and any path prefix, without a trailing slash. */
  base: string;
  region: string;
  credentials: AwsCredentials;
  /** `extra_headers`, sent (and signed) with every call. */
  headers: Record<string, string>;
}

/**
 * Where a `bedrock/` deployment is reached and how it signs. The endpoint is the one the config
 * names (`aws_bedrock_runtime_endpoint`, `api_base`, `AWS_BEDROCK_RUNTIME_ENDPOINT`,
 * `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`), else AWS's regional one for the region it names; no
 * credential chain that calls other hosts (instance metadata, STS) is consulted, so a deployment
 * without keys or without a region is a config problem, said at start.
 */
export function bedrockTarget(deployment: Deployment, config: Config): BedrockTarget {
  const env = config.environment;
  const aws = deployment.params.aws ?? {};
  const where = `bedrock/ deployment "${deployment.modelName}"`;
  const region = aws.regionName ?? firstSet(env, ['AWS_REGION_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION']);
  if (region === undefined) {
    throw new GatewayError('invalid_request', `${where} needs litellm_params.aws_region_name (or AWS_REGION / AWS_DEFAULT_REGION)`);
  }
  if (!/^[a-z0-9-]+$/.test(region)) throw new GatewayError('invalid_request', `${where}: aws_region_name "${region}" is not an AWS region name`);
  const endpoint = aws.runtimeEndpoint ?? deployment.params.apiBase ?? firstSet(env, ['AWS_BEDROCK_RUNTIME_ENDPOINT', 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME']);
  const base = (endpoint ?? `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/+$/, '');
  try {
    new URL(base);
  } catch {
    throw new GatewayError('invalid_request', `${where}: the runtime endpoint "${base}" is not a URL`);
  }
  // Keys come as a pair from one place: the deployment's, else the environment's.
  const own = aws.accessKeyId !== undefined || aws.secretAccessKey !== undefined;
  const accessKeyId = own ? aws.accessKeyId : firstSet(env, ['AWS_ACCESS_KEY_ID']);
  const secretAccessKey = own ? aws.secretAccessKey : firstSet(env, ['AWS_SECRET_ACCESS_KEY']);
  const sessionToken = own ? aws.sessionToken : (aws.sessionToken ?? firstSet(env, ['AWS_SESSION_TOKEN']));
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new GatewayError('invalid_request', `${where} needs both litellm_params.aws_access_key_id and aws_secret_access_key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); profiles, aws_role_name, web identity and instance credentials are not supported`);
  }
  registerSecret(secretAccessKey);
  registerSecret(sessionToken);
  const credentials: AwsCredentials = { accessKeyId, secretAccessKey };
  if (sessionToken !== undefined) credentials.sessionToken = sessionToken;
  return { base, region, credentials, headers: { ...deployment.params.extraHeaders } };
}
