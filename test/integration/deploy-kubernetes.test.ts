import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_START_OPTIONS, START_OPTION_SPECS } from '../../src/config/start-options.js';
import { DEPLOY, REPO_ROOT } from '../support/deploy-files.js';
import { runCli, startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { freePort } from '../support/ports.js';

/**
 * deploy/kubernetes rendered by the real `kubectl kustomize` and checked against the code: the
 * gateway started as the rendered Deployment starts it (its args, its env, its ConfigMap) answers
 * 200 on every probe path and on the ServiceMonitor's endpoint, through the ports the manifests
 * name; flags and env names exist in the start-options table; the grace period covers the preStop
 * sleep, the shutdown delay and the graceful timeout; memory requests cover the measured workers.
 * Without kubectl the tests skip, saying so (.ci/run installs it).
 */

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface Probe { httpGet: { path: string; port: string | number } }
interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports: Array<{ name: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ secretRef?: { name: string; optional?: boolean } }>;
  livenessProbe: Probe;
  readinessProbe: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources: { requests: { memory: string; cpu?: string }; limits: { memory: string } };
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  containers: Container[];
  volumes: Array<{ name: string; configMap?: { name: string } }>;
}

function findKubectl(): string | undefined {
  for (const candidate of ['kubectl', '/usr/local/bin/kubectl', '/usr/bin/kubectl']) {
    if (spawnSync(candidate, ['version', '--client']).status === 0) return candidate;
  }
  return undefined;
}

const KUBECTL = findKubectl();
const SKIP = KUBECTL === undefined ? 'kubectl not found: install it (.ci/run does) to render deploy/kubernetes' : false;

function render(folder: string): K8sObject[] {
  const result = spawnSync(KUBECTL as string, ['kustomize', DEPLOY(`kubernetes/${folder}`)], { encoding: 'utf8' });
  assert.equal(result.status, 0, `kubectl kustomize ${folder}:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as K8sObject);
}

function one(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((object) => object.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

const podSpec = (objects: K8sObject[]) => (one(objects, 'Deployment').spec as { template: { spec: PodSpec } }).template.spec;
const container = (objects: K8sObject[]) => {
  const containers = podSpec(objects).containers;
  assert.equal(containers.length, 1);
  return containers[0]!;
};

/** The env value a start option gets from the container (undefined when unset). */
const envValue = (c: Container, name: string) => c.env?.find((variable) => variable.name === name)?.value;

function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)$/.exec(quantity);
  assert.ok(match, `unexpected quantity ${quantity}`);
  const value = Number(match[1]);
  return { Mi: value, Gi: value * 1024, M: (value * 1e6) / 2 ** 20, G: (value * 1e9) / 2 ** 20 }[match[2] as 'Mi'];
}

/** A busy worker's resident memory, measured (docs/benchmarks.md#worker-memory: 116-121 MB). */
const MEASURED_WORKER_MIB = 121;

/** Environment variables the config module reads besides the start options (src/config/normalize.ts). */
const CONFIG_ENV = ['LITELLM_MASTER_KEY', 'REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_USERNAME', 'REDIS_SSL'];

/** The config the Deployment mounts: the ConfigMap named by the volume at the mount path, written out. */
function mountedConfig(objects: K8sObject[]): { containerPath: string; text: string } {
  const c = container(objects);
  const configIndex = (c.args ?? []).indexOf('--config');
  assert.ok(configIndex >= 0, 'the container names its config with --config');
  const containerPath = c.args![configIndex + 1]!;
  const mount = c.volumeMounts.find((m) => containerPath.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `no volume is mounted at ${containerPath}`);
  const volume = podSpec(objects).volumes.find((v) => v.name === mount.name);
  const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === volume?.configMap?.name);
  assert.ok(configMap, `volume ${mount.name} names ConfigMap ${volume?.configMap?.name}, which the render does not have`);
  const key = containerPath.slice(mount.mountPath.length + 1);
  const text = configMap.data?.[key];
  assert.ok(text !== undefined, `ConfigMap ${configMap.metadata.name} has no key ${key}`);
  return { containerPath, text };
}

/** The static checks both the base and the overlay must pass. */
function checkAgainstCode(objects: K8sObject[]): void {
  for (const kind of ['Deployment', 'Service', 'ConfigMap', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ServiceMonitor']) one(objects, kind);
  const deployment = one(objects, 'Deployment');
  const spec = podSpec(objects);
  const c = container(objects);
  const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
  const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined, what: string) => {
    assert.ok(selector && Object.keys(selector).length > 0, `${what}: no selector`);
    for (const [key, value] of Object.entries(selector)) assert.equal(labels?.[key], value, `${what}: selector ${key}=${value} does not match`);
  };
  matches((deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, podLabels, 'Deployment');
  const service = one(objects, 'Service');
  matches((service.spec as { selector: Record<string, string> }).selector, podLabels, 'Service');
  matches((one(objects, 'PodDisruptionBudget').spec as { selector?: { matchLabels: Record<string, string> } }).selector?.matchLabels, podLabels, 'PodDisruptionBudget');
  matches((one(objects, 'ServiceMonitor').spec as { selector?: { matchLabels: Record<string, string> } }).selector?.matchLabels, service.metadata.labels, 'ServiceMonitor');
  const target = (one(objects, 'HorizontalPodAutoscaler').spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
  assert.deepEqual([target.kind, target.name], ['Deployment', deployment.metadata.name]);

  // Flags and env names are the gateway's.
  const flags = new Set<string>(START_OPTION_SPECS.map((spec) => spec.name));
  for (const arg of c.args ?? []) if (arg.startsWith('--')) assert.ok(flags.has(arg.slice(2)), `${arg} is not a start flag`);
  const optionEnv = new Set<string>(START_OPTION_SPECS.flatMap((spec) => ('env' in spec ? [spec.env] : [])));
  const configText = mountedConfig(objects).text;
  const referenced = new Set([...configText.matchAll(/os\.environ\/([A-Z0-9_]+)/g)].map((m) => m[1]!));
  for (const variable of c.env ?? []) {
    assert.ok(optionEnv.has(variable.name) || CONFIG_ENV.includes(variable.name) || referenced.has(variable.name),
      `env ${variable.name} is neither a start option, nor read by the config module, nor referenced by the config`);
  }
  // The ports the manifests name are the ones the gateway listens on.
  const port = (name: string) => c.ports.find((p) => p.name === name)?.containerPort;
  assert.equal(port('http'), Number(envValue(c, 'PORT') ?? DEFAULT_START_OPTIONS.port));
  assert.equal(port('metrics'), Number(envValue(c, 'PROMETHEUS_METRICS_PORT')));
  for (const servicePort of (service.spec as { ports: Array<{ targetPort: string | number }> }).ports) {
    assert.ok(c.ports.some((p) => p.name === servicePort.targetPort || p.containerPort === servicePort.targetPort), `Service targetPort ${servicePort.targetPort} is no container port`);
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (probe) assert.ok(port(String(probe.httpGet.port)) !== undefined || c.ports.some((p) => p.containerPort === probe.httpGet.port), `probe port ${probe.httpGet.port}`);
  }
  assert.equal(c.livenessProbe.httpGet.path, '/health/liveliness');
  assert.equal(c.readinessProbe.httpGet.path, '/health/readiness');

  // Shutdown: preStop, then SIGTERM, then --shutdown_delay, then the drain for --graceful_timeout.
  const preStop = c.lifecycle?.preStop;
  const sleepArg = preStop?.exec?.command;
  const preStopSeconds = preStop?.sleep?.seconds ?? (sleepArg?.[0] === 'sleep' ? Number(sleepArg[1]) : 0);
  assert.ok(preStopSeconds > 0, 'a preStop pause lets the endpoints drop the pod before it drains');
  const seconds = (name: string, fallbackMs: number) => (envValue(c, name) === undefined ? fallbackMs / 1000 : Number(envValue(c, name)));
  const shutdownSeconds = preStopSeconds + seconds('SHUTDOWN_DELAY', 0) + seconds('GRACEFUL_TIMEOUT', DEFAULT_START_OPTIONS.gracefulTimeoutMs);
  assert.ok(spec.terminationGracePeriodSeconds > shutdownSeconds,
    `terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds} must exceed preStop + shutdown_delay + graceful_timeout = ${shutdownSeconds}`);

  // Memory: the measured busy worker times the workers, plus the primary; the limit holds every
  // worker at its recycle threshold.
  const workers = Number(envValue(c, 'NUM_WORKERS') ?? DEFAULT_START_OPTIONS.numWorkers);
  const requested = mebibytes(c.resources.requests.memory);
  assert.ok(requested >= workers * MEASURED_WORKER_MIB + 60, `memory request ${c.resources.requests.memory} is below ${workers} workers x ${MEASURED_WORKER_MIB} MiB + the primary`);
  assert.ok(requested <= workers * MEASURED_WORKER_MIB * 2, `memory request ${c.resources.requests.memory} is far above what ${workers} workers use`);
  const recycleAt = Number(envValue(c, 'MAX_WORKER_MEMORY_MB'));
  assert.ok(recycleAt > MEASURED_WORKER_MIB * 2, 'MAX_WORKER_MEMORY_MB would recycle busy workers all the time');
  assert.ok(mebibytes(c.resources.limits.memory) >= workers * recycleAt + 60, `memory limit ${c.resources.limits.memory} is below ${workers} workers at MAX_WORKER_MEMORY_MB`);
}

let base: K8sObject[];
let gateway: GatewayProcess | undefined;
let ports: Map<string, number>;

before(async () => {
  if (SKIP) return;
  base = render('base');
  // Start the gateway as the Deployment does: its args and env, the ConfigMap as the config file,
  // a master key for the Secret, and free ports on 127.0.0.1 for the container ports.
  const c = container(base);
  const { text } = mountedConfig(base);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-k8s-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, text);
  ports = new Map();
  for (const p of c.ports) ports.set(p.name, await freePort());
  const env: Record<string, string> = {};
  for (const variable of c.env ?? []) env[variable.name] = variable.value ?? (variable.valueFrom?.secretKeyRef ? 'sk-test-master-key' : '');
  env.PORT = String(ports.get('http'));
  env.PROMETHEUS_METRICS_PORT = String(ports.get('metrics'));
  const args = (c.args ?? []).filter((arg, i, all) => arg !== '--config' && all[i - 1] !== '--config');
  gateway = await startGateway({ configFile, args, env, port: ports.get('http')! });
});

after(async () => {
  await stopAllGateways();
});

test('the base renders and its objects agree with the code', { skip: SKIP }, () => {
  checkAgainstCode(base);
  assert.match(container(base).image, /^[\w.-]+(\/[\w.-]+)+:[\w.-]+$/, 'the image has a registry path and a tag');
});

test('a gateway started as the Deployment starts it answers every probe and the ServiceMonitor', { skip: SKIP }, async () => {
  const c = container(base);
  const portOf = (name: string | number) => (typeof name === 'number' ? ports.get(c.ports.find((p) => p.containerPort === name)!.name)! : ports.get(name)!);
  for (const [kind, probe] of [['liveness', c.livenessProbe], ['readiness', c.readinessProbe], ['startup', c.startupProbe]] as const) {
    assert.ok(probe, `${kind} probe`);
    const response = await fetch(`http://127.0.0.1:${portOf(probe.httpGet.port)}${probe.httpGet.path}`);
    await response.arrayBuffer();
    assert.equal(response.status, 200, `${kind} probe ${probe.httpGet.path}`);
  }
  const monitor = one(base, 'ServiceMonitor').spec as { endpoints: Array<{ port: string; path: string }> };
  const servicePorts = (one(base, 'Service').spec as { ports: Array<{ name: string; targetPort: string | number }> }).ports;
  for (const endpoint of monitor.endpoints) {
    const servicePort = servicePorts.find((p) => p.name === endpoint.port);
    assert.ok(servicePort, `the ServiceMonitor scrapes port ${endpoint.port}, which the Service does not name`);
    const response = await fetch(`http://127.0.0.1:${portOf(servicePort.targetPort)}${endpoint.path}`);
    const text = await response.text();
    assert.equal(response.status, 200);
    assert.match(text, /^switchyard_build_info\{/m);
    // The memory request covers what this gateway's processes hold now (idle: below the busy figure used to size it).
    const resident = [...text.matchAll(/^(?:switchyard_worker_resident_memory_bytes\{[^}]*\}|process_resident_memory_bytes) (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    assert.ok(resident > 0 && resident / 2 ** 20 < mebibytes(c.resources.requests.memory), `${Math.round(resident / 2 ** 20)} MiB resident now`);
  }
  // The master key from the Secret guards the API.
  const refused = await fetch(`${gateway!.url}/v1/models`);
  await refused.arrayBuffer();
  assert.equal(refused.status, 401);
  const allowed = await fetch(`${gateway!.url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: 'Bearer sk-test-master-key', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(allowed.status, 200, await allowed.text());
});

test('the example overlay renders, agrees with the code, and its config is valid', { skip: SKIP }, async () => {
  const overlay = render('overlays/example');
  checkAgainstCode(overlay);
  const c = container(overlay);
  assert.notEqual(c.image, container(base).image);
  const { text } = mountedConfig(overlay);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-k8s-overlay-'));
  writeFileSync(join(dir, 'config.yaml'), text);
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/os\.environ\/([A-Z0-9_]+)/g)) env[m[1]!] = `test-${m[1]!.toLowerCase()}`;
  const result = await runCli(['--config', join(dir, 'config.yaml'), '--validate_config'], env);
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
});

test('the config module reads the env names the manifests may use besides the start options', () => {
  const source = readdirSync(`${REPO_ROOT}src/config`).map((file) => readFileSync(`${REPO_ROOT}src/config/${file}`, 'utf8')).join('\n');
  for (const name of CONFIG_ENV) assert.match(source, new RegExp(`env\\.${name}\\b`), `src/config does not read ${name}`);
});
