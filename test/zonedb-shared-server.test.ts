// The test run's shared MariaDB (packages/zonedb/src/testing/shared-server.ts),
// with a run directory of its own so the run's real one is not touched: the
// processes of one run get one instance, started by whichever asks first; a
// process whose starter died is told so at once instead of waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDb } from '@geoedge/zonedb';
import { REPO_ROOT, runProgram, type SharedMariaDb } from '@geoedge/zonedb/testing';

const TESTING = pathToFileURL(join(REPO_ROOT, 'packages/zonedb/dist/testing/index.js')).href;
const PROBE = `const { sharedMariaDb } = await import(${JSON.stringify(TESTING)}); console.log(JSON.stringify(await sharedMariaDb()));`;

/** A process of the run in `runDir` asking for the shared server. */
function probe(runDir: string) {
  return runProgram(process.execPath, ['--input-type=module', '-e', PROBE], { GEOEDGE_TEST_RUN_DIR: runDir }, 90_000);
}

/** What scripts/run-tests.mjs does at the end of a run: kill (the data is thrown away), delete. */
async function removeRunDir(runDir: string): Promise<void> {
  for (const n of await readdir(runDir)) {
    const pid = Number(await readFile(join(runDir, n, 'mysqld.pid'), 'utf8').catch(() => ''));
    if (pid > 0) process.kill(pid, 'SIGKILL');
  }
  await rm(runDir, { recursive: true, force: true });
}

test('two processes of one run get the same server, started once', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'geoedge-test-run-probe-'));
  try {
    const [a, b] = await Promise.all([probe(runDir), probe(runDir)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const sa = JSON.parse(a.stdout) as SharedMariaDb;
    const sb = JSON.parse(b.stdout) as SharedMariaDb;
    assert.deepEqual(sb, sa);
    const instances = (await readdir(runDir)).filter((n) => n.startsWith('geoedge-mariadb-'));
    assert.equal(instances.length, 1, `one instance directory: ${instances.join(' ')}`);
    // It outlives both processes (the runner stops it) and takes root over TCP.
    const r = await openDb(`${sa.url}/mysql`, { connections: 1 });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    try {
      assert.deepEqual(await r.db.query('SELECT @@character_set_server AS cs'), [{ cs: 'utf8mb4' }]);
    } finally {
      await r.db.close();
    }
  } finally {
    await removeRunDir(runDir);
  }
});

test('the process that claimed the start died: the others fail at once, naming it', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'geoedge-test-run-probe-'));
  try {
    const dead = spawnSync('true').pid;
    await mkdir(join(runDir, 'mariadb.claim'));
    await writeFile(join(runDir, 'mariadb.claim', 'pid'), String(dead));
    const t0 = Date.now();
    const r = await probe(runDir);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`starting the run's shared MariaDB \\(pid ${dead}\\) died`));
    assert.ok(Date.now() - t0 < 10_000, 'no waiting for the timeout');
  } finally {
    await removeRunDir(runDir);
  }
});
