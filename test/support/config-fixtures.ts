import { fileURLToPath } from 'node:url';

/** The real-world-style configs under test/fixtures/configs and the environment they expect. */

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/configs/', import.meta.url));

export function fixturePath(name: string): string {
  return `${FIXTURES_DIR}${name}`;
}

export const FIXTURE_MASTER_KEY = 'sk-fixture-master-0123';
export const FIXTURE_OPENAI_KEY = 'sk-fixture-openai-4567';
export const FIXTURE_AZURE_KEY = 'fixture-azure-key-8901';
export const FIXTURE_COHERE_KEY = 'fixture-cohere-key-6543';
export const FIXTURE_AWS_KEY_ID = 'AKIAFIXTURE000000001';
export const FIXTURE_AWS_SECRET = 'fixture-aws-secret-2345';

/** What the fixtures' `os.environ/` references need; `upstreamUrl` is the fake upstream's origin. */
export function fixtureEnv(upstreamUrl = 'http://127.0.0.1:9'): Record<string, string> {
  return {
    FAKE_UPSTREAM_BASE: `${upstreamUrl}/v1`,
    FAKE_UPSTREAM_ORIGIN: upstreamUrl,
    FIXTURE_OPENAI_KEY,
    FIXTURE_AZURE_KEY,
    FIXTURE_COHERE_KEY,
    FIXTURE_MASTER_KEY,
    GPT4O_RPM: '500',
    FIXTURE_REDIS_HOST: '127.0.0.1',
    FIXTURE_REDIS_PORT: '6390',
    FIXTURE_REDIS_PASSWORD: 'fixture-redis-pass-2345',
    AWS_ACCESS_KEY_ID: FIXTURE_AWS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: FIXTURE_AWS_SECRET,
    // bedrock/ deployments that name only a region reach the fake here, never AWS.
    AWS_BEDROCK_RUNTIME_ENDPOINT: upstreamUrl,
  };
}
