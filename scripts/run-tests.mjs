#!/usr/bin/env node
// Runs every compiled test with node's built-in runner (its summary lines are
// what CI reads). Unit tests sit beside the code (packages/*/dist/**/*.test.js);
// whole-process tests live in test/ (compiled to test/dist).
//   node scripts/run-tests.mjs            all tests
//   node scripts/run-tests.mjs --unit     package tests only
//   node scripts/run-tests.mjs <substr>   only files whose path contains substr
// Tests that need MariaDB share one private instance per run, started by the
// first of them inside the run directory passed in GEOEDGE_TEST_RUN_DIR
// (packages/zonedb/src/testing/shared-server.ts); this runner, which outlives
// every test process, stops it and deletes the directory at the end, also
// after a failure, Ctrl-C or SIGTERM.
import { readdirSync, readFileSync, statSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, constants } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

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

const runDir = mkdtempSync(join(tmpdir(), 'geoedge-test-run-'));
/**
 * Kills every MariaDB started in the run directory (each has a mysqld.pid
 * there), then deletes it. SIGKILL, not instance.sh stop: the data is thrown
 * away, and a clean InnoDB shutdown would add about 2 s to every run.
 */
async function cleanRunDir() {
  for (const name of readdirSync(runDir)) {
    const pidFile = join(runDir, name, 'mysqld.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
    if (!(pid > 0)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      continue; // already gone
    }
    for (let i = 0; i < 100 && running(pid); i++) await new Promise((r) => setTimeout(r, 20));
  }
  rmSync(runDir, { recursive: true, force: true });
}

/** mariadbd is not our child (instance.sh starts it in its own session): a zombie counts as gone. */
function running(pid) {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const child = spawn(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', GEOEDGE_TEST_RUN_DIR: runDir } },
);
// A signal is passed on to the test runner; the clean-up waits for it to end
// (a Ctrl-C reaches it through the terminal as well), with a bound.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    child.kill(sig);
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}
child.on('exit', async (code, signal) => {
  await cleanRunDir();
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
