import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveStartOptions, StartOptionError } from '../../src/config/index.js';
import { parseFlags } from '../../src/cli/args.js';

describe('start options', () => {
  test('defaults', () => {
    const options = resolveStartOptions({}, {});
    assert.equal(options.host, '0.0.0.0');
    assert.equal(options.port, 4000);
    assert.equal(options.numWorkers, 1);
    assert.equal(options.maxRequestsBeforeRestart, undefined);
    assert.equal(options.keepAliveTimeoutMs, 5000);
    assert.equal(options.gracefulTimeoutMs, 30_000);
    assert.equal(options.maxBodyBytesInFlight, 256 * 1024 * 1024);
    assert.equal(options.clientHeaderTimeoutMs, 10_000);
    assert.equal(options.clientRequestTimeoutMs, 300_000);
    assert.equal(options.maxConnectionsPerWorker, 4096);
  });

  test('client timeouts and the connection limit from flags or env; headers may not outlast the request', () => {
    const options = resolveStartOptions(parseFlags(['--client_header_timeout', '2.5', '--max_connections_per_worker', '100']), { SWITCHYARD_CLIENT_REQUEST_TIMEOUT: '60' });
    assert.equal(options.clientHeaderTimeoutMs, 2_500);
    assert.equal(options.clientRequestTimeoutMs, 60_000);
    assert.equal(options.maxConnectionsPerWorker, 100);
    assert.throws(() => resolveStartOptions({ client_header_timeout: '30', client_request_timeout: '20' }, {}), /--client_header_timeout must not be longer than --client_request_timeout/);
    assert.throws(() => resolveStartOptions({ max_connections_per_worker: '0' }, {}), /--max_connections_per_worker/);
  });

  test('the body budget comes from --max_body_mb_in_flight or SWITCHYARD_MAX_BODY_MB_IN_FLIGHT', () => {
    assert.equal(resolveStartOptions(parseFlags(['--max_body_mb_in_flight', '64']), {}).maxBodyBytesInFlight, 64 * 1024 * 1024);
    assert.equal(resolveStartOptions({}, { SWITCHYARD_MAX_BODY_MB_IN_FLIGHT: '512' }).maxBodyBytesInFlight, 512 * 1024 * 1024);
    assert.throws(() => resolveStartOptions({ max_body_mb_in_flight: '0' }, {}), /--max_body_mb_in_flight/);
  });

  test('flags beat env; kebab-case and snake_case are the same flag', () => {
    assert.equal(resolveStartOptions(parseFlags(['--num-workers', '3']), { NUM_WORKERS: '5' }).numWorkers, 3);
    assert.equal(resolveStartOptions(parseFlags(['--num_workers=4']), {}).numWorkers, 4);
    assert.equal(resolveStartOptions({}, { NUM_WORKERS: '5' }).numWorkers, 5);
    assert.equal(resolveStartOptions(parseFlags(['-c', 'x.yaml']), {}).configPath, 'x.yaml');
  });

  test('negative, fractional and non-numeric values are errors naming the flag or variable', () => {
    const cases: Array<[Record<string, string>, NodeJS.ProcessEnv, RegExp]> = [
      [{ max_requests_before_restart: '-1' }, {}, /--max_requests_before_restart: expected a whole number/],
      [{ max_requests_before_restart: '2.5' }, {}, /--max_requests_before_restart/],
      [{}, { MAX_REQUESTS_BEFORE_RESTART: 'many' }, /^MAX_REQUESTS_BEFORE_RESTART: /],
      [{ max_requests_before_restart: '10' }, { MAX_REQUESTS_BEFORE_RESTART_JITTER: '-3' }, /^MAX_REQUESTS_BEFORE_RESTART_JITTER: /],
      [{ port: '70000' }, {}, /--port/],
    ];
    for (const [flags, env, pattern] of cases) {
      assert.throws(() => resolveStartOptions(flags, env), (error: unknown) => error instanceof StartOptionError && pattern.test(error.message));
    }
  });

  test('jitter without a base: one warning, nothing applied', () => {
    const options = resolveStartOptions({ max_requests_before_restart_jitter: '40' }, {});
    assert.equal(options.maxRequestsBeforeRestart, undefined);
    assert.equal(options.maxRequestsBeforeRestartJitter, 0);
    assert.equal(options.warnings.length, 1);
    assert.match(options.warnings[0]!, /no effect without max_requests_before_restart/);
  });

  test('log level from flags and LITELLM_LOG', () => {
    assert.equal(resolveStartOptions({ debug: true }, {}).logLevel, 'debug');
    assert.equal(resolveStartOptions({ detailed_debug: true }, {}).logLevel, 'trace');
    assert.equal(resolveStartOptions({}, { LITELLM_LOG: 'DEBUG' }).logLevel, 'trace');
  });
});
