// ALIAS expanded through a resolver, against PowerDNS 4.7 with resolver= and
// expand-alias=yes. The "resolver" both ask is a third server on loopback: a
// pdns_server authoritative for target.example (it answers the stub queries
// with the target's records), so no traffic leaves the machine. The same zone
// file goes to pdns_server and to geodns (alias.resolver in its config file);
// the same dig queries to both. TTLs are compared apart: both serve the
// resolved records' TTL, which a cache lowers as it ages.
//
// Not compared: ANY at an ALIAS name (PowerDNS answers the expanded A/AAAA
// only; geodns answers ANY over UDP with one RRset, RFC 8482, and hides the ALIAS).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@geoedge/zonedb/testing';
import { dig, rrLines, scrape, sum, startPdns, startGeodns, tempDir, type DigReply, type Pdns, type Geodns } from './helpers/index.js';

const TARGET_ZONE = `$ORIGIN target.example.
$TTL 120
@ IN SOA ns1 hostmaster 1 7200 900 1209600 60
  IN NS ns1
ns1 IN A 192.0.2.53
lb 30 IN A 198.51.100.1
lb 30 IN A 198.51.100.2
lb 45 IN AAAA 2001:db8::77
v4only IN A 198.51.100.9
www IN CNAME lb
`;
const ZONE = `$ORIGIN alias.test.
$TTL 3600
@ IN SOA ns1 hostmaster 1 7200 900 1209600 300
  IN NS ns1
  IN ALIAS lb.target.example.
  IN MX 10 mail
ns1 IN A 192.0.2.53
mail IN A 192.0.2.25
v4 IN ALIAS v4only.target.example.
chained IN ALIAS www.target.example.
gone 600 IN ALIAS nope.target.example.
out IN ALIAS www.elsewhere.invalid.
to-apex IN CNAME alias.test.
`;

let upstream: Pdns;
let pdns: Pdns;
let geo: Geodns;
let dir: { dir: string; remove: () => void };
before(async () => {
  dir = tempDir('dns-alias');
  for (const d of ['up', 'zones']) mkdirSync(join(dir.dir, d));
  writeFileSync(join(dir.dir, 'up', 'target.example.zone'), TARGET_ZONE);
  writeFileSync(join(dir.dir, 'zones', 'alias.test.zone'), ZONE);
  upstream = await startPdns({ zonesDir: join(dir.dir, 'up') });
  const resolver = `127.0.0.1:${upstream.port}`;
  const config = join(dir.dir, 'geodns.json');
  writeFileSync(config, JSON.stringify({ alias: { resolver: [resolver], maxCacheSeconds: 2 } }));
  [pdns, geo] = await Promise.all([
    startPdns({ zonesDir: join(dir.dir, 'zones'), args: ['--expand-alias=yes', `--resolver=${resolver}`] }),
    startGeodns({ zonesDir: join(dir.dir, 'zones'), args: ['--config', config], metrics: true }),
  ]);
  // The first queries after a load may find the prefetch still running (SERVFAIL): wait it out.
  await waitFor('geodns has resolved the apex ALIAS', async () => ((await dig(geo, ['alias.test', 'A'])).answer.length ? true : undefined), 10_000);
});
after(async () => {
  await Promise.all([pdns?.stop(), geo?.stop(), upstream?.stop()]);
  dir?.remove();
});

const QUERIES: string[][] = [
  ['alias.test', 'A'], ['alias.test', 'AAAA'], ['alias.test', 'MX'], ['alias.test', 'NS'], ['alias.test', 'TYPE65401'],
  ['v4.alias.test', 'A'], ['v4.alias.test', 'AAAA'], ['chained.alias.test', 'A'],
  ['gone.alias.test', 'A'], ['out.alias.test', 'AAAA'], ['to-apex.alias.test', 'A'], ['alias.test', 'A', '+tcp'],
];

function summary(r: DigReply): Record<string, unknown> {
  return { status: r.status, aa: r.flags.has('aa'), tc: r.flags.has('tc') };
}

for (const args of QUERIES) {
  test(`dig ${args.join(' ')}`, async () => {
    const [want, got] = await Promise.all([dig(pdns, args), dig(geo, args)]);
    const ctx = `\n--- PowerDNS:\n${want.text}\n--- geodns:\n${got.text}`;
    assert.deepEqual(summary(got), summary(want), `rcode/flags differ:${ctx}`);
    assert.deepEqual(rrLines(got.answer, { ttl: false }), rrLines(want.answer, { ttl: false }), `answer differs:${ctx}`);
    assert.deepEqual(rrLines(got.authority), rrLines(want.authority), `authority differs:${ctx}`);
    for (const a of got.answer) if (a.type === 'A' || a.type === 'AAAA') assert.ok(a.ttl <= 120, `the resolved TTL (≤ 120), not the ALIAS's 3600: ${a.ttl}`);
  });
}

test('a change at the target is followed once the short cache expires (maxCacheSeconds: 2)', async () => {
  writeFileSync(join(dir.dir, 'up', 'target.example.zone'), TARGET_ZONE.replace('v4only IN A 198.51.100.9', 'v4only IN A 198.51.100.10'));
  await upstream.stop();
  const again = await startPdns({ zonesDir: join(dir.dir, 'up'), port: upstream.port });
  upstream = again;
  const got = await waitFor('geodns serves the new address', async () => {
    const a = (await dig(geo, ['v4.alias.test', 'A'])).answer.map((x) => x.data);
    return a.includes('198.51.100.10') ? a : undefined;
  }, 15_000);
  assert.deepEqual(got, ['198.51.100.10']);
});

test('look-ups are counted by result', async () => {
  const samples = await scrape(geo.metricsUrl!);
  assert.ok(sum(samples, 'geodns_alias_fetches_total', { result: 'ok' }) >= 3, 'lb A, lb AAAA, v4only A');
  assert.ok(sum(samples, 'geodns_alias_fetches_total', { result: 'nodata' }) >= 1, 'v4only AAAA');
  assert.ok(sum(samples, 'geodns_alias_fetches_total', { result: 'fail' }) >= 2, 'nope.target.example, www.elsewhere.invalid');
});

test('without a resolver the ALIAS is served as itself and A answers NODATA (PowerDNS without resolver=)', async () => {
  const plain = await startGeodns({ zonesDir: join(dir.dir, 'zones') });
  try {
    const a = await dig(plain, ['alias.test', 'A']);
    assert.equal(a.status, 'NOERROR');
    assert.deepEqual(a.answer, []);
    assert.deepEqual((await dig(plain, ['alias.test', 'TYPE65401'])).answer.map((x) => x.type), ['TYPE65401']);
  } finally {
    await plain.stop();
  }
});
