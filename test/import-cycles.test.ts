// No package's compiled modules import each other in a cycle (geodns's
// lua/host-functions ↔ lua/health-functions and the relay's connection ↔
// handlers/proxy once did). The checker itself is shown to find cycles in the
// relay's own import-graph test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './helpers/paths.js';

type Graph = Map<string, string[]>;
const checker = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'check-import-cycles.mjs')).href)) as {
  importGraph(dir: string): Graph;
  cycles(g: Graph): string[][];
};

const packages = readdirSync(join(REPO_ROOT, 'packages')).filter((p) => existsSync(join(REPO_ROOT, 'packages', p, 'dist')));

test('every package is checked', () => {
  for (const p of ['geodns', 'relay', 'control', 'linux', 'shared', 'dnsdata', 'zonedb']) assert.ok(packages.includes(p), p);
});

for (const p of packages) {
  test(`packages/${p}: no import cycle`, () => {
    const dist = join(REPO_ROOT, 'packages', p, 'dist');
    const g = checker.importGraph(dist);
    assert.ok(g.size > 3, `read ${g.size} modules`);
    assert.deepEqual(checker.cycles(g).map((c) => c.map((f) => relative(dist, f)).join(' → ')), []);
  });
}
