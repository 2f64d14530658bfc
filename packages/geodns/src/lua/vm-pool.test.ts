import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, record, testRuntime } from './testkit.js';

const { rt } = await testRuntime({ timeLimitMs: 50 });
const run = (code: string) => rt.evaluate(record(code), client('81.2.69.142'));

test('a C function that never returns is cut at the deadline; the next evaluation runs on a fresh VM', async () => {
  await rt.sparesBooted();
  const t0 = performance.now();
  const r = run(";table.move({},1,1e12,1,{}) return '1.1.1.1'");
  const dt = performance.now() - t0;
  assert.equal(r.kind === 'error' && r.limit, 'time');
  assert.ok(dt < 1000, `cut after ${dt.toFixed(0)} ms`);
  assert.equal(rt.restartCount('time'), 1);
  assert.deepEqual(run("'192.0.2.1'").kind === 'ok' && run("'192.0.2.1'"), { kind: 'ok', contents: ['192.0.2.1'], deps: { address: false, transport: false, random: false, qname: false, query: false, health: [], geoDatabase: false } });
  // host functions still reach the query thread from the new VM
  const c = run("pickclosest({'81.2.69.142','214.78.120.9'})");
  assert.deepEqual(c.kind === 'ok' && c.contents, ['81.2.69.142']);
});

test('finalizers cannot be set, so none runs during another evaluation', async () => {
  await rt.sparesBooted();
  const r = run(";setmetatable({}, {__gc = function() while true do end end}) return '1.1.1.1'");
  assert.match(r.kind === 'error' ? r.message : '', /__gc metamethods are not allowed/);
});

test('the methods of PowerDNS objects are read-only for every record', async () => {
  await rt.sparesBooted();
  const r = run(";local m = newCA('1.2.3.4').__index m.toString = function() return 'x' end return '1.1.1.1'");
  assert.equal(r.kind, 'error', 'writing into the shared method table fails');
  const ok = run("newCA('192.0.2.7'):toString()");
  assert.deepEqual(ok.kind === 'ok' && ok.contents, ['192.0.2.7']);
});
