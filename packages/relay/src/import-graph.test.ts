// The relay's modules form no import cycle (connection.ts ↔ handlers/proxy.ts
// once did): checked over the compiled files this test sits among, with the
// repository's checker (scripts/check-import-cycles.mjs), which is first shown
// to find a cycle where there is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = dirname(fileURLToPath(import.meta.url));
const root = join(dist, '..', '..', '..');
type Graph = Map<string, string[]>;
const checker = (await import(pathToFileURL(join(root, 'scripts', 'check-import-cycles.mjs')).href)) as {
  importGraph(dir: string): Graph;
  cycles(g: Graph): string[][];
};

test('the checker finds a cycle through an import and a re-export, and none in a tree', () => {
  const d = mkdtempSync(join(tmpdir(), 'cycles-'));
  try {
    writeFileSync(join(d, 'a.js'), "import { b } from './b.js';\nexport const a = () => b;\n");
    writeFileSync(join(d, 'b.js'), "export { c as b } from './c.js';\n");
    writeFileSync(join(d, 'c.js'), "import './a.js';\nexport const c = 1;\n");
    writeFileSync(join(d, 'd.js'), "import { a } from './a.js';\n");
    const found = checker.cycles(checker.importGraph(d)).map((c) => c.map((f) => relative(d, f)).sort());
    assert.deepEqual(found, [['a.js', 'b.js', 'c.js']]);
    writeFileSync(join(d, 'c.js'), 'export const c = 1;\n');
    assert.deepEqual(checker.cycles(checker.importGraph(d)), []);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test("the relay's import graph has no cycle", () => {
  const g = checker.importGraph(dist);
  assert.ok(g.size > 30, `read ${g.size} modules`);
  assert.ok(g.get(join(dist, 'connection.js'))?.includes(join(dist, 'handlers', 'proxy.js')), 'the graph follows relative imports');
  const found = checker.cycles(g).map((c) => c.map((f) => relative(dist, f)).join(' → '));
  assert.deepEqual(found, []);
});
