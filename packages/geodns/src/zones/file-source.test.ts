import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { TYPE } from '@geoedge/dnsdata';
import { isZoneFileName, loadZoneDir, loadZoneFile, originFromFileName, type ZoneFileResult } from './file-source.js';
import { buildZoneSet } from './zone-set.js';
import type { ZoneData } from './zone.js';

// Compiled to dist/zones/; the fixtures stay in src/zones/testdata.
const FIXTURES = fileURLToPath(new URL('../../src/zones/testdata/dir/', import.meta.url));

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'zones-'));
  test.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const byName = (files: ZoneFileResult[]) => new Map(files.map((f) => [basename(f.file), f]));
const zoneOf = (r: ZoneFileResult | undefined): ZoneData => {
  assert.ok(r && r.kind === 'ok', r && r.kind === 'error' ? r.errors.join('\n') : 'missing');
  return r.zone;
};

for (const [name, want] of [
  ['example.com.zone', true], ['example.com.db', true], ['example.com', true], ['2.0.192.in-addr.arpa.zone', true],
  ['.hidden.zone', false], ['example.com.zone~', false], ['#example.com.zone#', false], ['.example.com.zone.swp', false],
  ['example.com.zone.swp', false], ['4913', false], ['example.com.zone.bak', false], ['example.com.zone.dpkg-old', false],
  ['example.com.zone.tmp', false], ['example.com.zone.orig', false],
] as const) {
  test(`file name ${name}: ${want ? 'a zone file' : 'skipped'}`, () => assert.equal(isZoneFileName(name), want));
}

for (const [name, origin] of [
  ['example.com.zone', 'example.com.'], ['example.com.db', 'example.com.'], ['example.com', 'example.com.'],
  ['example.com.', 'example.com.'], ['2.0.192.in-addr.arpa.zone', '2.0.192.in-addr.arpa.'], ['Example.COM.ZONE', 'Example.COM.'],
] as const) {
  test(`origin from file name ${name} → ${origin}`, () => assert.equal(originFromFileName(name), origin));
}

test('a directory: origins from names or $ORIGIN, includes, temp files and subdirectories skipped', async () => {
  const d = tempDir();
  cpSync(FIXTURES, d, { recursive: true });
  for (const junk of ['.hidden.zone', 'example.com.zone~', '#example.com.zone#', '.example.com.zone.swp', '4913', 'example.com.zone.bak']) {
    writeFileSync(join(d, junk), 'this is not a zone file (\n');
  }
  const r = await loadZoneDir(d);
  assert.ok(r.kind === 'ok');
  assert.deepEqual(r.files.map((f) => basename(f.file)), ['example.com.zone', 'example.edu.zone', 'example.net', 'example.org.db', 'rfc4592']);
  const f = byName(r.files);
  assert.deepEqual(r.files.map((x) => x.origin), ['example.com.', 'example.edu.', 'example.net.', 'example.org.', 'example.']);
  assert.equal(zoneOf(f.get('example.org.db')).serial, 7);
  assert.deepEqual(f.get('example.edu.zone')!.includes, [join(d, 'inc/hosts.inc')]);
  const zs = buildZoneSet(r.files.map(zoneOf));
  assert.equal(zs.lookup('mail.example.edu.', TYPE.A).kind, 'answer', 'included records are in the zone');
  assert.equal(zs.lookup('ftp.example.com.', TYPE.A).kind, 'cname');
  assert.equal(zs.lookup('x.sub.example.com.', TYPE.A).kind, 'delegation');
  // The RFC 4592 example, read from its master file this time.
  assert.equal(zs.lookup('host3.example.', TYPE.MX).kind, 'answer');
  assert.equal(zs.lookup('_telnet._tcp.host1.example.', TYPE.SRV).kind, 'nxdomain');
  assert.equal(zs.lookup('ghost.*.example.', TYPE.MX).kind, 'nxdomain');
});

// Garbage and broken zones: each must fail with the file (and line, when there is one), never throw.
const broken: Array<[string, string | Buffer, RegExp]> = [
  ['syntax.zone', '$TTL 300\n@ SOA ns. h. 1 2 3 4 5\n@ NS ns.example.net.\nwww A 999.1.2.3\n', /syntax\.zone:4: /],
  ['unknown-type.zone', '$TTL 300\n@ SOA ns. h. 1 2 3 4 5\nwww BOGUS x\n', /unknown-type\.zone:3: .*BOGUS/],
  ['paren.zone', '$TTL 300\n@ SOA ns. h. ( 1 2 3 4 5\n', /paren\.zone:\d+: /],
  ['empty.zone', '', /empty\.zone: no SOA/],
  ['comments-only.zone', '; nothing here\n\n', /no SOA/],
  ['cname-apex.zone', '$TTL 300\n@ SOA ns. h. 1 2 3 4 5\n@ NS ns.example.net.\n@ CNAME www.example.net.\n', /cname-apex\.zone: .* has a CNAME and other data/],
  ['two-soa.zone', '$TTL 300\n@ SOA ns. h. 1 2 3 4 5\n@ SOA ns. h. 2 2 3 4 5\n', /2 SOA records/],
  ['binary.zone', Buffer.concat([Buffer.from('$TTL 300\n'), randomBytes(4096)]), /binary\.zone:\d+: /],
  ['nul.zone', Buffer.from('$TTL 300\n@ SOA ns. h. 1 2 3 4 5\x00\n'), /nul\.zone:2: NUL byte/],
  ['bad-origin.zone', '$ORIGIN bad..name.\n', /bad-origin\.zone:1: no usable origin/],
  ['include-missing.zone', '$TTL 300\n@ SOA ns. h. 1 2 3 4 5\n$INCLUDE nope.inc\n', /include-missing\.zone:3: \$INCLUDE nope\.inc/],
  ['no-ttl.zone', '@ NS ns.example.net.\n', /no-ttl\.zone:1: .*TTL/],
];

for (const [name, text, reason] of broken) {
  test(`broken zone file ${name} is reported, not loaded`, async () => {
    const d = tempDir();
    writeFileSync(join(d, name), text);
    const r = await loadZoneFile(join(d, name));
    assert.equal(r.kind, 'error');
    assert.ok(r.kind === 'error');
    assert.match(r.errors.join('\n'), reason);
  });
}

test('random garbage files never throw and always fail', async () => {
  const d = tempDir();
  for (let i = 0; i < 50; i++) {
    const p = join(d, `g${i}.zone`);
    // Printable garbage is the harder case: it tokenizes, so it reaches the record parser.
    const bytes = randomBytes(200 + i * 20);
    writeFileSync(p, i % 2 ? bytes : bytes.toString('base64').replace(/[+/]/g, ' ').replace(/(.{40})/g, '$1\n'));
    const r = await loadZoneFile(p);
    assert.equal(r.kind, 'error', `g${i}`);
  }
});

test('two files for one origin: the first by name wins, the second is reported', async () => {
  const d = tempDir();
  const zone = '$TTL 300\n@ SOA ns. h. 1 2 3 4 5\n@ NS ns.example.net.\n';
  writeFileSync(join(d, 'example.com.db'), zone);
  writeFileSync(join(d, 'example.com.zone'), zone);
  const r = await loadZoneDir(d);
  assert.ok(r.kind === 'ok');
  const f = byName(r.files);
  assert.equal(f.get('example.com.db')!.kind, 'ok');
  const second = f.get('example.com.zone')!;
  assert.ok(second.kind === 'error');
  assert.match(second.errors[0]!, /zone example\.com\. is already loaded from .*example\.com\.db/);
});

test('a directory that is missing, or is a file, is an error that says so', async () => {
  const d = tempDir();
  const missing = await loadZoneDir(join(d, 'nope'));
  assert.ok(missing.kind === 'error');
  assert.match(missing.message, /zone directory .*nope does not exist/);
  writeFileSync(join(d, 'file'), '');
  const notDir = await loadZoneDir(join(d, 'file'));
  assert.ok(notDir.kind === 'error');
  assert.match(notDir.message, /is not a directory/);
});

test('a subdirectory named like a zone is not a zone', async () => {
  const d = tempDir();
  mkdirSync(join(d, 'example.com.zone'));
  const r = await loadZoneDir(d);
  assert.deepEqual(r, { kind: 'ok', files: [] });
});
