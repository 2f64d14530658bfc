import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLuaSyntax } from './lua-syntax.js';

test('LUA record code: expressions and ;-scripts compile, broken code reports the Lua error', async () => {
  assert.deepEqual(await checkLuaSyntax("pickclosest({'192.0.2.1','192.0.2.2'})"), { ok: true });
  assert.deepEqual(await checkLuaSyntax(";if country('NL') then return '192.0.2.1' end return '192.0.2.2'"), { ok: true });
  const bad = await checkLuaSyntax('ifportup(443, {');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /lua:1:.*expected/);
  const statement = await checkLuaSyntax("x = 1");
  assert.equal(statement.ok, false, 'an expression record cannot be a statement');
});

test('the check never runs the code', async () => {
  // os.exit would end the process if it ran; an endless loop would hang.
  assert.deepEqual(await checkLuaSyntax('os.exit(3)'), { ok: true });
  assert.deepEqual(await checkLuaSyntax(';while true do end'), { ok: true });
});
