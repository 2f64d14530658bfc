import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NODE_FLAGS, missingNodeFlags } from './node-flags.js';

const root = new URL('../../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

test('every place that starts geodns passes NODE_FLAGS to node', () => {
  const shebang = read('packages/geodns/src/main.ts').split('\n')[0]!;
  // The `geodns` command npm links (package.json bin): a committed launcher with its own #! line.
  const bin = (JSON.parse(read('packages/geodns/package.json')) as { bin: Record<string, string> }).bin['geodns']!;
  const launcher = read(`packages/geodns/${bin}`).split('\n')[0]!;
  const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start']!;
  const unit = read('deploy/systemd/geodns.service').split('\n').find((l) => l.startsWith('ExecStart='))!;
  for (const flag of NODE_FLAGS) {
    assert.match(shebang, new RegExp(`^#!/usr/bin/env -S node .*${flag}`), 'main.ts #! line');
    assert.match(launcher, new RegExp(`^#!/usr/bin/env -S node .*${flag}`), `${bin} #! line`);
    assert.match(start, new RegExp(`node ${flag} packages/geodns/dist/main.js`), 'npm start');
    assert.match(unit, new RegExp(`^ExecStart=/usr/bin/node ${flag} /opt/geoedge/packages/geodns/dist/main.js`), 'systemd unit');
  }
});

test('missingNodeFlags: a flag given with any value, or with underscores, counts as given', () => {
  assert.deepEqual(missingNodeFlags([]), [...NODE_FLAGS]);
  assert.deepEqual(missingNodeFlags(['--min-semi-space-size=64']), []);
  assert.deepEqual(missingNodeFlags(['--min_semi_space_size=8', '--inspect']), []);
  assert.deepEqual(missingNodeFlags(['--max-semi-space-size=16']), ['--min-semi-space-size=16']);
});
