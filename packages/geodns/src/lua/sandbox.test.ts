import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, record, testRuntime } from './testkit.js';

const { rt } = await testRuntime({ instructionLimit: 100_000, memoryLimit: 8 << 20 });
const run = (code: string) => rt.evaluate(record(code), client('81.2.69.142'));
const err = (code: string): string => {
  const r = run(code);
  assert.equal(r.kind, 'error', `${code} should fail`);
  return r.kind === 'error' ? r.message : '';
};
/** After every bad script the VM must still answer normally. */
const stillWorks = () => assert.deepEqual(run("pickclosest({'81.2.69.142','214.78.120.9'})"), {
  kind: 'ok', contents: ['81.2.69.142'],
  deps: { address: false, transport: false, random: false, qname: false, query: false, health: [], geoDatabase: true, geo: { prefix: 31, record: '2943,0' } },
});
// (record: the data pointers of 81.2.69.142 in the City and ASN test databases)

test('no io, os, require, load, dofile, loadstring, debug, package, coroutine, collectgarbage', () => {
  for (const name of ['io', 'os', 'require', 'load', 'dofile', 'loadfile', 'loadstring', 'debug', 'package', 'coroutine', 'collectgarbage', '_G']) {
    const r = run(`;return tostring(${name})`);
    assert.deepEqual(r.kind === 'ok' && r.contents, ['nil'], name);
  }
  assert.match(err("os.execute('touch /tmp/pwned')"), /attempt to index a nil value/);
  assert.match(err("io.open('/etc/passwd')"), /attempt to index a nil value/);
  assert.match(err("load('return 1')()"), /attempt to call a nil value/);
  assert.match(err("string.dump(function() end)"), /attempt to call a nil value/);
  assert.match(err(";getmetatable('').__index = {} return 'x'"), /attempt to index a boolean value|nil/);
  stillWorks();
});

test('infinite loops end quickly with a clear error, even when the script catches errors', () => {
  for (const code of [';while true do end', ';repeat until false', ';local function f() return f() end return f()', ';while true do pcall(function() while true do end end) end', ';for i=1,1e12 do end']) {
    const t = Date.now();
    const m = err(code);
    assert.ok(Date.now() - t < 2000, `${code} took ${Date.now() - t} ms`);
    assert.match(m, /instruction limit exceeded/, code);
    stillWorks();
  }
});

test('memory bombs fail with a clear error and the memory comes back', () => {
  assert.match(err(";local s = 'x' while true do s = s .. s end"), /not enough memory|memory limit/);
  stillWorks();
  assert.match(err(";local t = {} for i = 1, 1e7 do t[i] = {i} end return 'x'"), /not enough memory|memory limit|instruction limit/);
  stillWorks();
  assert.match(err("string.rep('x', 1e9)"), /string.rep result too large/);
  assert.match(err("('x'):rep(2^40)"), /string.rep result too large/);
  // an ordinary error the script catches itself is fine; only limit errors are uncatchable
  assert.deepEqual(run(";local ok = pcall(string.rep, ('x'):rep(1000000), 1000) return ok and 'caught-not' or 'caught'").kind === 'ok', true);
  stillWorks();
  // the allocator bound and the collector handled them: no VM had to be thrown away
  assert.equal(rt.restartCount(), 0, 'VM restarts after memory bombs');
});

test('syntax errors, runtime errors and bad results give clear errors naming the record', () => {
  assert.match(err('this is not lua'), /^LUA record www\.example\.com\. \(type 1\): syntax error/);
  assert.match(err(';return ('), /syntax error/);
  assert.match(err("error('boom')"), /boom/);
  assert.match(err('nil + 1'), /attempt to perform arithmetic/);
  assert.match(err('function() end'), /returned a function/);
  assert.match(err("{'a', {}}"), /result entry 2 is a table/);
  assert.match(err('true'), /returned a boolean/);
  assert.match(err("pickwhashed({{'x','y'}})"), /weight must be a number/);
  assert.match(err('pickwhashed(5)'), /expected a table/);
  assert.match(err("string.find(('a'):rep(30), ('a*'):rep(20) .. 'b')"), /pattern too complex/);
  assert.match(err("(('a'):rep(30)):match(('a*'):rep(20))"), /pattern too complex/);
  assert.deepEqual(run("string.gsub('a-b-c', '%-', '.')").kind, 'ok');
  assert.match(err("\u0000\u0001binary"), /NUL byte/);
  assert.match(err("\u0001\u0002binary"), /syntax error/);
  stillWorks();
});

test('scripts cannot leave state behind for the next evaluation', () => {
  assert.equal(run(';x = 1 pickclosest = nil return "a"').kind, 'ok');
  assert.deepEqual(run(';return tostring(x)'), { kind: 'ok', contents: ['nil'], deps: { address: false, transport: false, random: false, qname: false, query: false, health: [], geoDatabase: false } });
  assert.match(err(";string.upper = nil return 'x'"), /read-only/);
  assert.match(err(";math.floor = nil return 'x'"), /read-only/);
  assert.match(err(";GeoIPQueryAttribute.City = 99 return 'x'"), /read-only/);
  assert.match(err(";rawset(string, 'upper', function() return 'evil' end) return 'x'"), /attempt to call a nil value/);
  assert.match(err(";setmetatable(string, {}) return 'x'"), /protected metatable/);
  // PowerDNS objects: methods are shared, so their metatables are locked
  assert.deepEqual(run(';return tostring(getmetatable(qname))').kind === 'ok' && run(';return tostring(getmetatable(qname))'), { kind: 'ok', contents: ['false'], deps: { address: false, transport: false, random: false, qname: true, query: false, health: [], geoDatabase: false } });
  assert.equal(run(";qname.toString = function() return 'evil' end return 'x'").kind, 'ok'); // sets a field on this object only
  assert.deepEqual(run('qname:toString()').kind === 'ok' && run('qname:toString()'), { kind: 'ok', contents: ['www.example.com.'], deps: { address: false, transport: false, random: false, qname: true, query: false, health: [], geoDatabase: false } });
  assert.deepEqual(run(";return string.upper('ok')").kind === 'ok' && run(";return string.upper('ok')"), { kind: 'ok', contents: ['OK'], deps: { address: false, transport: false, random: false, qname: false, query: false, health: [], geoDatabase: false } });
  stillWorks();
});

test('a thousand garbage scripts in a row leave the sandbox working', () => {
  const junk = ['(((', ';while true do end', "error('x')", ';local t={} t[nil]=1', "('x'):rep(-1)", ';return 1/0', "{1,2,'3'}", ';goto nowhere', ';return #nil', ';return ...'];
  for (let i = 0; i < 1000; i++) run(junk[i % junk.length]! + (i % 3 === 0 ? '' : ' '));
  stillWorks();
});
