// edge-relay's command line: --help, --check on good and bad files (exit 2, as
// geodns and geoctl), listen addresses that cannot all be bound, warnings for
// unreachable routes, flags that override config keys, missing arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './helpers/paths.js';
import { freePort, scrape, startProcess } from './helpers/index.js';
import { RELAY_MAIN } from './relay-harness.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [RELAY_MAIN, ...args], { encoding: 'utf8', timeout: 10_000 });

test('--help prints usage and exits 0; no --config exits 2', () => {
  const h = cli('--help');
  assert.equal(h.status, 0);
  assert.match(h.stdout, /Usage: edge-relay --config FILE/);
  const n = cli();
  assert.equal(n.status, 2);
  assert.match(n.stderr, /--config FILE is required/);
  assert.equal(cli('--bogus').status, 2);
});

test('--check: the deploy examples pass without warnings; a broken file lists every problem by path and exits 2', () => {
  for (const f of ['pop.yaml', 'pi.yaml']) {
    const r = cli('--config', join(REPO_ROOT, 'deploy', 'relay', f), '--check');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /configuration ok/);
    assert.equal(r.stderr, '');
  }
  const t = tempDir('relay-cli');
  const bad = join(t.dir, 'bad.yaml');
  writeFileSync(bad, `upstreams:\n  a: { servers: ["10.0.0.1"], balance: random }\nlisteners:\n  - { name: x, listen: ["0.0.0.0:443"], routes: [{ upstream: nope }], proxy_protocol: { trusted: [300.1.1.1/8] } }\n`);
  const r = cli('--config', bad, '--check');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /\/upstreams\/a\/servers\/0: /);
  assert.match(r.stderr, /\/upstreams\/a\/balance: /);
  writeFileSync(bad, `upstreams:\n  a: { servers: ["10.0.0.1:443"] }\nlisteners:\n  - { name: x, listen: ["0.0.0.0:443"], routes: [{ upstream: nope }], proxy_protocol: { trusted: [300.1.1.1/8] } }\n`);
  const r2 = cli('--config', bad, '--check');
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /\/listeners\/0\/routes\/0\/upstream: no upstream named "nope"/);
  assert.match(r2.stderr, /\/listeners\/0\/proxy_protocol\/trusted\/0: not an IP/);
  writeFileSync(bad, 'listeners: [unclosed');
  const r3 = cli('--config', bad, '--check');
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /not valid YAML/);
  assert.equal(cli('--config', join(t.dir, 'missing.yaml'), '--check').status, 2);
  t.remove();
});

test('--check refuses listen addresses that would fail to bind, and warns about routes after a default', () => {
  const t = tempDir('relay-cli');
  const f = join(t.dir, 'relay.yaml');
  const up = 'upstreams:\n  a: { servers: ["127.0.0.1:9"] }\n';
  writeFileSync(f, `${up}listeners:\n  - { name: any, listen: ["0.0.0.0:8443", "[::]:8443"], routes: [{ upstream: a }] }\n  - { name: lo, listen: ["127.0.0.1:8443"], routes: [{ upstream: a }] }\n`);
  const r = cli('--config', f, '--check');
  assert.equal(r.status, 2, r.stdout);
  assert.match(r.stderr, /^  \/listeners\/1\/listen\/0: 127\.0\.0\.1:8443 \(tcp\) overlaps 0\.0\.0\.0:8443 of listener "any" \(\/listeners\/0\/listen\/0\)/m);
  writeFileSync(f, `${up}listeners:\n  - { name: l, listen: ["127.0.0.1:8443"], routes: [{ upstream: a }, { match: { sni: [a.example] }, upstream: a }] }\n`);
  const w = cli('--config', f, '--check');
  assert.equal(w.status, 0, w.stderr);
  assert.match(w.stdout, /configuration ok/);
  assert.match(w.stderr, /warning: \/listeners\/0\/routes\/1: unreachable: route 0 has no match and takes every connection/);
  t.remove();
});

test('flags override the config keys of the same name, and are checked like them', async () => {
  const t = tempDir('relay-cli');
  const f = join(t.dir, 'relay.yaml');
  writeFileSync(f, 'log_level: error\nworkers: 1\nupstreams:\n  a: { servers: ["127.0.0.1:9"] }\nlisteners:\n  - { name: l, listen: ["127.0.0.1:0"], routes: [{ upstream: a }] }\n');
  for (const [flag, value, line] of [
    ['--workers', '0', '/workers: expected an integer from 1 to 64, got 0'],
    ['--data-plane', 'fast', '/data_plane: expected one of "engine", "streams", got "fast"'],
    ['--drain-timeout', '20', '/drain_timeout: expected a duration such as 5s'],
    ['--admin', 'localhost', '/admin: expected host:port'],
  ] as const) {
    const r = cli('--config', f, '--check', flag, value);
    assert.equal(r.status, 2, `${flag} ${value}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`  ${line}`), `${flag} ${value}: ${r.stderr}`);
  }
  // The file has no admin and logs errors only: the flags give /metrics and the info lines.
  const port = await freePort();
  const p = startProcess(process.execPath, [RELAY_MAIN, '--config', f, '--admin', `127.0.0.1:${port}`, '--log-level', 'info', '--data-plane', 'streams']);
  try {
    const line = await p.waitForLine(/"msg":"tcp data plane"/, 10_000);
    assert.equal(JSON.parse(line).data_plane, 'streams');
    await p.waitForLine(/"msg":"metrics listening"/, 10_000);
    const samples = await scrape(`http://127.0.0.1:${port}/metrics`);
    assert.ok([...samples.keys()].some((k) => k.startsWith('process_cpu_seconds_total')));
  } finally {
    await p.stop();
    t.remove();
  }
});
