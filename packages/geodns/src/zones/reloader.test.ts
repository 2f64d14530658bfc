import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TYPE, formatPrivateKey, generateKey } from '@geoedge/dnsdata';
import { createLogger } from '@geoedge/shared';
import type { ZoneSet } from './types.js';
import { createFileZoneSource, type FileZoneSourceOptions } from './reloader.js';
import { createKeyDir } from './key-dir.js';

interface LogLine { level: number; msg: string; file?: string; zone?: string; errors?: string[] }

function zoneText(origin: string, serial: number, www: string): string {
  return `$TTL 300\n@ SOA ns1.${origin} hostmaster.${origin} ${serial} 3600 600 86400 60\n@ NS ns1.example.net.\nwww A ${www}\n`;
}

/** Writes atomically (temp file + rename), as deploy tools and many editors do. */
function put(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, `${name}.tmp`), text); // `.tmp` files are not zones
  renameSync(join(dir, `${name}.tmp`), join(dir, name));
}

function harness(extra: Partial<FileZoneSourceOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'reload-'));
  const logs: LogLine[] = [];
  const snapshots: ZoneSet[] = [];
  const reloads: boolean[] = [];
  const log = createLogger({ name: 'test', level: 'debug', destination: { write: (s: string) => void logs.push(JSON.parse(s)) } });
  const src = createFileZoneSource({
    dir, log, onSnapshot: (zs) => snapshots.push(zs), onReload: (ok) => reloads.push(ok), pollMs: 60_000, ...extra,
  });
  test.after(async () => {
    await src.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const current = () => snapshots[snapshots.length - 1]!;
  const www = (origin: string) => {
    const r = current().lookup(`www.${origin}`, TYPE.A);
    return r.kind === 'answer' && r.rrsets[0]!.records[0]!.kind === 'a' ? r.rrsets[0]!.records[0]!.address : r.kind;
  };
  const errors = () => logs.filter((l) => l.level >= 50);
  return { dir, logs, snapshots, reloads, src, current, www, errors };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('start fails clearly when the directory is missing', async () => {
  const h = harness();
  const src = createFileZoneSource({ dir: join(h.dir, 'missing'), log: createLogger({ name: 't', level: 'silent' }), onSnapshot: () => {} });
  await assert.rejects(src.start(), /zone directory .*missing does not exist: nothing to serve/);
});

test('start: good zones are served, a broken one is skipped and logged with file:line', async () => {
  const h = harness();
  put(h.dir, 'example.com.zone', zoneText('example.com.', 1, '192.0.2.1'));
  put(h.dir, 'example.org.zone', zoneText('example.org.', 1, '192.0.2.2'));
  put(h.dir, 'broken.example.zone', '$TTL 300\n@ SOA ns. h. 1 2 3 4 5\nwww A not-an-address\n');
  await h.src.start();
  assert.equal(h.snapshots.length, 1);
  assert.deepEqual([...h.current().zones.keys()].sort(), ['example.com.', 'example.org.']);
  assert.equal(h.www('example.com.'), '192.0.2.1');
  assert.equal(h.current().lookup('www.broken.example.', TYPE.A).kind, 'refused');
  const [err] = h.errors();
  assert.match(err!.msg, /zone file failed to load; zone not served: .*broken\.example\.zone:3: /);
  assert.deepEqual(h.reloads, [false], 'a pass with a failed file counts as a reload failure');
});

test('a broken edit keeps the previous zone, is reported once, and a fix is picked up', async () => {
  const h = harness();
  put(h.dir, 'example.com.zone', zoneText('example.com.', 1, '192.0.2.1'));
  await h.src.start();
  const before = h.current();

  put(h.dir, 'example.com.zone', zoneText('example.com.', 2, '192.0.2.1') + 'oops IN A\n');
  await h.src.reload();
  assert.equal(h.snapshots.length, 1, 'nothing changed for the served set');
  assert.equal(h.www('example.com.'), '192.0.2.1');
  assert.equal(h.errors().length, 1);
  assert.match(h.errors()[0]!.msg, /still serving the previous version \(serial 1\): .*example\.com\.zone:5: /);
  assert.deepEqual(h.reloads, [true, false]);

  await h.src.reload();
  assert.equal(h.errors().length, 1, 'the same broken file is not reported again as an error');
  assert.match(h.logs.at(-1)!.msg, /reload done; 1 zone files still fail to load/);
  assert.deepEqual(h.reloads, [true, false, false], 'an explicit reload with a file still broken counts as failed');

  // Another zone changing publishes a new snapshot: it must still hold the old example.com.
  put(h.dir, 'example.org.zone', zoneText('example.org.', 1, '192.0.2.2'));
  await h.src.reload();
  assert.equal(h.snapshots.length, 2);
  assert.equal(h.www('example.com.'), '192.0.2.1');
  assert.equal(h.www('example.org.'), '192.0.2.2');

  put(h.dir, 'example.com.zone', zoneText('example.com.', 3, '192.0.2.3'));
  await h.src.reload();
  assert.equal(h.snapshots.length, 3);
  assert.equal(h.www('example.com.'), '192.0.2.3');
  assert.equal(h.current().findZone('example.com.')!.serial, 3);
  // The old snapshot is untouched: queries in flight keep a consistent view.
  assert.equal(before.findZone('example.com.')!.serial, 1);
});

test('a CNAME at the apex is a broken edit too (the zone-level rules, not just syntax)', async () => {
  const h = harness();
  put(h.dir, 'example.com.zone', zoneText('example.com.', 1, '192.0.2.1'));
  await h.src.start();
  put(h.dir, 'example.com.zone', zoneText('example.com.', 2, '192.0.2.9') + '@ CNAME other.example.net.\n');
  await h.src.reload();
  assert.equal(h.www('example.com.'), '192.0.2.1');
  assert.match(h.errors()[0]!.msg, /CNAME and other data/);
});

test('deleting a file removes its zone; adding one serves it', async () => {
  const h = harness();
  put(h.dir, 'example.com.zone', zoneText('example.com.', 1, '192.0.2.1'));
  put(h.dir, 'example.org.zone', zoneText('example.org.', 1, '192.0.2.2'));
  await h.src.start();
  unlinkSync(join(h.dir, 'example.org.zone'));
  put(h.dir, 'example.net.db', zoneText('example.net.', 1, '192.0.2.4'));
  await h.src.reload();
  assert.deepEqual([...h.current().zones.keys()].sort(), ['example.com.', 'example.net.']);
  assert.equal(h.current().lookup('www.example.org.', TYPE.A).kind, 'refused');
  assert.ok(h.logs.some((l) => l.msg === 'zone file removed; zone no longer served' && l.zone === 'example.org.'));
});

test('a deleted zone whose file was broken at the time is removed too', async () => {
  const h = harness();
  put(h.dir, 'example.com.zone', zoneText('example.com.', 1, '192.0.2.1'));
  await h.src.start();
  put(h.dir, 'example.com.zone', 'garbage (\n');
  await h.src.reload();
  assert.equal(h.www('example.com.'), '192.0.2.1');
  unlinkSync(join(h.dir, 'example.com.zone'));
  await h.src.reload();
  assert.equal(h.current().zones.size, 0);
});

test('file changes are picked up without reload(): fs.watch plus debounce', async () => {
  const h = harness({ debounceMs: 50 });
  put(h.dir, 'example.com.zone', zoneText('example.com.', 1, '192.0.2.1'));
  await h.src.start();
  put(h.dir, 'example.com.zone', zoneText('example.com.', 2, '192.0.2.2'));
  await until('the watcher to publish serial 2', () => h.snapshots.length === 2);
  assert.equal(h.www('example.com.'), '192.0.2.2');
});

test('the poll catches changes the watcher never saw', async () => {
  const h = harness({ watch: false, pollMs: 100 });
  put(h.dir, 'example.com.zone', zoneText('example.com.', 1, '192.0.2.1'));
  await h.src.start();
  writeFileSync(join(h.dir, 'example.com.zone'), zoneText('example.com.', 22, '192.0.2.22')); // in place, longer
  await until('the poll to publish serial 22', () => h.snapshots.length === 2);
  assert.equal(h.www('example.com.'), '192.0.2.22');
  assert.deepEqual(h.reloads, [true, true], 'a poll that found nothing new is not counted');
});

test('a change to an $INCLUDE file reloads the zone that includes it', async () => {
  const h = harness();
  mkdirSync(join(h.dir, 'inc'));
  put(h.dir, 'inc/www.inc', 'www A 192.0.2.1\n');
  put(h.dir, 'example.com.zone', '$TTL 300\n@ SOA ns. h. 1 2 3 4 5\n@ NS ns.example.net.\n$INCLUDE inc/www.inc\n');
  await h.src.start();
  assert.equal(h.www('example.com.'), '192.0.2.1');
  put(h.dir, 'inc/www.inc', 'www A 192.0.2.77\n');
  await h.src.reload();
  assert.equal(h.www('example.com.'), '192.0.2.77');
});

test('the directory vanishing later keeps serving what was loaded', async () => {
  const h = harness();
  put(h.dir, 'example.com.zone', zoneText('example.com.', 1, '192.0.2.1'));
  await h.src.start();
  rmSync(h.dir, { recursive: true });
  await h.src.reload();
  assert.equal(h.www('example.com.'), '192.0.2.1');
  assert.match(h.errors()[0]!.msg, /does not exist; still serving/);
  assert.deepEqual(h.reloads, [true, false]);
});

test('dnssec.keyDir: a key directory created, a key added and a key renamed (activated) are picked up by the next pass, with no edit of the zone file', async () => {
  const keyRoot = mkdtempSync(join(tmpdir(), 'keys-'));
  test.after(() => rmSync(keyRoot, { recursive: true, force: true }));
  const h = harness({ watch: false, pollMs: 100, keys: createKeyDir(keyRoot, createLogger({ name: 't', level: 'silent' })) });
  put(h.dir, 'example.com.zone', zoneText('example.com.', 1, '192.0.2.1'));
  await h.src.start();
  const dnskeys = () => {
    const r = h.current().lookup('example.com.', TYPE.DNSKEY);
    return r.kind === 'answer' ? r.rrsets[0]!.records.length : 0;
  };
  /** Flags of the keys that sign the zone's RRsets: the CSK (257) until a ZSK (256) is active. */
  const zsks = () => (h.current().zones.get('example.com.')?.signing?.zsks ?? []).map((k) => k.flags).join(',');
  assert.equal(dnskeys(), 0, 'no key directory: unsigned');
  const newKey = async () => { const r = await generateKey('ecdsa256'); assert.ok(r.ok); return formatPrivateKey(r.key); };
  // The zone's directory and its first key appear.
  mkdirSync(join(keyRoot, 'example.com'));
  writeFileSync(join(keyRoot, 'example.com', '1.csk.private'), await newKey());
  await until('the first key to be served', () => dnskeys() === 1);
  // A ZSK pre-published (inactive), then activated by a rename: a rollover step.
  writeFileSync(join(keyRoot, 'example.com', '2.zsk.inactive.private'), await newKey());
  await until('the pre-published key in DNSKEY', () => dnskeys() === 2);
  assert.equal(zsks(), '257', 'the CSK signs while the ZSK is inactive');
  renameSync(join(keyRoot, 'example.com', '2.zsk.inactive.private'), join(keyRoot, 'example.com', '2.zsk.private'));
  await until('the renamed key to sign', () => zsks() === '256');
  assert.equal(h.www('example.com.'), '192.0.2.1');
});
