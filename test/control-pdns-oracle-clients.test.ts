// geoctl against PowerDNS 4.7 (control-pdns-oracle-harness.ts) on the requests real
// clients send, as seen from lego 4.9, octoDNS 1.22 + octodns-powerdns 1.2 and
// lexicon: each request goes to both, status and body must match.
//   - lego (`--dns pdns`): PUT …/notify with Content-Type: application/json and an
//     empty body; PowerDNS does not read the body of notify (nor of GET/DELETE);
//   - octoDNS: TXT values with `\;` (it escapes every semicolon), stored and shown
//     as given; PowerDNS keeps a TXT/SPF/LUA string's escapes as written;
//   - octoDNS dynamic records: multi-line LUA scripts, raw newlines inside quotes;
//   - a repeated query parameter: PowerDNS uses the last value;
//   - `?api-key=` in the URL instead of the X-API-Key header;
//   - many wrong keys from one address (a misconfigured client behind the same
//     tunnel) never lock out the right key; PowerDNS has no limit at all, we answer
//     429 to further wrong keys from that address (a deliberate difference).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOracle, Z, rec, type Oracle } from './control-pdns-oracle-harness.js';

let oracle: Oracle;
before(async () => { oracle = await startOracle(); });
after(async () => { await oracle?.close(); });
const same: Oracle['same'] = (...a) => oracle.same(...a);
const J = { 'Content-Type': 'application/json' };
const one = (name: string, type: string, contents: string[]) => ({ rrsets: [{ name, type, ttl: 300, changetype: 'REPLACE', records: contents.map(rec) }] });

function sameStatus(what: string, r: { pdns: { status: number; body: unknown }; ours: { status: number; body: unknown } }): void {
  assert.equal(r.ours.status, r.pdns.status, `${what}\n pdns: ${JSON.stringify(r.pdns.body)}\n ours: ${JSON.stringify(r.ours.body)}`);
}

test('lego: notify with a JSON content type and an empty body; other routes with empty bodies', async () => {
  await same('POST', Z, { name: 'lego.test.', kind: 'Native', nameservers: ['ns1.lego.test.'] });
  for (const body of ['', ' ', '\n']) {
    const r = await oracle.raw('PUT', `${Z}/lego.test./notify`, { headers: J, body });
    sameStatus(`notify ${JSON.stringify(body)}`, r);
    assert.deepEqual(r.ours.body, r.pdns.body);
    assert.deepEqual(r.ours.body, { result: 'Notification queued' });
  }
  const noBody = await oracle.raw('PUT', `${Z}/lego.test./notify`, { headers: J });
  sameStatus('notify without a body', noBody);
  assert.deepEqual(noBody.ours.body, noBody.pdns.body);
  // A route that reads its body refuses an empty one with 400 (PowerDNS: plain "Bad Request").
  for (const [method, path] of [['PATCH', `${Z}/lego.test.`], ['PUT', `${Z}/lego.test.`], ['POST', Z], ['PUT', `${Z}/lego.test./metadata/X-FOO`]] as const) {
    const r = await oracle.raw(method, path, { headers: J, body: '' });
    sameStatus(`${method} ${path} empty`, r);
    assert.equal(r.ours.status, 400);
    assert.match((r.ours.body as { error: string }).error, /^Invalid JSON/);
  }
  await same('PUT', `${Z}/lego.test./metadata/X-FOO`, { metadata: ['1'] });
  const del = await oracle.raw('DELETE', `${Z}/lego.test./metadata/X-FOO`, { headers: J, body: '' });
  sameStatus('DELETE metadata with an empty JSON body', del);
  assert.deepEqual(del.ours.body, del.pdns.body);
  // GET and DELETE do not read a body at all.
  sameStatus('GET with an empty JSON body', await oracle.raw('GET', `${Z}/lego.test.?rrsets=false`, { headers: J }));
  await same('GET', `${Z}/lego.test.`);
  await oracle.sameRows('lego.test');
});

test('octoDNS: TXT with escaped semicolons and other escapes, stored and shown as written', async () => {
  await same('POST', Z, { name: 'txt.test.', kind: 'Native', nameservers: ['ns1.txt.test.'] });
  const P = `${Z}/txt.test.`;
  const contents = [
    '"v=DMARC1\\; p=reject\\; rua=mailto:dmarc@txt.test\\; fo=1"', '"v=spf1 include:_spf.txt.test ~all"',
    '"a\\;b" "c\\;d"', '"a\\b"', '"a\\\\;b"', '"x\\059y"', '"a\\ b"', '"café"', '"tab\tinside"', '"semi;colon"',
  ];
  for (const [i, c] of contents.entries()) await same('PATCH', P, one(`t${i}.txt.test.`, 'TXT', [c]));
  await same('PATCH', P, one('spf.txt.test.', 'SPF', ['"v=spf1 a\\; -all"']));
  // TXT data is case-sensitive: two tokens differing only in case are two records (lego: apex + wildcard).
  await same('PATCH', P, one('_acme-challenge.txt.test.', 'TXT', ['"Token-ABC"', '"token-abc"']));
  await same('PATCH', P, one('dup.txt.test.', 'TXT', ['"same"', '"same"']));
  // Still refused as PowerDNS refuses them: unquoted, two strings with odd spacing, a lost quote.
  for (const c of ['unquoted', '"a"  "b"', '"a" b', '"a', '"a" "b" ']) await same('PATCH', P, one('bad.txt.test.', 'TXT', [c]));
  await same('GET', P);
  await same('GET', `${P}?rrset_name=t0.txt.test.&rrset_type=TXT`);
  await oracle.sameRows('txt.test');
});

test('octoDNS dynamic records: raw newlines inside quoted LUA and TXT strings', async () => {
  await same('POST', Z, { name: 'lua.test.', kind: 'Native', nameservers: ['ns1.lua.test.'] });
  const P = `${Z}/lua.test.`;
  // As octodns-powerdns writes them: ';' (a statement list, not an expression), one rule a line.
  const script = [
    'A ";-- octodns-dynamic:v1:eyJwb29scyI6e319',
    "local pools = {eu = {'192.0.2.1'}, us = {'198.51.100.1'}}",
    "if country({'DE', 'FR'}) then return pools.eu end",
    'return pools.us',
    '"',
  ].join('\n');
  await same('PATCH', P, one('dyn.lua.test.', 'LUA', [script]));
  await same('PATCH', P, one('crlf.lua.test.', 'LUA', ["A \";local x = 1\r\nreturn '192.0.2.9'\""]));
  await same('PATCH', P, one('two.lua.test.', 'LUA', ['A ";return " "\'192.0.2.3\'"']));
  await same('PATCH', P, one('lower.lua.test.', 'LUA', ['a "\'192.0.2.4\'"']));
  await same('PATCH', P, one('nl.lua.test.', 'TXT', ['"line1\nline2"']));
  // Newlines between strings are not the canonical form (PowerDNS: "parsed as" one space).
  await same('PATCH', P, one('bad.lua.test.', 'TXT', ['"a"\n"b"']));
  await same('GET', P);
  await oracle.sameRows('lua.test');
});

test('a repeated query parameter: the last value wins, as in PowerDNS', async () => {
  await same('POST', Z, { name: 'q.test.', kind: 'Native', nameservers: ['ns1.q.test.'] });
  await same('PATCH', `${Z}/q.test.`, { rrsets: [
    { name: 'a.q.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1')] },
    { name: 'b.q.test.', type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [rec('"b"')] },
  ] });
  for (const q of ['rrset_name=a.q.test.&rrset_name=b.q.test.', 'rrset_name=b.q.test.&rrset_type=A&rrset_type=TXT', 'rrsets=false&rrsets=true', 'rrsets=true&rrsets=false']) {
    await same('GET', `${Z}/q.test.?${q}`);
  }
  await same('GET', `${Z}?zone=q.test.&zone=other.test.`);
  await same('GET', `${Z}?zone=other.test.&zone=q.test.`);
});

test('?api-key= in the URL is accepted like the header; either one right is enough', async () => {
  for (const [what, path, req] of [
    ['query key', `${Z}?api-key={KEY}`, { key: 'none' }],
    ['wrong query key', `${Z}?api-key=wrong`, { key: 'none' }],
    ['wrong query key, right header', `${Z}?api-key=wrong`, {}],
    ['right query key, wrong header', `${Z}?api-key={KEY}`, { key: 'none', headers: { 'X-API-Key': 'wrong' } }],
    ['query key among others', `${Z}?dnssec=false&api-key={KEY}`, { key: 'none' }],
  ] as const) {
    const r = await oracle.raw('GET', path, req);
    sameStatus(what, r);
    if (r.pdns.status === 200) assert.deepEqual(r.ours.body, r.pdns.body, what);
  }
});

test('after many wrong keys from one address the right key still works (PowerDNS has no lock-out; we answer 429 to more wrong keys)', async () => {
  const ours: number[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await oracle.raw('GET', Z, { key: 'none', headers: { 'X-API-Key': `wrong-${i}` } });
    assert.equal(r.pdns.status, 401);
    ours.push(r.ours.status);
  }
  // (Earlier tests in this file spent some of the 10 allowed failures.)
  const first429 = ours.indexOf(429);
  assert.ok(first429 > 0 && ours.slice(0, first429).every((s) => s === 401) && ours.slice(first429).every((s) => s === 429), ours.join(' '));
  const right = await oracle.raw('GET', `${Z}?dnssec=false`, {});
  sameStatus('the right key after twelve wrong ones', right);
  assert.equal(right.ours.status, 200);
  sameStatus('the right key in the URL too', await oracle.raw('GET', `${Z}?api-key={KEY}`, { key: 'none' }));
});
