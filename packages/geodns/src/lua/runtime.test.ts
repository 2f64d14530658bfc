import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, record, testRuntime } from './testkit.js';
import type { EvalResult } from './types.js';

const INCLUDES: Record<string, string[]> = {
  'config.example.com.': [";pool = {'192.0.2.10', '192.0.2.11'}"],
  'loop.example.com.': [";include('loop')"],
  'broken.example.com.': [';this is not lua'],
};
const { rt, health, geo } = await testRuntime({ include: (fqdn) => INCLUDES[fqdn] ?? [] });
const LONDON = '81.2.69.142';     // GB, EU, ENG, London (test City db, network ::81.2.69.142/127)
const SANDIEGO = '214.78.120.9';  // US, NA, CA, San Diego
const TELSTRA = '1.128.0.5';      // AS1221 in the test ASN db

function ok(r: EvalResult): string[] {
  assert.equal(r.kind, 'ok', r.kind === 'error' ? r.message : '');
  return r.kind === 'ok' ? r.contents : [];
}
const run = (code: string, who = LONDON, more = {}) => rt.evaluate(record(code), client(who, more));

test('expression form, statement form, string or list result, empty result', () => {
  assert.deepEqual(ok(run("'192.0.2.1'")), ['192.0.2.1']);
  assert.deepEqual(ok(run(";local a = '192.0.2.' .. 7 return a")), ['192.0.2.7']);
  assert.deepEqual(ok(run("{'192.0.2.1', '192.0.2.2'}")), ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(ok(run(";return {}")), []);
  assert.deepEqual(ok(run(";if false then return 'x' end")), []);
  const r = run("{'192.0.2.1'}");
  assert.ok(r.kind === 'ok' && !r.deps.random && !r.deps.address && !r.deps.geo && r.deps.health.length === 0);
});

test('variables: qname, zone, who, bestwho, ecswho, localwho, dnssecOK, tcp, ednsPKTSize', () => {
  const more = { qname: 'www.example.com.', tcp: true, dnssecOK: true, ednsPKTSize: 4096, ecswho: '203.0.113.0', ecsPrefix: 24 };
  assert.deepEqual(ok(run('qname:toString()', LONDON, more)), ['www.example.com.']);
  assert.deepEqual(ok(run('zone:toString()', LONDON, more)), ['example.com.']);
  assert.deepEqual(ok(run('who:toString()', LONDON, more)), [LONDON]);
  assert.deepEqual(ok(run('bestwho:toString()', LONDON, more)), ['203.0.113.0']);
  assert.deepEqual(ok(run('ecswho:toString()', LONDON, more)), ['203.0.113.0/24']);
  assert.deepEqual(ok(run('localwho:toString()', LONDON, more)), ['192.0.2.53']);
  const q = run(";return tostring(dnssecOK) .. ' ' .. tostring(tcp) .. ' ' .. ednsPKTSize", LONDON, more);
  assert.deepEqual(ok(q), ['true true 4096']);
  assert.ok(q.kind === 'ok' && q.deps.query && !q.deps.address);
  assert.deepEqual(ok(run(';return tostring(ecswho)')), ['nil']);
  const r = run('bestwho:toString()', LONDON, more);
  assert.ok(r.kind === 'ok' && r.deps.address && !r.deps.transport);
  const w = run('who:toString()');
  assert.ok(w.kind === 'ok' && w.deps.transport);
});

test('IPv4-mapped IPv6 sources count as IPv4 (dual-stack sockets)', () => {
  assert.deepEqual(ok(run('bestwho:toString()', '::ffff:81.2.69.142')), [LONDON]);
  assert.deepEqual(ok(run('countryCode()', '::ffff:81.2.69.142')), ['gb']);
});

test('ECS with source prefix 0 falls back to the packet source', () => {
  assert.deepEqual(ok(run('bestwho:toString()', LONDON, { ecswho: '0.0.0.0', ecsPrefix: 0 })), [LONDON]);
  assert.deepEqual(ok(run('countryCode()', LONDON, { ecswho: '0.0.0.0', ecsPrefix: 0 })), ['gb']);
  assert.deepEqual(ok(run('countryCode()', '10.0.0.1', { ecswho: '81.2.69.142', ecsPrefix: 32 })), ['gb']);
});

test('geo helpers use bestwho and report the GeoIP network as the dependency', () => {
  assert.equal(run("country('GB')").kind, 'error'); // a boolean is not a record content
  assert.deepEqual(ok(run(";return country('GB') and 'y' or 'n'")), ['y']);
  assert.deepEqual(ok(run(";return country({'US','gb'}) and 'y' or 'n'")), ['y']);
  assert.deepEqual(ok(run(";return country('US') and 'y' or 'n'")), ['n']);
  assert.deepEqual(ok(run(";return continent('EU') and 'y' or 'n'")), ['y']);
  assert.deepEqual(ok(run('continentCode()')), ['eu']); // lower case like PowerDNS's geoip backend
  assert.deepEqual(ok(run('countryCode()', SANDIEGO)), ['us']);
  assert.deepEqual(ok(run('regionCode()', SANDIEGO)), ['ca']);
  assert.deepEqual(ok(run(";return region('CA') and 'y' or 'n'", SANDIEGO)), ['y']);
  assert.deepEqual(ok(run(";return asnum(1221) and 'y' or 'n'", TELSTRA)), ['y']);
  assert.deepEqual(ok(run(";return asnum({7018, 15169}) and 'y' or 'n'", TELSTRA)), ['n']);
  assert.deepEqual(ok(run('countryCode()', '10.0.0.1')), ['--']);
  assert.deepEqual(ok(run('continentCode()', '10.0.0.1')), ['--']);
  assert.deepEqual(ok(run('regionCode()', LONDON)), ['eng']);
  assert.deepEqual(ok(run('latlon()')), ['51.514200 -0.093100']);
  assert.deepEqual(ok(run('latlonloc()')), ['51 30 51.12 N 0 5 35.16 W 0.00m 1.00m 10000.00m 10.00m']); // PowerDNS's exact text
  assert.deepEqual(ok(run('latlonloc()', '10.0.0.1')), ['0 0 -0 S 0 0 -0 W 0.00m 1.00m 10000.00m 10.00m']);
  assert.deepEqual(ok(run('latlon()', '10.0.0.1')), ['0.000000 0.000000']);
  assert.deepEqual(ok(run('geoiplookup("214.78.120.9", GeoIPQueryAttribute.City)')), ['San Diego']);
  assert.deepEqual(ok(run('geoiplookup("1.128.0.5", GeoIPQueryAttribute.ASn)')), ['1221']);
  assert.deepEqual(ok(run('geoiplookup("10.0.0.1", GeoIPQueryAttribute.Country2)')), ['unknown']);
  const r = run("if country('GB') then return 'a' end", LONDON);
  assert.equal(r.kind, 'error'); // expression form: "return if" is a syntax error, like PowerDNS
  const d = run(";if country('US') then return 'us' elseif continent('EU') then return 'eu' end return 'x'");
  assert.ok(d.kind === 'ok' && d.contents[0] === 'eu');
  assert.ok(d.kind === 'ok' && d.deps.geo?.prefix === 31 && d.deps.geo.record === geo.locate('81.2.69.142')?.record && !d.deps.address && !d.deps.random);
});

test('pickclosest picks the nearest candidate by great-circle distance', () => {
  // London client: London candidate beats San Diego
  assert.deepEqual(ok(run(`pickclosest({'${SANDIEGO}', '${LONDON}'})`, '81.2.69.143')), [LONDON]);
  assert.deepEqual(ok(run(`pickclosest({'${LONDON}', '${SANDIEGO}'})`, '214.78.120.1')), [SANDIEGO]);
  const r = run(`pickclosest({'${SANDIEGO}', '${LONDON}'})`, '81.2.69.143');
  assert.ok(r.kind === 'ok' && r.deps.geo && !r.deps.address);
  // unknown client: the hashed choice (stable per client), never "closest to 0,0"
  const a = ok(run(`pickclosest({'${SANDIEGO}', '${LONDON}', '192.0.2.1'})`, '10.1.1.1'));
  assert.deepEqual(ok(run(`pickclosest({'${SANDIEGO}', '${LONDON}', '192.0.2.1'})`, '10.1.1.1')), a);
  const u = run(`pickclosest({'${SANDIEGO}', '${LONDON}'})`, '10.1.1.1');
  assert.ok(u.kind === 'ok' && u.deps.address);
  assert.equal(run('pickclosest({})').kind, 'error');
  assert.equal(run("pickclosest({'not-an-ip'})").kind, 'error');
});

test('closestMagic reads candidates from the query name', () => {
  const r = rt.evaluate(record('closestMagic()', '*.magic.example.com.'), client('81.2.69.143', { qname: `214-78-120-9.81-2-69-142.magic.example.com.` }));
  assert.deepEqual(ok(r), [LONDON]);
  assert.ok(r.kind === 'ok' && r.deps.qname);
});

test('pickrandom, pickrandomsample, pickwrandom mark the answer random', () => {
  const r = run("pickrandom({'192.0.2.1','192.0.2.2'})");
  assert.ok(r.kind === 'ok' && ['192.0.2.1', '192.0.2.2'].includes(r.contents[0]!) && r.deps.random);
  const s = ok(run("pickrandomsample(2, {'a','b','c'})"));
  assert.equal(s.length, 2);
  assert.equal(new Set(s).size, 2);
  const w = run("pickwrandom({{0,'never'},{5,'always'}})");
  assert.ok(w.kind === 'ok' && w.contents[0] === 'always' && w.deps.random);
  assert.equal(run('pickrandom({})').kind, 'error');
});

test('hashed picks are stable per client address and mark the address dependency', () => {
  for (const fn of ["pickhashed({'a','b','c','d'})", "pickwhashed({{1,'a'},{1,'b'},{1,'c'}})", "pickchashed({{10,'a'},{10,'b'},{10,'c'}})"]) {
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const who = `198.51.100.${i}`;
      const x = run(fn, who);
      assert.ok(x.kind === 'ok' && x.deps.address && !x.deps.random, fn);
      assert.deepEqual(ok(run(fn, who)), (x as { contents: string[] }).contents);
      seen.add((x as { contents: string[] }).contents[0]!);
    }
    assert.ok(seen.size >= 3, `${fn} spreads: ${[...seen]}`);
  }
  const n = rt.evaluate(record("picknamehashed({{1,'a'},{1,'b'}})"), client(LONDON, { qname: 'h1.example.com.' }));
  assert.ok(n.kind === 'ok' && n.deps.qname && !n.deps.address);
});

test('all, view, netmask', () => {
  assert.deepEqual(ok(run("all({'192.0.2.1','192.0.2.2'})")), ['192.0.2.1', '192.0.2.2']);
  assert.equal(run('all({})').kind, 'error');
  const v = "view({ {{'192.168.0.0/16'}, {'192.168.1.54'}}, {{'0.0.0.0/0'}, {'192.0.2.1'}} })";
  assert.deepEqual(ok(run(v, '192.168.7.7')), ['192.168.1.54']);
  assert.deepEqual(ok(run(v, '10.0.0.1')), ['192.0.2.1']);
  assert.deepEqual(ok(run(v, '2001:db8::1')), ['']); // no rule matches IPv6: PowerDNS returns an empty string
  assert.deepEqual(ok(run(";return netmask({'10.0.0.0/8','81.2.0.0/16'}) and 'in' or 'out'")), ['in']);
  assert.deepEqual(ok(run(";return netmask({'10.0.0.0/8'}) and 'in' or 'out'")), ['out']);
  assert.equal(run("netmask({'bogus/99'})").kind, 'error');
});

test('createReverse/createForward/filterForward through Lua', () => {
  const rev = rt.evaluate(record("createReverse('%5%.static.example.com')", '*.0.0.127.in-addr.arpa.', 12), client(LONDON, { qname: '5.0.0.127.in-addr.arpa.' }));
  assert.deepEqual(ok(rev), ['127-0-0-5.static.example.com']);
  const fwd = rt.evaluate(record('createForward()', '*.static.example.com.'), client(LONDON, { qname: '127.0.0.5.static.example.com.' }));
  assert.deepEqual(ok(fwd), ['127.0.0.5']);
  const ff = (q: string) => rt.evaluate(record("filterForward(createForward(), newNMG({'192.0.2.0/24', '10.0.0.0/8'}))", '*.static.example.com.'), client(LONDON, { qname: q }));
  assert.deepEqual(ok(ff('10.1.2.3.static.example.com.')), ['10.1.2.3']);
  assert.deepEqual(ok(ff('11.1.2.3.static.example.com.')), ['0.0.0.0']);
  const fb = rt.evaluate(record("filterForward(createForward(), newNMG({'10.0.0.0/8'}), '')", '*.static.example.com.'), client(LONDON, { qname: '11.1.2.3.static.example.com.' }));
  assert.deepEqual(ok(fb), []);
  // createForward6 reads the labels relative to the zone apex, like PowerDNS: one label → dashed form.
  const f6 = rt.evaluate({ ...record('createForward6()', '*.static6.example.com.', 28), zone: 'static6.example.com.' }, client(LONDON, { qname: '2001-a-b--1.static6.example.com.' }));
  assert.deepEqual(ok(f6), ['2001:a:b::1']);
  const f6deep = rt.evaluate(record('createForward6()', '*.static6.example.com.', 28), client(LONDON, { qname: '2001-a-b--1.static6.example.com.' }));
  assert.deepEqual(ok(f6deep), ['::'], 'two labels below the apex is not a form PowerDNS parses');
});

test('include runs the code of another LUA record of the zone', () => {
  assert.deepEqual(ok(run(";include('config') return pool")), ['192.0.2.10', '192.0.2.11']);
  assert.deepEqual(ok(run(";include('nothing-here') return 'ok'")), ['ok']);
  const loop = run(";include('loop') return 'never'");
  assert.ok(loop.kind === 'error' && /stack overflow|instruction limit/.test(loop.message), loop.kind === 'error' ? loop.message : 'ok');
  const broken = run(";include('broken') return 'never'");
  assert.ok(broken.kind === 'error' && /include broken/.test(broken.message));
  // include state does not leak into the next evaluation
  assert.deepEqual(ok(run(';return tostring(pool)')), ['nil']);
});

test('ifportup/ifurlup/ifurlextup/pickselfweighted follow PowerDNS selection rules on health state', () => {
  health.states.clear();
  const ips = "{'192.0.2.1', '192.0.2.2'}";
  // nothing checked yet: all treated as down → backupSelector (default random) over all
  const first = run(`ifportup(443, ${ips})`);
  assert.ok(first.kind === 'ok' && first.contents.length === 1 && first.deps.random && first.deps.health.length === 2);
  assert.deepEqual(ok(run(`ifportup(443, ${ips}, {backupSelector='empty'})`)), []);
  assert.deepEqual(ok(run(`ifportup(443, ${ips}, {backupSelector='all'})`)), ['192.0.2.1', '192.0.2.2']);
  const inc = run(`ifportup(443, ${ips}, {failOnIncompleteCheck='true'})`);
  assert.ok(inc.kind === 'error' && /not completed yet/.test(inc.message));
  health.states.set('192.0.2.1:443', 0);
  health.states.set('192.0.2.2:443', 1);
  assert.deepEqual(ok(run(`ifportup(443, ${ips})`)), ['192.0.2.2']);
  assert.deepEqual(ok(run(`ifportup(443, ${ips}, {selector='all'})`)), ['192.0.2.2']);
  // sets: first set with an available address wins
  health.states.set('http://x/ 192.0.2.1', 0);
  health.states.set('http://x/ 192.0.2.20', 1);
  health.states.set('http://x/ 192.0.2.21', 1);
  assert.deepEqual(ok(run("ifurlup('http://x/', {{'192.0.2.1'}, {'192.0.2.20','192.0.2.21'}}, {selector='all'})")), ['192.0.2.20', '192.0.2.21']);
  const h = run("ifurlup('http://x/', {{'192.0.2.1'}, {'192.0.2.20','192.0.2.21'}}, {selector='hashed'})");
  assert.ok(h.kind === 'ok' && h.deps.address && h.deps.health.length === 3);
  health.states.set('http://ext/ok', 1);
  health.states.set('http://ext/404', 0);
  assert.deepEqual(ok(run("ifurlextup({{['192.0.2.1']='http://ext/404'}, {['192.0.2.3']='http://ext/ok'}})")), ['192.0.2.3']);
  health.states.set('http://w/ 192.0.2.1', 5);
  health.states.set('http://w/ 192.0.2.2', 0);
  assert.deepEqual(ok(run("pickselfweighted('http://w/', {'192.0.2.1','192.0.2.2'})")), ['192.0.2.1']);
  assert.equal(run("ifportup(443, {'not-an-ip'})").kind, 'error');
});
