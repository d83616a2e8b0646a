import { readFileSync } from 'node:fs';
import { GatewayError, registerSecret } from '../../core/index.js';

/**
 * `vertex_credentials` as LiteLLM takes it: a service account's JSON key file path, the JSON text
 * itself (often from `os.environ/`), or, here, the JSON written as a YAML mapping. Without it,
 * `GOOGLE_APPLICATION_CREDENTIALS` is read the same way; without that too, Application Default
 * Credentials are left to Google's auth library (gcloud's user login, or the metadata server on
 * Google Cloud). Read once when the deployment's client is built, so a broken file is a config
 * problem (`--validate_config` names it), never a request's. Messages never quote the file: a
 * JSON parse error would show a slice of the private key.
 */

export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

export interface ServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
  /** Where access tokens are asked for: Google's endpoint unless the key file names another. */
  token_uri: string;
}

export type VertexCredentials =
  | { kind: 'service_account'; account: ServiceAccount }
  /** authorized_user, external_account, impersonated_service_account…: handed to the library as they are. */
  | { kind: 'other'; json: Record<string, unknown>; projectId?: string }
  | { kind: 'default' };

export function readVertexCredentials(value: string | Readonly<Record<string, unknown>> | undefined, env: Readonly<Record<string, string | undefined>>): VertexCredentials {
  if (value !== undefined) return parseCredentials(value, 'vertex_credentials');
  const file = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (file !== undefined && file !== '') return parseCredentials(file, 'GOOGLE_APPLICATION_CREDENTIALS');
  return { kind: 'default' };
}

function parseCredentials(value: string | Readonly<Record<string, unknown>>, where: string): VertexCredentials {
  let json: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    let source = text;
    if (!text.startsWith('{')) {
      try {
        source = readFileSync(text, 'utf8');
      } catch (error) {
        throw problem(`${where}: cannot read the service account file ${text}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    try {
      json = JSON.parse(source);
    } catch {
      throw problem(`${where}: ${text.startsWith('{') ? 'the text' : `the file ${text}`} is not valid JSON`);
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw problem(`${where}: expected a JSON object`);
  const record = json as Record<string, unknown>;
  const projectId = typeof record.project_id === 'string' ? record.project_id : undefined;
  if (record.type !== 'service_account') return { kind: 'other', json: { ...record }, projectId };
  const { client_email: email, private_key: key, token_uri: tokenUri } = record;
  if (typeof email !== 'string' || typeof key !== 'string') throw problem(`${where}: a service account needs client_email and private_key`);
  if (tokenUri !== undefined && (typeof tokenUri !== 'string' || !/^https?:\/\//.test(tokenUri))) throw problem(`${where}: token_uri must be an http(s) URL`);
  registerSecret(key);
  return {
    kind: 'service_account',
    account: {
      client_email: email,
      private_key: key,
      private_key_id: typeof record.private_key_id === 'string' ? record.private_key_id : undefined,
      project_id: projectId,
      token_uri: typeof tokenUri === 'string' ? tokenUri : GOOGLE_TOKEN_URI,
    },
  };
}

function problem(message: string): GatewayError {
  return new GatewayError('invalid_request', message);
}
