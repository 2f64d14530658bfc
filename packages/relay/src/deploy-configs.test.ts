// The example configs in deploy/relay must pass the same check as `edge-relay --check`,
// without warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from './config.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../deploy/relay');

test('deploy/relay example configs are valid', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(files.sort(), ['intercept.yaml', 'pi.yaml', 'pop.yaml']);
  for (const f of files) {
    const r = loadConfigFile(join(dir, f));
    assert.ok(r.ok, `${f}: ${!r.ok ? r.problems.join('; ') : ''}`);
    if (!r.ok) continue;
    assert.ok(r.config.listeners.length >= (f === 'intercept.yaml' ? 2 : 3), f);
    assert.deepEqual(r.warnings, [], `${f}: no unreachable routes`);
  }
});
