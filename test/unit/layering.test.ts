import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The dependency table of docs/architecture.md, enforced: imports point one way. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  config: ['core'],
  protocol: ['core'],
  providers: ['core', 'protocol', 'config'],
  metrics: ['core'],
  cost: ['core', 'config'],
  db: ['core'],
  spend: ['core', 'db'],
  limits: ['core', 'redis'],
  keys: ['core', 'config', 'db', 'redis', 'limits'],
  redis: ['core', 'config'],
  'response-store': ['core', 'config', 'protocol', 'redis'],
  cache: ['core', 'config', 'protocol', 'providers', 'redis'],
  health: ['core', 'config', 'providers', 'metrics', 'protocol', 'redis'],
  router: ['core', 'config', 'providers', 'metrics', 'protocol', 'redis'],
  server: ['core', 'config', 'protocol', 'providers', 'metrics', 'health', 'router', 'redis', 'response-store', 'cache', 'cost', 'spend', 'keys', 'limits'],
  supervisor: ['core', 'config', 'metrics', 'health', 'providers', 'protocol', 'cost', 'limits'],
  cli: ['core', 'config', 'protocol', 'providers', 'metrics', 'health', 'router', 'server', 'supervisor', 'redis', 'response-store', 'cache', 'cost', 'db', 'spend', 'keys', 'limits'],
};

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('every import between src folders follows the dependency table', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const folder = relative(SRC, file).split(sep)[0]!;
    if (folder.endsWith('.ts')) continue; // src/cli.ts, the entry point
    const allowed = ALLOWED[folder];
    assert.ok(allowed, `src/${folder} is not in the dependency table`);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
      const target = relative(SRC, join(file, '..', match[1]!)).split(sep)[0]!;
      if (target !== folder && !allowed.includes(target)) violations.push(`${relative(SRC, file)} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the price library is the primary\'s alone: only cost/library-price.ts imports it, only the primary imports cost/primary.ts', () => {
  const library: string[] = [];
  const primaryFace: string[] = [];
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    const name = relative(SRC, file).split(sep).join('/');
    if (/from '@pydantic\/genai-prices'|import\('@pydantic\/genai-prices'\)/.test(text)) library.push(name);
    if (/(from |import\()'[./]*(cost\/)?primary\.js'/.test(text) && !name.startsWith('cost/')) primaryFace.push(name);
  }
  assert.deepEqual(library, ['cost/library-price.ts']);
  assert.deepEqual(primaryFace, ['cli/run-primary.ts']);
});
