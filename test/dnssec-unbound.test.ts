// Online DNSSEC signing checked by a real validating resolver: geodns serves
// zones from a PowerDNS gmysql database whose `cryptokeys` hold the keys, and
// Debian's unbound, with the zones' DS records as trust anchors and geodns as
// the stub, must set AD on every answer: static A/AAAA/MX/TXT, DNSKEY, a
// wildcard, a CNAME into another served (and signed) zone, NXDOMAIN, NODATA, a
// delegation with DS (a signed child validates through it) and one without
// (proven insecure). Denial both ways: the zone's NSEC chain (default) and
// compact denial (dnssec.denial: compact, NOERROR + NSEC NXNAME), each geodns
// with its own unbound. A pickclosest LUA
// record is asked of geodns directly with ECS for two regions and its RRSIG
// checked here with node:crypto. A zone whose key row has the wrong algorithm
// is served unsigned, so unbound, which has its DS, answers SERVFAIL: the
// proof that these checks can fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  generateKey, formatPrivateKey, dnskeyRdata, dsRdata, dsText, keyTag, verifyData, type DnssecKey,
} from '@geoedge/dnsdata';
import { migrate, type Db } from '@geoedge/zonedb';
import { scratchDatabase, insertZone, basicZone, type ScratchDb } from './helpers/zonedb.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig, startGeodns, startUnbound, tempDir, type Geodns, type Unbound, type DigReply, type Rec } from './helpers/index.js';
import { MMDB, openGeo, sampleClients, type Client } from './helpers/pdns-lua.js';

let scratch: ScratchDb;
let db: Db;
let g: Geodns;
let ub: Unbound;
let gc: Geodns;   // dnssec.denial: compact
let ubc: Unbound;
let zsk: DnssecKey;
let pops: Client[];
let conf: { dir: string; remove: () => void };
let files: { dir: string; remove: () => void };
let roll: { domainId: number };
const anchors: string[] = [];

async function key(alg: string): Promise<DnssecKey> {
  const r = await generateKey(alg);
  assert.ok(r.ok);
  return r.key;
}

async function addKey(domainId: number, flags: number, k: DnssecKey, content = formatPrivateKey(k)): Promise<void> {
  await db.execute('INSERT INTO cryptokeys (domain_id, flags, active, published, content) VALUES (?, ?, 1, 1, ?)', [domainId, flags, content]);
}

const ds = (zone: string, flags: number, k: DnssecKey) => dsText(dsRdata(`${zone}.`, dnskeyRdata(flags, k), 2));

before(async () => {
  scratch = await scratchDatabase('dnssec_unbound');
  db = scratch.db;
  assert.ok((await migrate(db)).ok);
  const geo = await openGeo();
  const sample = sampleClients(geo, 40, 7);
  await geo.close();
  pops = ['NA', 'EU'].map((c) => sample.find((s) => s.geo.continent === c)!);
  const popAddr = (c: Client) => c.subnet.replace(/\.0$/, '.1');

  const childKey = await key('ecdsa256');
  const ksk = await key('ecdsa256');
  zsk = await key('ecdsa256');
  const Z = 'signed.test';
  const z = await insertZone(db, Z, [
    ...basicZone(Z),
    { name: `mail.${Z}`, type: 'A', content: '192.0.2.25' },
    { name: `www.${Z}`, type: 'AAAA', content: '2001:db8::10' },
    { name: `*.wild.${Z}`, type: 'A', content: '192.0.2.77' },
    { name: `alias.${Z}`, type: 'CNAME', content: 'www.other.test' },
    { name: `host.deep.${Z}`, type: 'A', content: '192.0.2.30' },
    { name: `geo.${Z}`, type: 'LUA', content: `A "pickclosest({'${popAddr(pops[0]!)}','${popAddr(pops[1]!)}'})"`, ttl: 30 },
    { name: `big.${Z}`, type: 'TXT', content: `"${'x'.repeat(250)}" "${'y'.repeat(250)}"` },
    { name: `secure.${Z}`, type: 'NS', content: `ns1.secure.${Z}`, auth: 0 },
    { name: `secure.${Z}`, type: 'DS', content: ds(`secure.${Z}`, 257, childKey) },
    { name: `insecure.${Z}`, type: 'NS', content: `ns1.insecure.${Z}`, auth: 0 },
    { name: `away.${Z}`, type: 'NS', content: 'ns.away.example', auth: 0 },
  ]);
  await db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'ENABLE-LUA-RECORDS', '1'), (?, 'PUBLISH-CDS', '2'), (?, 'PUBLISH-CDNSKEY', '1')", [z.domainId, z.domainId, z.domainId]);
  await addKey(z.domainId, 257, ksk);
  await addKey(z.domainId, 256, zsk);
  anchors.push(`${Z}. DS ${ds(Z, 257, ksk)}`);

  const other = await insertZone(db, 'other.test', basicZone('other.test'));
  const csk = await key('ed25519');
  await addKey(other.domainId, 257, csk);
  anchors.push(`other.test. DS ${ds('other.test', 257, csk)}`);

  const child = await insertZone(db, `secure.${Z}`, basicZone(`secure.${Z}`));
  await addKey(child.domainId, 257, childKey);
  await insertZone(db, `insecure.${Z}`, basicZone(`insecure.${Z}`));

  // The key's own algorithm is 13; the row says 8: unusable, so the zone goes out unsigned.
  const broken = await insertZone(db, 'broken.test', basicZone('broken.test'));
  const bk = await key('ecdsa256');
  await addKey(broken.domainId, 257, bk, formatPrivateKey(bk).replace(/^Algorithm: 13 \(ECDSAP256SHA256\)$/m, 'Algorithm: 8 (RSASHA256)'));
  anchors.push(`broken.test. DS ${ds('broken.test', 257, bk)}`);

  // A zone file with its key in dnssec.keyDir (zones/key-dir.ts), served beside the database zones.
  files = tempDir('dnssec-files');
  mkdirSync(join(files.dir, 'zones'));
  mkdirSync(join(files.dir, 'keys', 'files.test'), { recursive: true });
  writeFileSync(join(files.dir, 'zones', 'files.test.zone'), '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 604800 60\n@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.80\n');
  const fk = await key('ecdsa256');
  writeFileSync(join(files.dir, 'keys', 'files.test', '1.csk.private'), formatPrivateKey(fk));
  writeFileSync(join(files.dir, 'geodns.yaml'), `dnssec: { keyDir: ${join(files.dir, 'keys')} }\n`);
  anchors.push(`files.test. DS ${ds('files.test', 257, fk)}`);
  // ZSK pre-publication rollover, done by editing cryptokeys as the API would.
  roll = await insertZone(db, 'roll.test', basicZone('roll.test'));
  const rollKsk = await key('ecdsa256');
  await addKey(roll.domainId, 257, rollKsk);
  await addKey(roll.domainId, 256, await key('ecdsa256'));
  anchors.push(`roll.test. DS ${ds('roll.test', 257, rollKsk)}`);
  const stubs = [Z, 'other.test', `secure.${Z}`, `insecure.${Z}`, 'broken.test', 'files.test', 'roll.test'];
  g = await startGeodns({ zonesDir: join(files.dir, 'zones'), args: ['--config', join(files.dir, 'geodns.yaml'), '--db', scratch.url, '--geoip', MMDB], readyTimeoutMs: 30_000 });
  await g.waitForLog((l) => l.msg === 'zones loaded from the database', 20_000);
  ub = await startUnbound({ stubs, target: g, anchors });
  conf = tempDir('dnssec-compact');
  writeFileSync(join(conf.dir, 'geodns.yaml'), 'dnssec: { denial: compact }\n');
  gc = await startGeodns({ args: ['--config', join(conf.dir, 'geodns.yaml'), '--db', scratch.url, '--geoip', MMDB], readyTimeoutMs: 30_000 });
  await gc.waitForLog((l) => l.msg === 'zones loaded from the database', 20_000);
  ubc = await startUnbound({ stubs, target: gc, anchors });
});

after(async () => {
  await ub?.stop();
  await g?.stop();
  await ubc?.stop();
  await gc?.stop();
  conf?.remove();
  files?.remove();
  await scratch?.drop();
});

// A validating resolver may send several queries per answer: a generous timeout for a loaded machine.
const viaUnbound = (name: string, type: string) => dig(ub, ['+dnssec', '+time=10', name, type]);
const direct = (name: string, type: string, ...more: string[]) => dig(g, ['+dnssec', '+norecurse', name, type, ...more]);
const data = (r: DigReply, type: string) => r.answer.filter((a) => a.type === type).map((a) => a.data).sort();

function assertValid(r: DigReply, what: string): void {
  assert.equal(r.status, 'NOERROR', `${what}: status\n${r.text}`);
  assert.ok(r.flags.has('ad'), `${what}: unbound set no AD bit\n${r.text}`);
}

test('static A, AAAA, MX, TXT and DNSKEY validate through unbound (AD) with the right data', async () => {
  let r = await viaUnbound('www.signed.test', 'A');
  assertValid(r, 'A');
  assert.deepEqual(data(r, 'A'), ['192.0.2.10']);
  r = await viaUnbound('www.signed.test', 'AAAA');
  assertValid(r, 'AAAA');
  assert.deepEqual(data(r, 'AAAA'), ['2001:db8::10']);
  r = await viaUnbound('signed.test', 'MX');
  assertValid(r, 'MX');
  assert.deepEqual(data(r, 'MX'), ['10 mail.signed.test.']);
  r = await viaUnbound('signed.test', 'TXT');
  assertValid(r, 'TXT');
  assert.deepEqual(data(r, 'TXT'), ['"v=spf1 -all"']);
  r = await viaUnbound('signed.test', 'DNSKEY');
  assertValid(r, 'DNSKEY');
  assert.equal(data(r, 'DNSKEY').length, 2, 'KSK and ZSK published');
  // PUBLISH-CDS / PUBLISH-CDNSKEY (RFC 7344): the KSK's, signed by the KSK.
  r = await viaUnbound('signed.test', 'CDS');
  assertValid(r, 'CDS');
  assert.deepEqual(r.answer.filter((a) => a.type === 'CDS').map((a) => a.data.toLowerCase().replace(/(\S+ \S+ \S+ )(.*)/, (_m, h: string, d: string) => h + d.replace(/ /g, ''))), [anchors[0]!.split(' DS ')[1]!.toLowerCase()]);
  r = await viaUnbound('signed.test', 'CDNSKEY');
  assertValid(r, 'CDNSKEY');
  assert.equal(r.answer.filter((a) => a.type === 'CDNSKEY').length, 1);
});

for (const mode of ['nsec', 'compact'] as const) {
  const res = () => (mode === 'nsec' ? ub : ubc);
  const srv = () => (mode === 'nsec' ? g : gc);

  test(`${mode}: a wildcard answer validates; its RRSIG counts the labels of the wildcard, not of the query name`, async () => {
    const r = await dig(res(), ['+dnssec', '+time=10', 'a.b.wild.signed.test', 'A']);
    assertValid(r, 'wildcard');
    assert.deepEqual(data(r, 'A'), ['192.0.2.77']);
    const d = await dig(srv(), ['+dnssec', '+norecurse', 'a.b.wild.signed.test', 'A']);
    const sig = d.answer.find((a) => a.type === 'RRSIG')!;
    assert.equal(sig.data.split(' ')[2], '3', `labels of *.wild.signed.test\n${d.text}`);
    assert.ok(d.authority.some((a) => a.type === 'NSEC'), 'the next closer name is denied');
  });

  test(`${mode}: NXDOMAIN is proven and validates`, async () => {
    const r = await dig(res(), ['+dnssec', '+time=10', 'nothere.signed.test', 'A']);
    assert.ok(r.flags.has('ad'), r.text);
    assert.equal(r.status, mode === 'nsec' ? 'NXDOMAIN' : 'NOERROR', r.text);
    assert.equal(r.answer.length, 0);
    const d = await dig(srv(), ['+dnssec', '+norecurse', 'nothere.signed.test', 'A']);
    const nsec = d.authority.filter((a) => a.type === 'NSEC');
    if (mode === 'compact') {
      // RFC 9824: NOERROR, one NSEC owned by the name, next = its successor, bitmap RRSIG NSEC NXNAME.
      assert.equal(nsec.length, 1, d.text);
      assert.equal(nsec[0]!.name, 'nothere.signed.test.');
      assert.match(nsec[0]!.data, /^\\000\.nothere\.signed\.test\. RRSIG NSEC (TYPE128|NXNAME)$/);
    } else {
      // The chain: mail < nothere < ns1 covers the name; the apex's NSEC covers *.signed.test.
      assert.deepEqual(nsec.map((a) => `${a.name} ${a.data.split(' ')[0]}`).sort(), ['mail.signed.test. ns1.signed.test.', 'signed.test. alias.signed.test.'], d.text);
    }
    const plain = await dig(srv(), ['+norecurse', 'nothere.signed.test', 'A']);
    assert.equal(plain.status, 'NXDOMAIN', 'without DO the answer is the plain NXDOMAIN');
  });

  test(`${mode}: NODATA at a name and at an empty non-terminal validates`, async () => {
    let r = await dig(res(), ['+dnssec', '+time=10', 'www.signed.test', 'TXT']);
    assertValid(r, 'NODATA');
    assert.equal(r.answer.length, 0);
    r = await dig(res(), ['+dnssec', '+time=10', 'deep.signed.test', 'A']);
    assertValid(r, 'ENT NODATA');
    r = await dig(res(), ['+dnssec', '+time=10', 'x.wild.signed.test', 'TXT']);
    assertValid(r, 'wildcard NODATA');
  });

  test(`${mode}: a delegation without DS is proven insecure: its child answers without AD, not SERVFAIL`, async () => {
    let r = await dig(res(), ['+dnssec', '+time=10', 'insecure.signed.test', 'DS']);
    assertValid(r, 'no DS');
    assert.equal(r.answer.length, 0);
    r = await dig(res(), ['+dnssec', '+time=10', 'www.insecure.signed.test', 'A']);
    assert.equal(r.status, 'NOERROR', r.text);
    assert.ok(!r.flags.has('ad'), 'an insecure child is not authenticated');
    const d = await dig(srv(), ['+dnssec', '+norecurse', 'host.away.signed.test', 'A']);
    const nsec = d.authority.find((a) => a.type === 'NSEC');
    assert.ok(nsec && nsec.name === 'away.signed.test.' && /\bNS\b/.test(nsec.data) && !/\bDS\b/.test(nsec.data), d.text);
    assert.ok(d.authority.some((a) => a.type === 'RRSIG' && a.data.startsWith('NSEC ')), 'the NSEC is signed');
    assert.ok(!d.authority.some((a) => a.type === 'RRSIG' && a.data.startsWith('NS ')), 'the NS RRset of a cut is not signed');
  });
}

test('a zone file signed with its key from dnssec.keyDir validates, NXDOMAIN included', async () => {
  const r = await viaUnbound('www.files.test', 'A');
  assertValid(r, 'zone file');
  assert.deepEqual(data(r, 'A'), ['192.0.2.80']);
  const nx = await viaUnbound('nothere.files.test', 'A');
  assert.equal(nx.status, 'NXDOMAIN', nx.text);
  assert.ok(nx.flags.has('ad'), nx.text);
});

test('a CNAME into another served, signed zone validates (two zones, two keys)', async () => {
  const r = await viaUnbound('alias.signed.test', 'A');
  assertValid(r, 'CNAME chain');
  assert.deepEqual(data(r, 'CNAME'), ['www.other.test.']);
  assert.deepEqual(data(r, 'A'), ['192.0.2.10']);
});

test('a delegation with DS: the DS validates and so does the signed child below it', async () => {
  let r = await viaUnbound('secure.signed.test', 'DS');
  assertValid(r, 'DS');
  assert.equal(data(r, 'DS').length, 1);
  r = await viaUnbound('www.secure.signed.test', 'A');
  assertValid(r, 'child zone');
  assert.deepEqual(data(r, 'A'), ['192.0.2.10']);
});

test('pickclosest answers for two regions carry RRSIGs that verify with the ZSK', async () => {
  const seen = new Set<string>();
  for (const p of pops) {
    const d = await direct('geo.signed.test', 'A', `+subnet=${p.subnet}/24`);
    const a = data(d, 'A');
    assert.deepEqual(a, [p.subnet.replace(/\.0$/, '.1')], d.text);
    seen.add(a[0]!);
    const sig = d.answer.find((x) => x.type === 'RRSIG');
    assert.ok(sig, d.text);
    assert.ok(verifyARRset(d.answer.filter((x) => x.type === 'A'), sig, zsk), `RRSIG of ${a} does not verify\n${d.text}`);
  }
  assert.equal(seen.size, 2);
  assertValid(await viaUnbound('geo.signed.test', 'A'), 'LUA through unbound');
});

test('a signed answer larger than the UDP size is truncated (TC) and whole over TCP', async () => {
  const udp = await dig(g, ['+dnssec', '+norecurse', '+bufsize=512', '+ignore', 'big.signed.test', 'TXT']);
  assert.ok(udp.flags.has('tc'), udp.text);
  const tcp = await dig(g, ['+dnssec', '+norecurse', '+tcp', 'big.signed.test', 'TXT']);
  assert.ok(tcp.answer.some((a) => a.type === 'RRSIG'), tcp.text);
  assertValid(await viaUnbound('big.signed.test', 'TXT'), 'big TXT');
});

test('without DO nothing is signed', async () => {
  const r = await dig(g, ['+norecurse', 'www.signed.test', 'A']);
  assert.ok(!r.answer.some((a) => a.type === 'RRSIG'), r.text);
  assert.ok(!r.additional.some((a) => a.type === 'RRSIG'), r.text);
});

test('a key row with the wrong algorithm is skipped (logged once): unbound, holding its DS, answers SERVFAIL', async () => {
  const r = await viaUnbound('www.broken.test', 'A');
  assert.equal(r.status, 'SERVFAIL', r.text);
  const lines = g.logs().filter((l) => String(l.msg).includes('broken.test.: DNSSEC: key'));
  assert.equal(lines.length, 1, JSON.stringify(lines));
});

test('a ZSK rollover by pre-publication (RFC 6781 §4.1.1.1) through cryptokeys edits keeps every answer validating', async () => {
  const tags = async (type: string) => {
    const d = await dig(g, ['+dnssec', '+norecurse', 'www.roll.test', 'A']);
    const k = await dig(g, ['+norecurse', 'roll.test', 'DNSKEY']);
    return { signers: d.answer.filter((a) => a.type === 'RRSIG').map((a) => a.data.split(' ')[6]).sort(), keys: data(k, 'DNSKEY').length, type };
  };
  const until = async (what: string, pred: (t: Awaited<ReturnType<typeof tags>>) => boolean) => {
    const started = Date.now();
    for (;;) {
      assertValid(await viaUnbound('www.roll.test', 'A'), `during the rollover (${what})`);
      const t = await tags(what);
      if (pred(t)) return t;
      if (Date.now() - started > 20_000) {
        const rows = await db.query('SELECT id, flags, active, published FROM cryptokeys WHERE domain_id = ?', [roll.domainId]);
        const ids = (await dig(g, ['+norecurse', '+multi', 'roll.test', 'DNSKEY'])).text.match(/key id = \d+/g);
        assert.fail(`${what}: not served within 20 s: ${JSON.stringify(t)}; rows ${JSON.stringify(rows)}; DNSKEY ${ids}\n${g.proc.tail(10)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  const before = await until('start', (t) => t.keys === 2);
  const [oldZsk] = (await db.query("SELECT id FROM cryptokeys WHERE domain_id = ? AND flags = 256", [roll.domainId])) as Array<{ id: number }>;
  const fresh = await key('ecdsa256');
  await db.execute('INSERT INTO cryptokeys (domain_id, flags, active, published, content) VALUES (?, 256, 0, 1, ?)', [roll.domainId, formatPrivateKey(fresh)]);
  await until('new ZSK published, not signing', (t) => t.keys === 3 && t.signers.join() === before.signers.join());
  await db.execute('UPDATE cryptokeys SET active = (id <> ?) WHERE domain_id = ? AND flags = 256', [oldZsk!.id, roll.domainId]);
  const newTag = String(keyTag(dnskeyRdata(256, fresh)));
  await until('new ZSK signing, old one still published', (t) => t.keys === 3 && t.signers.join() === newTag);
  // Wait out unbound's cache (cache-max-ttl 5) before the old key goes: no answer signed by it is left.
  for (let i = 0; i < 6; i++) { assertValid(await viaUnbound('www.roll.test', 'A'), 'waiting'); await new Promise((r) => setTimeout(r, 1000)); }
  await db.execute('DELETE FROM cryptokeys WHERE id = ?', [oldZsk!.id]);
  await until('old ZSK removed', (t) => t.keys === 2);
});

/** RFC 4034 §3.1.8.1 over an A RRset as dig prints it. */
function verifyARRset(rrs: Rec[], sig: Rec, k: DnssecKey): boolean {
  const f = sig.data.split(' ');
  const [, alg, labels, ttl, exp, inc, tag, signer] = f;
  const signature = Buffer.from(f.slice(8).join(''), 'base64');
  const time = (s: string) => Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12), +s.slice(12, 14)) / 1000;
  const head = Buffer.alloc(18);
  head.writeUInt16BE(1, 0);
  head[2] = Number(alg);
  head[3] = Number(labels);
  head.writeUInt32BE(Number(ttl), 4);
  head.writeUInt32BE(time(exp!), 8);
  head.writeUInt32BE(time(inc!), 12);
  head.writeUInt16BE(Number(tag), 16);
  assert.equal(Number(tag), keyTag(dnskeyRdata(256, k)));
  const wire = (n: string) => Buffer.concat([...n.toLowerCase().split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const parts = [head, wire(signer!)];
  for (const ip of rrs.map((r) => Buffer.from(r.data.split('.').map(Number))).sort(Buffer.compare)) {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(1, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(Number(ttl), 4);
    fixed.writeUInt16BE(4, 8);
    parts.push(wire(rrs[0]!.name), fixed, ip);
  }
  return verifyData(13, k.publicKey, Buffer.concat(parts), signature);
}
