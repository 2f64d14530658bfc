#!/usr/bin/env node
// Finds import cycles among a compiled package's modules: reads every .js file
// under the given dist directories, follows relative static imports and
// re-exports (`import … from './x.js'`, `export … from`, bare `import './x.js'`),
// and prints each cycle found; exit 1 if any. Type-only imports are gone from
// the compiled files, so only cycles that exist at run time count.
//   node scripts/check-import-cycles.mjs packages/relay/dist
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

function jsFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) jsFiles(p, out);
    else if (name.endsWith('.js') && !name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

/** The module graph: file → files it imports (relative imports only). */
export function importGraph(dir) {
  const graph = new Map();
  for (const f of jsFiles(resolve(dir))) {
    const text = readFileSync(f, 'utf8');
    const deps = [];
    for (const m of text.matchAll(IMPORT)) deps.push(resolve(dirname(f), m[1]));
    graph.set(f, deps);
  }
  return graph;
}

/** Every cycle, each as the list of files around it (Tarjan's strongly connected components of size > 1, or a self-import). */
export function cycles(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) !== idx.get(v)) return;
    const comp = [];
    for (let w; w !== v;) { w = stack.pop(); onStack.delete(w); comp.push(w); }
    if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.reverse());
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) { console.error('usage: check-import-cycles.mjs DIST_DIR...'); process.exit(2); }
  let found = 0;
  for (const d of dirs) {
    for (const c of cycles(importGraph(d))) {
      found++;
      console.log(`import cycle in ${d}: ${c.map((f) => relative(resolve(d), f)).join(' → ')}`);
    }
  }
  if (found === 0) console.log(`no import cycles in ${dirs.join(', ')}`);
  process.exit(found ? 1 : 0);
}
