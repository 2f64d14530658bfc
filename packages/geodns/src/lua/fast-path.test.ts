// The fast path gives the VM's answer: for each record shape it takes, the
// same contents and the same Deps as LuaRuntime.evaluate, over thousands of
// client addresses placed by the real GeoLite2 City database (plus IPv6, ECS
// with prefix 0, IPv4-mapped sources), health states up, down and unchecked,
// and seeded randomness consumed in lockstep. Records it must not take go to
// the VM, and so do records whose evaluation fails (the error is the VM's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLuaRuntime } from './runtime.js';
import { createFastPath, withFastPath } from './fast-path.js';
import { parseRecord } from './fast-parse.js';
import { client, record, testGeo, TableOracle } from './testkit.js';
import type { LuaClient } from './types.js';
import type { Rand } from './pick.js';

const geo = await testGeo(true);
const health = new TableOracle();
const seeded = (seed: number): Rand => { let s = seed; return (n) => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s % n; }; };
const rt = await createLuaRuntime({ geo, health, rand: seeded(7) });
const fast = createFastPath({ geo, health, rand: seeded(7) });

const POPS = "'8.8.8.8','81.2.69.142','1.0.0.1','200.160.0.8','196.49.0.1'";
const SHAPES = [
  `pickclosest({${POPS}})`,
  `;return pickclosest({${POPS}})`,
  "pickclosest({'192.0.2.1','198.51.100.7','8.8.8.8'})",   // candidates without a location
  "pickclosest({'192.0.2.1','198.51.100.7'})",              // none located: hashed
  `;if country('US') then return {'192.0.2.1','192.0.2.2'} elseif continent('EU') then return {'192.0.2.3','192.0.2.4'} end return pickwhashed({{100,'192.0.2.5'},{50,'192.0.2.6'},{25,'192.0.2.7'}})`,
  ";if country({'DE','FR'}) then return '192.0.2.1' elseif continent('AS') or continent('OC') then return '192.0.2.2' else return pickhashed({'192.0.2.3','192.0.2.4','192.0.2.5'}) end",
  ";if not continent('NA') and region('CA') then return '192.0.2.9' end if asnum(15169) then return '192.0.2.8' end",
  "country('GB') and '192.0.2.1' or '192.0.2.2'",
  "netmask({'10.0.0.0/8','8.0.0.0/7','2001:db8::/32'}) and 'inside' or 'outside'",
  "pickwhashed({{1,'a'},{2,'b'},{3,'c'},{4,'d'},{5,'e'},{6,'f'},{7,'g'},{8,'h'},{9,'i'},{10,'j'},{11,'k'},{12,'l'},{13,'m'},{14,'n'}})",
  "pickchashed({{100,'192.0.2.1'},{200,'192.0.2.2'},{50,'192.0.2.3'}})",
  "pickrandom({'192.0.2.1','192.0.2.2','192.0.2.3'})",
  "pickwrandom({{10,'192.0.2.1'},{90,'192.0.2.2'}})",
  "pickrandomsample(2, {'192.0.2.1','192.0.2.2','192.0.2.3'})",
  "all({'192.0.2.1','192.0.2.2'})",
  "ifportup(443, {'192.0.2.1','192.0.2.2','192.0.2.3'})",
  "ifportup(443, {'192.0.2.1','192.0.2.2','192.0.2.3'}, {selector='pickclosest'})",
  "ifportup(8080, {{'192.0.2.1','192.0.2.2'},{'198.51.100.1'}}, {selector='hashed', backupSelector='all', interval=2})",
  "ifurlup('https://example.com/health', {{'192.0.2.1'},{'192.0.2.2','192.0.2.3'}}, {selector='all', stringmatch='ok'})",
  "'192.0.2.77'",
  "{'192.0.2.1', '192.0.2.2'; '192.0.2.3',}",
  ';',
  ";if continent('AN') then return '192.0.2.1' end",
  'pickclosest{' + POPS + '}',
];

/** Health states: 192.0.2.1 up, 192.0.2.2 down, the rest never checked; flipped half-way. */
function setHealth(flip: boolean): void {
  health.states.clear();
  for (const port of [443, 8080]) {
    health.states.set(`192.0.2.1:${port}`, flip ? 0 : 1);
    health.states.set(`192.0.2.2:${port}`, flip ? 1 : 0);
  }
  health.states.set('https://example.com/health 192.0.2.2', 1);
}

/** Clients: random public IPv4 (and their ECS /24s), IPv6, ECS prefix 0, mapped sources. */
function clients(n: number): LuaClient[] {
  const r = seeded(99);
  const out: LuaClient[] = [];
  for (let i = 0; i < n; i++) {
    const a = `${1 + r(222)}.${r(256)}.${r(256)}`;
    switch (i % 5) {
      case 0: out.push(client(`${a}.${r(256)}`)); break;
      case 1: out.push(client('192.0.2.53', { ecswho: `${a}.0`, ecsPrefix: 24 })); break;
      case 2: out.push(client(`::ffff:${a}.9`)); break;
      case 3: out.push(client(`${a}.1`, { ecswho: '0.0.0.0', ecsPrefix: 0 })); break;
      default: out.push(client(`2a0${r(10)}:${r(65536).toString(16)}::${r(65536).toString(16)}`));
    }
  }
  return out;
}

test('every shape the fast path takes gives the VM\'s contents and deps, over 2,000 clients', () => {
  const cs = clients(2000);
  for (const code of SHAPES) {
    assert.ok(parseRecord(code), `the fast path takes: ${code}`);
    for (const [i, c] of cs.entries()) {
      setHealth(i >= cs.length / 2);
      const vm = rt.evaluate(record(code), c);
      const got = fast.evaluate(record(code), c);
      assert.ok(got, `fast path evaluated ${code}`);
      assert.deepEqual(got, vm, `${code}\nclient ${JSON.stringify(c)}`);
    }
  }
});

test('records outside the subset go to the VM, and so do evaluations that fail', () => {
  for (const code of [
    'bestwho:toString()', "who and '1' or '2'", "pickclosest({'8.8.8.8'}) .. ''", "'a' -- comment", "include('x')",
    "countryCode() == 'us' and 'a' or 'b'", "'\\065'", "'a', 'b'", ';local x = 1 return x', "pickclosest(bestwho)",
    "ifurlup('https://x/', {'192.0.2.1'}, {headers={a='b'}})", '0x10', "pickclosest({'8.8.8.8'}) pickclosest({'1.1.1.1'})",
    ";return 'a' return 'b'", ";if country('US') then return 'a' else return 'b' end return 'c'", 'nosuchfunction(1)',
  ]) assert.equal(parseRecord(code), undefined, code);
  const both = withFastPath(fast, rt);
  const vmOnly = (code: string, who = '81.2.69.142') => rt.evaluate(record(code), client(who));
  for (const code of ['pickclosest({})', "pickwhashed({{0,'a'}})", "pickclosest({'not-an-address'})", '42', "{'a', 1}", 'true', "ifportup(443, {'192.0.2.1'}, {failOnIncompleteCheck='true'})"]) {
    const before = { ...fast.counts };
    health.states.clear();
    assert.deepEqual(both.evaluate(record(code), client('81.2.69.142')), vmOnly(code), code);
    assert.equal(fast.counts.vm, before.vm + 1, `${code} went to the VM`);
  }
});
