import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_START_OPTIONS } from '../../src/config/start-options.js';
import { DEPLOY, REPO_ROOT } from '../support/deploy-files.js';
import { childEnv } from '../support/gateway.js';
import { freePort } from '../support/ports.js';

/**
 * deploy/Dockerfile against the tree (no Docker engine needed): what it copies exists and is not
 * excluded by .dockerignore, its stages are what the image promises (slim Node matching
 * `engines`, production dependencies only, non-root, EXPOSE and HEALTHCHECK), and its ENTRYPOINT
 * + CMD start the gateway from a production-only install in a clean directory, answer the
 * HEALTHCHECK and exit 0 on SIGTERM.
 */

interface Instruction { keyword: string; args: string; stage: number }

function parseDockerfile(text: string): { instructions: Instruction[]; args: Map<string, string>; stages: Array<{ from: string; name?: string }> } {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const instructions: Instruction[] = [];
  const args = new Map<string, string>();
  const stages: Array<{ from: string; name?: string }> = [];
  for (const line of lines) {
    const [keyword, ...rest] = line.split(/\s+/);
    const upper = keyword!.toUpperCase();
    const argText = rest.join(' ');
    if (upper === 'ARG' && stages.length === 0) {
      const [name, value] = argText.split('=');
      args.set(name!, value ?? '');
    }
    if (upper === 'FROM') {
      const [image, as, name] = argText.split(/\s+/);
      stages.push({ from: image!.replace(/^\$\{(\w+)\}$/, (_, arg: string) => args.get(arg) ?? ''), ...(as?.toUpperCase() === 'AS' ? { name } : {}) });
    }
    instructions.push({ keyword: upper, args: argText, stage: stages.length - 1 });
  }
  return { instructions, args, stages };
}

const DOCKERFILE = parseDockerfile(readFileSync(DEPLOY('Dockerfile'), 'utf8'));
const finalStage = DOCKERFILE.stages.length - 1;
const inFinal = (keyword: string) => DOCKERFILE.instructions.filter((i) => i.stage === finalStage && i.keyword === keyword);
const execForm = (args: string): string[] => JSON.parse(args) as string[];

/** COPY sources from the build context (not --from another stage), with their destination. */
function contextCopies(): Array<{ sources: string[]; stage: number }> {
  return DOCKERFILE.instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from=')).map((i) => {
    const parts = i.args.split(/\s+/).filter((part) => !part.startsWith('--'));
    return { sources: parts.slice(0, -1), stage: i.stage };
  });
}

/** .dockerignore as Docker reads it (Go filepath.Match patterns from the context root; `!` re-includes). */
function ignoredByDockerignore(path: string): boolean {
  const patterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const body = pattern.split('**').map((part) => part.replace(/[.+^$()|[\]{}]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')).join('.*');
    const regex = new RegExp(`^${body}(/.*)?$`);
    if (regex.test(path)) ignored = !negate;
  }
  return ignored;
}

const cleanups: Array<() => void> = [];
after(() => {
  for (const cleanup of cleanups) cleanup();
});

test('the Dockerfile copies only files that exist and that .dockerignore lets through', () => {
  const copies = contextCopies();
  assert.ok(copies.length >= 4);
  for (const { sources } of copies) {
    for (const source of sources) {
      assert.ok(existsSync(join(REPO_ROOT, source)), `COPY ${source}: not in the tree`);
      assert.ok(!ignoredByDockerignore(source.replace(/^\.\//, '')), `COPY ${source}: excluded by .dockerignore`);
    }
  }
  // The build stage has everything `npm run build` reads.
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };
  const buildSources = new Set(copies.filter((c) => DOCKERFILE.stages[c.stage]?.name === 'build').flatMap((c) => c.sources));
  for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'scripts']) assert.ok(buildSources.has(needed), `the build stage does not copy ${needed}`);
  for (const file of pkg.scripts.build!.match(/[\w./-]+\.(?:json|mjs)/g) ?? []) assert.ok([...buildSources].some((s) => file === s || file.startsWith(`${s}/`)), `npm run build reads ${file}, which the build stage lacks`);
  // What the runtime stage needs from the context is not ignored either (.dockerignore leaves out the rest).
  for (const ignored of ['node_modules', 'dist', '.git', 'test']) assert.ok(ignoredByDockerignore(ignored), `.dockerignore should leave out ${ignored}`);
});

test('the image: slim Node matching engines, production dependencies, non-root, EXPOSE, HEALTHCHECK, node as PID 1', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const minMajor = Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
  for (const stage of DOCKERFILE.stages) {
    const match = /^node:(\d+)(?:\.\d+)*-[\w-]*slim$/.exec(stage.from);
    assert.ok(match, `FROM ${stage.from}: not a slim Node image`);
    assert.ok(Number(match[1]) >= minMajor, `FROM ${stage.from}: older than engines ${pkg.engines.node}`);
  }
  assert.ok(DOCKERFILE.stages.length >= 2, 'multi-stage');
  const runs = DOCKERFILE.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  assert.ok(runs.some((run) => /npm ci\b.*--omit=dev/.test(run)), 'production dependencies are installed with --omit=dev');
  // The final stage copies node_modules from the production install, never from the build stage.
  for (const copy of inFinal('COPY')) if (copy.args.includes('node_modules')) assert.match(copy.args, /--from=production-dependencies/);
  const copiedFromContext = contextCopies().filter((c) => c.stage === finalStage).flatMap((c) => c.sources);
  assert.deepEqual(copiedFromContext.sort(), ['config', 'package.json'], 'the runtime stage takes config/ (and package.json for the version) from the context, dist/ from the build');
  const user = inFinal('USER').at(-1)?.args;
  assert.ok(user !== undefined && user !== 'root' && user !== '0', `USER ${user}`);
  assert.deepEqual(inFinal('EXPOSE').map((i) => i.args), [String(DEFAULT_START_OPTIONS.port)]);
  assert.match(inFinal('HEALTHCHECK').at(-1)?.args ?? '', /\/health\/liveliness/);
  const entrypoint = execForm(inFinal('ENTRYPOINT').at(-1)!.args);
  assert.equal(entrypoint[0], 'node', 'node itself is PID 1 (exec form, no shell or npm in between), so it gets SIGTERM');
});

test('ENTRYPOINT + CMD start the gateway from a production-only install in a clean directory; HEALTHCHECK passes; SIGTERM exits 0', async () => {
  const app = mkdtempSync(join(tmpdir(), 'switchyard-image-'));
  cleanups.push(() => rmSync(app, { recursive: true, force: true }));
  // The production-dependencies stage: package files, then its npm ci (the cache clean left out).
  cpSync(join(REPO_ROOT, 'package.json'), join(app, 'package.json'));
  cpSync(join(REPO_ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  const install = DOCKERFILE.instructions.find((i) => i.keyword === 'RUN' && DOCKERFILE.stages[i.stage]?.name === 'production-dependencies')!.args.split('&&')[0]!.trim();
  assert.match(install, /^npm ci /);
  const npm = spawnSync(`${install} --prefer-offline --loglevel=error`, { cwd: app, shell: true, encoding: 'utf8', env: childEnv() });
  assert.equal(npm.status, 0, `${install}:\n${npm.stdout}${npm.stderr}`);
  assert.ok(existsSync(join(app, 'node_modules/undici')), 'production dependencies installed');
  assert.ok(!existsSync(join(app, 'node_modules/typescript')) && !existsSync(join(app, 'node_modules/esbuild')), 'dev dependencies left out');
  // The runtime stage: dist/ from the build (this tree's, built by npm run build) and config/.
  cpSync(join(REPO_ROOT, 'dist'), join(app, 'dist'), { recursive: true, filter: (source) => !source.endsWith('.cache') });
  cpSync(join(REPO_ROOT, 'config'), join(app, 'config'), { recursive: true });

  const port = await freePort();
  // As `docker run -e HOST=127.0.0.1 -e PORT=<free>` would: the image's defaults otherwise.
  const env = childEnv({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port) });
  const command = [...execForm(inFinal('ENTRYPOINT').at(-1)!.args), ...execForm(inFinal('CMD').at(-1)!.args)];
  const proc = spawn(command[0] === 'node' ? process.execPath : command[0]!, command.slice(1), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  proc.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  cleanups.unshift(() => proc.kill('SIGKILL'));

  const deadline = Date.now() + 20_000;
  let status = 0;
  while (status !== 200) {
    assert.ok(Date.now() < deadline && proc.exitCode === null, `no 200 from /health/liveliness:\n${output}`);
    status = await fetch(`http://127.0.0.1:${port}/health/liveliness`).then(async (r) => (await r.arrayBuffer(), r.status), () => 0);
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(chat.status, 200, await chat.text());

  const healthcheck = execForm(inFinal('HEALTHCHECK').at(-1)!.args.replace(/^(--\S+\s+)*CMD\s+/, ''));
  const check = spawnSync(healthcheck[0] === 'node' ? process.execPath : healthcheck[0]!, healthcheck.slice(1), { cwd: app, env, encoding: 'utf8', timeout: 10_000 });
  assert.equal(check.status, 0, `HEALTHCHECK failed: ${check.stderr}`);

  proc.kill('SIGTERM');
  assert.equal(await exited, 0, output);
});
