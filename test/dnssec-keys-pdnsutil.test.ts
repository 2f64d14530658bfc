// PowerDNS's pdnsutil as the oracle for the DNSSEC key library
// (packages/dnsdata/src/dnssec): on a gmysql database made by our migrate(),
//   1. keys pdnsutil generates (secure-zone, add-zone-key for the three
//      algorithms) give, from the stored cryptokeys.content, the DNSKEY, key tag,
//      bits and DS digests pdnsutil prints;
//   2. keys our library generates, written into cryptokeys, pass
//      `pdnsutil check-zone` and are shown by `show-zone` exactly as we compute them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePrivateKey, formatPrivateKey, generateKey, dnskeyRdata, dnskeyText, keyTag, dsRdata, dsText, keyTypes, type DnssecKey,
} from '@geoedge/dnsdata';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, sharedMariaDb, pdnsutilFor, runProgram, type Pdnsutil, type ScratchDb } from './helpers/zonedb.js';

let s: ScratchDb;
let pu: Pdnsutil;

const pdnsutil = (...args: string[]): Promise<string> => pu.run(...args);

interface KeyRow { id: number; flags: number; active: number; published: number; content: string }

async function keyRows(zone: string): Promise<KeyRow[]> {
  return (await s.db.query('SELECT k.id, k.flags, k.active, k.published, k.content FROM cryptokeys k JOIN domains d ON d.id = k.domain_id WHERE d.name = ? ORDER BY k.id', [zone])) as KeyRow[];
}

function parsed(content: string): DnssecKey {
  const r = parsePrivateKey(content);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.key;
}

/** What show-zone prints for one key: "ID = 1 (CSK), flags = 257, tag = 58256, algo = 13, bits = 256 Active Published". */
function showZoneLine(row: KeyRow, type: string, key: DnssecKey): string {
  const tag = keyTag(dnskeyRdata(row.flags, key));
  return `ID = ${row.id} (${type.toUpperCase()}), flags = ${row.flags}, tag = ${tag}, algo = ${key.algorithm.number}, bits = ${key.bits} ${row.active ? 'Active' : 'Inactive'} ${row.published ? 'Published' : 'Unpublished'}`;
}

function showZoneKeyLines(out: string): string[] {
  // show-zone orders keys by role, then id; we compare sets.
  return out.split('\n').filter((l) => l.startsWith('ID = ')).map((l) => l.replace(/\(\s*\S+\s*\)\s*$/, '').replace(/\s+/g, ' ').trim()).sort();
}

/** DNSKEY and DS lines show-zone prints, normalised to "DNSKEY <rdata>" / "DS <rdata>". */
function showZoneRecords(out: string): string[] {
  const lines: string[] = [];
  for (const l of out.split('\n')) {
    const m = /IN (DNSKEY|DS) ([^;]+?)\s*;/.exec(l);
    if (m) lines.push(`${m[1]} ${m[2]}`);
  }
  return lines.sort();
}

function ourRecords(zone: string, rows: KeyRow[]): string[] {
  const types = keyTypes(rows.map((r) => ({ flags: r.flags, active: r.active === 1, algorithm: parsed(r.content).algorithm.number })));
  const lines: string[] = [];
  rows.forEach((row, i) => {
    const rdata = dnskeyRdata(row.flags, parsed(row.content));
    if (types[i] === 'zsk') return; // show-zone prints DNSKEY and DS for KSKs and CSKs only
    lines.push(`DNSKEY ${dnskeyText(rdata)}`);
    for (const d of [2, 4] as const) lines.push(`DS ${dsText(dsRdata(zone, rdata, d))}`);
  });
  return lines.sort();
}

before(async () => {
  const server = await sharedMariaDb();
  s = await scratchDatabase('dnssec_keys');
  assert.ok((await migrate(s.db)).ok);
  pu = await pdnsutilFor(server, s.name, 'geoedge-dnssec-keys-');
});
after(async () => {
  await s?.drop();
  await pu?.remove();
});

test('keys pdnsutil made: our DNSKEY, tag, bits and DS equal show-zone, export-zone-dnskey and export-zone-ds', async () => {
  const zone = 'pdns-made.test';
  await pdnsutil('create-zone', zone, `ns1.${zone}`);
  await pdnsutil('secure-zone', zone);
  await pdnsutil('add-zone-key', zone, 'zsk', 'active', 'ed25519');
  await pdnsutil('add-zone-key', zone, 'ksk', 'inactive', 'rsasha256', '2048');
  await pdnsutil('add-zone-key', zone, 'zsk', 'inactive', 'unpublished', 'ecdsa256');
  await pdnsutil('add-zone-key', zone, 'zsk', 'inactive', 'rsasha256', '1024');
  const rows = await keyRows(zone);
  assert.equal(rows.length, 5);
  const types = keyTypes(rows.map((r) => ({ flags: r.flags, active: r.active === 1, algorithm: parsed(r.content).algorithm.number })));
  const show = await pdnsutil('show-zone', zone);
  assert.deepEqual(showZoneKeyLines(show), rows.map((r, i) => showZoneLine(r, types[i]!, parsed(r.content))).sort(), show);
  assert.deepEqual(showZoneRecords(show), ourRecords(zone, rows), show);
  for (const row of rows) {
    const out = await pdnsutil('export-zone-dnskey', zone, String(row.id));
    assert.equal(out.trim(), `${zone} IN DNSKEY ${dnskeyText(dnskeyRdata(row.flags, parsed(row.content)))}`);
    assert.equal(formatPrivateKey(parsed(row.content)), row.content, 'our text of the key is byte-identical to what pdnsutil stored');
  }
  const ds = (await pdnsutil('export-zone-ds', zone)).split('\n').filter((l) => l.includes(' IN DS ')).map((l) => `DS ${/IN DS ([^;]+?)\s*;/.exec(l)![1]}`).sort();
  assert.deepEqual(ds, ourRecords(zone, rows).filter((l) => l.startsWith('DS ')));
});

test('keys our library made, stored in cryptokeys: pdnsutil check-zone accepts them, show-zone prints what we compute', async () => {
  const zone = 'geoedge-made.test';
  await pdnsutil('create-zone', zone, `ns1.${zone}`);
  const [domain] = (await s.db.query('SELECT id FROM domains WHERE name = ?', [zone])) as Array<{ id: number }>;
  const made: Array<[string | number, number | undefined, number, boolean, boolean]> = [
    ['ECDSAP256SHA256', undefined, 257, true, true],
    ['ed25519', undefined, 256, true, true],
    [8, 2048, 256, false, true],
    [8, 3072, 257, false, false],
    ['ecdsa256', undefined, 256, true, true],
  ];
  for (const [alg, bits, flags, active, published] of made) {
    const g = await generateKey(alg, bits);
    assert.ok(g.ok);
    await s.db.execute('INSERT INTO cryptokeys (domain_id, flags, active, published, content) VALUES (?, ?, ?, ?, ?)', [domain!.id, flags, active, published, formatPrivateKey(g.key)]);
  }
  const check = await pdnsutil('check-zone', zone);
  assert.match(check, /0 errors/, check);
  const rows = await keyRows(zone);
  const types = keyTypes(rows.map((r) => ({ flags: r.flags, active: r.active === 1, algorithm: parsed(r.content).algorithm.number })));
  assert.deepEqual(types, ['ksk', 'csk', 'csk', 'csk', 'zsk'], 'split per algorithm, as PowerDNS');
  const show = await pdnsutil('show-zone', zone);
  assert.deepEqual(showZoneKeyLines(show), rows.map((r, i) => showZoneLine(r, types[i]!, parsed(r.content))).sort(), show);
  assert.deepEqual(showZoneRecords(show), ourRecords(zone, rows), show);
});

test('a key pdnsutil cannot use is one we refuse too: check-zone on garbage content fails', async () => {
  const zone = 'garbage.test';
  await pdnsutil('create-zone', zone, `ns1.${zone}`);
  const [domain] = (await s.db.query('SELECT id FROM domains WHERE name = ?', [zone])) as Array<{ id: number }>;
  const garbage = 'Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: AAAA\n';
  await s.db.execute('INSERT INTO cryptokeys (domain_id, flags, active, published, content) VALUES (?, 257, 1, 1, ?)', [domain!.id, garbage]);
  assert.equal(parsePrivateKey(garbage).ok, false);
  const r = await runProgram('pdnsutil', [`--config-dir=${pu.dir}`, 'check-zone', zone]);
  assert.notEqual(r.code, 0, `pdnsutil accepted it:\n${r.stdout}${r.stderr}`);
});
