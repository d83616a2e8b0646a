import { GatewayError, redact, registerSecret, upstreamFailure } from '../../core/index.js';
import { GOOGLE_TOKEN_URI, type VertexCredentials } from './vertex-credentials.js';

/**
 * Access tokens for Vertex AI, from Google's own auth library (google-auth-library): it signs the
 * service account's JWT assertion and exchanges it. Tokens are cached per worker and shared by
 * every call until shortly before they expire (a quarter of their life, at most 5 minutes, ahead);
 * concurrent calls wait for one exchange. The library is loaded on the first token only, so
 * workers of a config without Vertex never pay for it (docs/benchmarks.md).
 *
 * The library sends a service account's token request to Google's fixed endpoint, whatever the
 * key file's `token_uri` says (google-auth-library 10, gtoken/getToken.js). Its transporter is
 * therefore wrapped: the token request goes to `token_uri`, and any other request the library
 * tries is refused, so no call leaves for a host the configuration did not name.
 */

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];
const MAX_MARGIN_MS = 5 * 60_000;

export interface AccessToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export class VertexTokenSource {
  private cached: AccessToken | undefined;
  private fetching: Promise<AccessToken> | undefined;
  private readonly fetchToken: () => Promise<AccessToken>;
  private readonly findProject: () => Promise<string | null | undefined>;

  constructor(credentials: VertexCredentials, private readonly label: string, private readonly now: () => number = Date.now) {
    if (credentials.kind === 'service_account') {
      this.fetchToken = serviceAccountFetcher(credentials.account);
      this.findProject = async () => credentials.account.project_id;
    } else {
      const library = libraryFetcher(credentials);
      this.fetchToken = library.token;
      this.findProject = library.project;
    }
  }

  /**
   * The project Application Default Credentials name (gcloud's config, the metadata server), for
   * a deployment that names none. Asked after a token was had, so that without credentials the
   * call fails at once rather than after the library's search for a project.
   */
  async projectId(): Promise<string> {
    await this.token();
    let project: string | null | undefined;
    try {
      project = await this.findProject();
    } catch {
      project = undefined;
    }
    if (!project) {
      throw upstreamFailure('upstream_client_error', `${this.label} names no Google Cloud project: set vertex_project (or VERTEXAI_PROJECT)`, {
        status: 401, upstreamStatus: 401, upstreamType: 'authentication_error',
      });
    }
    return project;
  }

  /** `authorization: Bearer …` with a token that is good for a while yet. */
  async authorize(): Promise<Record<string, string>> {
    const token = await this.token();
    return { authorization: `Bearer ${token}` };
  }

  async token(): Promise<string> {
    const cached = this.cached;
    if (cached !== undefined && this.now() < cached.expiresAt) return cached.token;
    this.fetching ??= this.refresh().finally(() => (this.fetching = undefined));
    return (await this.fetching).token;
  }

  private async refresh(): Promise<AccessToken> {
    const started = this.now();
    let fresh: AccessToken;
    try {
      fresh = await this.fetchToken();
    } catch (error) {
      throw tokenFailure(error, this.label);
    }
    registerSecret(fresh.token);
    const margin = Math.min(MAX_MARGIN_MS, Math.max(0, fresh.expiresAt - started) / 4);
    this.cached = { token: fresh.token, expiresAt: fresh.expiresAt - margin };
    return fresh;
  }
}

interface Transporter {
  request(options: { url?: string | URL; [key: string]: unknown }): Promise<unknown>;
}

function serviceAccountFetcher(account: { client_email: string; private_key: string; private_key_id?: string; token_uri: string }): () => Promise<AccessToken> {
  let client: { authorize(): Promise<{ access_token?: string | null; expiry_date?: number | null }> } | undefined;
  return async () => {
    if (client === undefined) {
      const { JWT } = await import('google-auth-library');
      const jwt = new JWT({ email: account.client_email, key: account.private_key, keyId: account.private_key_id, scopes: SCOPES });
      jwt.transporter = routedTransporter(jwt.transporter as unknown as Transporter, account.token_uri) as unknown as typeof jwt.transporter;
      client = jwt;
    }
    const credentials = await client.authorize();
    return accessTokenOf(credentials.access_token, credentials.expiry_date);
  };
}

/** The library's transporter, with its one request (the token exchange) sent to `token_uri`. */
function routedTransporter(inner: Transporter, tokenUri: string): Transporter {
  const routed = Object.create(inner) as Transporter;
  routed.request = (options) => {
    const url = String(options.url ?? '');
    if (url !== GOOGLE_TOKEN_URI && url !== tokenUri) return Promise.reject(new Error(`refused a request to ${new URL(url, 'http://invalid').origin}: only the token_uri is called`));
    return inner.request({ ...options, url: tokenUri });
  };
  return routed;
}

interface LibraryClient {
  getAccessToken(): Promise<{ token?: string | null }>;
  credentials: { expiry_date?: number | null };
}

/** Application Default Credentials, or a non-service-account key file, as the library resolves them. */
function libraryFetcher(credentials: Exclude<VertexCredentials, { kind: 'service_account' }>) {
  let auth: { getClient(): Promise<unknown>; getProjectId(): Promise<string | null> } | undefined;
  let client: LibraryClient | undefined;
  const load = async () => {
    if (auth === undefined) {
      const { GoogleAuth } = await import('google-auth-library');
      auth = new GoogleAuth(credentials.kind === 'other' ? { scopes: SCOPES, credentials: credentials.json } : { scopes: SCOPES });
    }
    return auth;
  };
  return {
    token: async (): Promise<AccessToken> => {
      client ??= (await (await load()).getClient()) as LibraryClient;
      const { token } = await client.getAccessToken();
      return accessTokenOf(token, client.credentials.expiry_date);
    },
    project: async () => (credentials.kind === 'other' && credentials.projectId !== undefined ? credentials.projectId : (await load()).getProjectId()),
  };
}

function accessTokenOf(token: string | null | undefined, expiry: number | null | undefined): AccessToken {
  if (typeof token !== 'string' || token === '') throw new Error('the token endpoint answered without an access_token');
  // No expiry given: kept for 5 minutes, well within any access token's life.
  return { token, expiresAt: typeof expiry === 'number' ? expiry : Date.now() + MAX_MARGIN_MS };
}

/**
 * A failed token exchange. Refused (a 4xx: a revoked key, a wrong account) the deployment cannot
 * serve anyone: reported as a 401, which counts against it and is not retried. Unreachable or a
 * 5xx: transient. Only the endpoint's own error fields are quoted, never the request (the signed
 * assertion) nor the library's message, which may carry it.
 */
function tokenFailure(error: unknown, label: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const response = (error as { response?: { status?: number; data?: unknown } } | null)?.response;
  const status = response?.status;
  if (status !== undefined && status < 500) {
    const data = (response?.data ?? {}) as { error?: unknown; error_description?: unknown };
    const detail = [data.error, data.error_description].filter((v) => typeof v === 'string').join(': ') || `HTTP ${status}`;
    return upstreamFailure('upstream_client_error', `${label} could not get a Google access token: the token endpoint refused: ${redact(detail)}`, {
      status: 401, upstreamStatus: 401, upstreamType: 'authentication_error',
    });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (status === undefined && typeof code !== 'string' && error instanceof Error && /default credentials/i.test(error.message)) {
    return upstreamFailure('upstream_client_error', `${label} has no Google credentials: set vertex_credentials or GOOGLE_APPLICATION_CREDENTIALS`, {
      status: 401, upstreamStatus: 401, upstreamType: 'authentication_error',
    });
  }
  const reason = status !== undefined ? `HTTP ${status}` : typeof code === 'string' ? code : error instanceof Error ? redact(error.message.slice(0, 200)) : 'unknown error';
  return upstreamFailure('upstream_unreachable', `${label} could not get a Google access token: the token endpoint failed: ${reason}`);
}
