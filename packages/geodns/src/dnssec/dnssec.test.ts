// The signing core without sockets: canonical order and form, type bitmaps,
// validity windows, key rows from PowerDNS's table (bad ones skipped, roles),
// the NSEC chain, signatures that verify, and keys surviving the disk cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPrivateKey, generateKey, parseMasterFile, verifyData, publicKeyFromDnskey, TYPE, type DnssecKey } from '@geoedge/dnsdata';
import { createLogger } from '@geoedge/shared';
import { buildZone, type ZoneData } from '../zones/zone.js';
import { readCache, writeCache } from '../zones/db-cache.js';
import { createDbZoneSource } from '../zones/db-source.js';
import { parseDbUrl } from '@geoedge/zonedb';
import { canonicalSet, compareNames, labelCount } from './canonical.js';
import { typeBitmap } from './denial.js';
import { canonicalKey, nsecAt } from './nsec-chain.js';
import { rrsigRdata, windowAt } from './rrsig.js';
import { SignatureCache } from './sig-cache.js';
import { zoneKeys, type KeyRow } from './zone-keys.js';
import { secureZone } from './secure-zone.js';

async function key(alg: string): Promise<DnssecKey> {
  const r = await generateKey(alg);
  assert.ok(r.ok);
  return r.key;
}

const row = (id: number, flags: number, content: string, active = true, published = true): KeyRow => ({ id, flags, active, published, content });

function zone(text: string): ZoneData {
  const p = parseMasterFile(text, { origin: 'example.test.', file: 't' });
  assert.deepEqual(p.errors, []);
  const r = buildZone('example.test.', p.records, 't');
  assert.ok(r.ok, r.problems.join('; '));
  return r.zone;
}

const ZONE = [
  '$TTL 300', '@ SOA ns1 hostmaster 1 3600 600 604800 60', '@ NS ns1', 'ns1 A 192.0.2.53',
  'www A 192.0.2.1', 'www A 192.0.2.2', 'Mail MX 10 WWW', 'a.deep A 192.0.2.3', 'cut NS ns.cut', 'ns.cut A 192.0.2.9', '*.wild TXT "w"', '',
].join('\n');

test('canonical name order is RFC 4034 §6.1 (the example list) and the sort key agrees', () => {
  const ordered = ['example.', 'a.example.', 'yljkjljk.a.example.', 'Z.a.example.', 'zABC.a.EXAMPLE.', 'z.example.', '\\001.z.example.', '*.z.example.', '\\200.z.example.'];
  const shuffled = [...ordered].reverse();
  assert.deepEqual(shuffled.sort(compareNames), ordered);
  const byKey = [...ordered].reverse().sort((a, b) => Buffer.compare(canonicalKey(a), canonicalKey(b)));
  assert.deepEqual(byKey, ordered);
});

test('canonical RDATA: names lower-cased, records sorted and de-duplicated; label counts skip * and the root', () => {
  const set = canonicalSet(TYPE.MX, [{ kind: 'mx', preference: 10, exchange: 'B.Example.' }, { kind: 'mx', preference: 10, exchange: 'a.example.' }, { kind: 'mx', preference: 10, exchange: 'A.EXAMPLE.' }]);
  assert.equal(set.length, 2);
  assert.equal(set[0]!.subarray(2).toString('latin1'), '\x01a\x07example\x00');
  assert.equal(labelCount('*.a.example.'), 2);
  assert.equal(labelCount('a.example.'), 2);
  assert.equal(labelCount('.'), 0);
});

test('type bitmaps (RFC 4034 §4.1.2 example: A MX RRSIG NSEC TYPE1234)', () => {
  assert.equal(typeBitmap([1, 15, 46, 47, 1234]).toString('hex'), '0006400100000003' + '041b' + '00'.repeat(26) + '20');
});

test('validity windows are whole weeks as PowerDNS: inception a week back, expiration two ahead', () => {
  const t = Date.UTC(2026, 11, 7, 3, 0, 0) / 1000;
  const w = windowAt(t);
  assert.equal((w.expiration - w.inception) / 86400, 21);
  assert.ok(w.inception <= t - 7 * 86400 && w.inception > t - 14 * 86400);
  assert.deepEqual(windowAt(t + 3600), w, 'the same window all week');
});

test('key rows: garbage, unknown algorithms and bad flags are skipped with a reason; roles as PowerDNS', async () => {
  const ksk = await key('ecdsa256');
  const zsk = await key('ecdsa256');
  const ed = await key('ed25519');
  const r = zoneKeys('example.test.', [
    row(1, 257, formatPrivateKey(ksk)), row(2, 256, formatPrivateKey(zsk)), row(3, 256, formatPrivateKey(ed), false),
    row(4, 257, 'garbage'), row(5, 257, formatPrivateKey(ksk).replace('Algorithm: 13 (ECDSAP256SHA256)', 'Algorithm: 14 (ECDSAP384SHA384)')),
    row(6, 1, formatPrivateKey(zsk)),
  ], new Map([['PUBLISH-CDS', ['2']], ['PUBLISH-CDNSKEY', ['1']]]), 60);
  assert.equal(r.problems.length, 3, r.problems.join('\n'));
  assert.match(r.problems.join('\n'), /key 4: .*; key skipped/);
  assert.match(r.problems.join('\n'), /key 5: unsupported algorithm/);
  assert.match(r.problems.join('\n'), /key 6: flags 1 /);
  assert.ok(r.signing);
  assert.deepEqual(r.signing.ksks.map((k) => k.flags), [257]);
  assert.deepEqual(r.signing.zsks.map((k) => k.flags), [256], 'the inactive Ed25519 key does not sign');
  const types = r.records.map((x) => x.type).sort((a, b) => a - b);
  assert.deepEqual(types, [TYPE.DNSKEY, TYPE.DNSKEY, TYPE.DNSKEY, 59, 60], 'three published DNSKEYs, CDS and CDNSKEY of the KSK');
  assert.equal(r.records[0]!.ttl, 60);
  const none = zoneKeys('example.test.', [row(1, 257, 'garbage')], new Map(), 60);
  assert.equal(none.signing, undefined);
  assert.match(none.problems.join('\n'), /served unsigned/);
});

test('PUBLISH-CDS / PUBLISH-CDNSKEY values: 0 is RFC 8078 delete (alone, whatever else is listed); garbage is skipped with a reason, keys still served', async () => {
  const ksk = await key('ecdsa256');
  const cds = (meta: Array<[string, string[]]>) => {
    const r = zoneKeys('example.test.', [row(1, 257, formatPrivateKey(ksk))], new Map(meta), 60);
    return { r, of: (t: number) => r.records.filter((x) => x.type === t).map((x) => (x.data as { bytes: Buffer }).bytes.toString('hex')) };
  };
  const del = cds([['PUBLISH-CDS', ['0, 2']], ['PUBLISH-CDNSKEY', ['0']]]);
  assert.deepEqual(del.of(59), ['0000000000'], 'CDS 0 0 0 00 only');
  assert.deepEqual(del.of(60), ['0000030000'], 'CDNSKEY 0 3 0 AA==');
  assert.deepEqual(del.r.problems, []);
  const bad = cds([['PUBLISH-CDS', ['2, 7, x']], ['PUBLISH-CDNSKEY', ['yes']]]);
  assert.equal(bad.of(59).length, 1, 'the SHA-256 CDS of the KSK');
  assert.deepEqual(bad.of(60), [], 'no CDNSKEY for a value other than 0 or 1');
  assert.match(bad.r.problems.join('\n'), /digest type "7" is not 0 \(delete\), 2/);
  assert.match(bad.r.problems.join('\n'), /digest type "x"/);
  assert.equal(bad.of(TYPE.DNSKEY).length, 1);
  assert.ok(bad.r.signing);
});

test('NSEC chain: names with data in canonical order, nothing below a cut, empty non-terminals left out', () => {
  const z = zone(ZONE);
  assert.deepEqual(nsecAt(z, 'nothere.example.test.'), { owner: 'mail.example.test.', next: 'ns1.example.test.' });
  assert.deepEqual(nsecAt(z, 'deep.example.test.'), { owner: 'cut.example.test.', next: 'a.deep.example.test.' });
  assert.deepEqual(nsecAt(z, 'zzz.example.test.'), { owner: 'www.example.test.', next: 'example.test.' }, 'the last wraps to the apex');
  assert.deepEqual(nsecAt(z, 'x.ns.cut.example.test.').owner, 'cut.example.test.', 'glue is not in the chain');
});

test('an RRSIG made here verifies with the DNSKEY over the canonical RRset; the cache serves it again', async () => {
  const k = await key('ecdsa256');
  const z = zone(ZONE);
  const sec = secureZone('example.test.', [], [row(1, 257, formatPrivateKey(k))], new Map(), createLogger({ name: 'test', level: 'silent' }), new Set());
  const sk = sec.signing!.zsks[0]!;
  const cache = new SignatureCache(10);
  const www = z.nodes.get('www.example.test.')!.rrsets[0]!;
  const w = windowAt(Math.floor(Date.now() / 1000));
  const set = { owner: 'www.example.test.', type: TYPE.A, ttl: 300, records: www.records };
  const rd = rrsigRdata(set, sk, 'example.test.', w, cache);
  const again = rrsigRdata({ ...set, records: [...www.records].reverse() }, sk, 'example.test.', w, cache);
  assert.deepEqual(again, rd, 'record order does not matter');
  assert.deepEqual(cache.counts, { hits: 1, misses: 1 });
  const signer = Buffer.from('\x07example\x04test\x00', 'latin1');
  const head = rd.subarray(0, 18 + signer.length);
  const rrs = ['192.0.2.1', '192.0.2.2'].map((a) => Buffer.concat([Buffer.from('\x03www\x07example\x04test\x00', 'latin1'), Buffer.from([0, 1, 0, 1, 0, 0, 1, 44, 0, 4]), Buffer.from(a.split('.').map(Number))]));
  assert.ok(verifyData(13, publicKeyFromDnskey(sk.dnskey)!, Buffer.concat([head, ...rrs]), rd.subarray(head.length)));
});

test('a zone\'s keys and DNSSEC metadata survive the disk cache, so a start from it is signed', async () => {
  const k = await key('ed25519');
  const dir = mkdtempSync(join(tmpdir(), 'geodns-dnssec-cache-'));
  try {
    const dnssec = { keys: [row(7, 257, formatPrivateKey(k))], meta: [['NSEC3PARAM', ['1 0 0 -']]] as [string, string[]][] };
    const w = await writeCache(join(dir, 'c.jsonl'), 'mysql://x', [{ id: 1, zone: zone(ZONE), dnssec }]);
    assert.ok(w.ok);
    const r = await readCache(join(dir, 'c.jsonl'), 'mysql://x');
    assert.equal(r.kind, 'ok');
    assert.deepEqual(r.kind === 'ok' && r.zones[0]!.dnssec, dnssec);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('started from the disk cache with the database away, a zone with keys is served signed', async () => {
  const k = await key('ecdsa256');
  const dir = mkdtempSync(join(tmpdir(), 'geodns-dnssec-cache-'));
  const url = 'mysql://nobody@127.0.0.1:1/pdns';
  const parsed = parseDbUrl(url);
  assert.ok(parsed.ok);
  const file = join(dir, 'c.jsonl');
  try {
    assert.ok((await writeCache(file, parsed.settings.display, [{ id: 1, zone: zone(ZONE), dnssec: { keys: [row(1, 257, formatPrivateKey(k))], meta: [] } }])).ok);
    let served: ZoneData[] = [];
    const src = createDbZoneSource({ url, cacheFile: file, log: createLogger({ name: 'test', level: 'silent' }), onZones: (z) => (served = z), maxBackoffMs: 60_000 });
    await src.start();
    await src.close();
    assert.equal(served.length, 1);
    assert.ok(served[0]!.signing, 'signing keys rebuilt from the cached rows');
    assert.equal(served[0]!.signing.zsks[0]!.algorithm, 13);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
