#!/usr/bin/env node
// Runs every compiled test with node's built-in runner (its summary lines are
// what CI reads). Unit tests sit beside the code (packages/*/dist/**/*.test.js);
// whole-process tests live in test/ (compiled to test/dist).
//   node scripts/run-tests.mjs            all tests
//   node scripts/run-tests.mjs --unit     package tests only
//   node scripts/run-tests.mjs <substr>   only files whose path contains substr
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files = [];
for (const pkg of readdirSync('packages')) walk(join('packages', pkg, 'dist'), files);
if (!unitOnly) walk(join('test', 'dist'), files);
if (filters.length) files = files.filter((f) => filters.some((s) => f.includes(s)));
files.sort();
if (files.length === 0) {
  console.error('run-tests: no test files found (did tsc -b run?)');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' } },
);
process.exit(r.status ?? 1);
