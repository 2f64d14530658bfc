// edge-relay's command line: --help, --check on good and bad files, missing arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './helpers/paths.js';
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

test('--check: the deploy examples pass; a broken file lists every problem by path and exits 1', () => {
  for (const f of ['pop.yaml', 'pi.yaml']) {
    const r = cli('--config', join(REPO_ROOT, 'deploy', 'relay', f), '--check');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /configuration ok/);
  }
  const t = tempDir('relay-cli');
  const bad = join(t.dir, 'bad.yaml');
  writeFileSync(bad, `upstreams:\n  a: { servers: ["10.0.0.1"], balance: random }\nlisteners:\n  - { name: x, listen: ["0.0.0.0:443"], routes: [{ upstream: nope }], proxy_protocol: { trusted: [300.1.1.1/8] } }\n`);
  const r = cli('--config', bad, '--check');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\/upstreams\/a\/servers\/0: /);
  assert.match(r.stderr, /\/upstreams\/a\/balance: /);
  writeFileSync(bad, `upstreams:\n  a: { servers: ["10.0.0.1:443"] }\nlisteners:\n  - { name: x, listen: ["0.0.0.0:443"], routes: [{ upstream: nope }], proxy_protocol: { trusted: [300.1.1.1/8] } }\n`);
  const r2 = cli('--config', bad, '--check');
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /\/listeners\/0\/routes\/0\/upstream: no upstream named "nope"/);
  assert.match(r2.stderr, /\/listeners\/0\/proxy_protocol\/trusted\/0: not an IP/);
  writeFileSync(bad, 'listeners: [unclosed');
  const r3 = cli('--config', bad, '--check');
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /not valid YAML/);
  assert.equal(cli('--config', join(t.dir, 'missing.yaml'), '--check').status, 1);
  t.remove();
});
