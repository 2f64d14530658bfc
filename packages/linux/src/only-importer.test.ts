// This package is the repository's only importer of koffi: no other package
// may bind libc or libuv on its own (a second binding brings its own layouts
// and constants, which is how the 32-bit ARM defects came about).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to packages/linux/dist/: the repository root is three levels up.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const IMPORT = /(?:from\s*|import\s*\(\s*|require\s*\(\s*)['"]koffi['"]/;

function sources(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(name)) out.push(p);
  }
  return out;
}

test('no source outside packages/linux imports koffi', { skip: existsSync(join(ROOT, 'packages', 'linux', 'src')) ? false : 'sources not present' }, () => {
  const files = [...sources(join(ROOT, 'packages')), ...sources(join(ROOT, 'test')), ...sources(join(ROOT, 'scripts'))];
  assert.ok(files.length > 100, `found the sources (${files.length})`);
  const offenders = files
    .filter((f) => !relative(ROOT, f).startsWith(join('packages', 'linux') + '/'))
    .filter((f) => IMPORT.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  assert.deepEqual(offenders, []);
  assert.ok(IMPORT.test(readFileSync(join(ROOT, 'packages', 'linux', 'src', 'libc.ts'), 'utf8')) || /createRequire\(import\.meta\.url\)\('koffi'\)/.test(readFileSync(join(ROOT, 'packages', 'linux', 'src', 'libc.ts'), 'utf8')));
});

test('no package other than @geoedge/linux depends on koffi', () => {
  for (const pkg of readdirSync(join(ROOT, 'packages'))) {
    const file = join(ROOT, 'packages', pkg, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const has = Boolean(json.dependencies?.koffi ?? json.devDependencies?.koffi);
    assert.equal(has, json.name === '@geoedge/linux', json.name);
  }
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  assert.equal(root.dependencies?.koffi, undefined);
});
