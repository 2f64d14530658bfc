import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE } from '@geoedge/dnsdata';
import { createLogger } from '@geoedge/shared';
import { buildZone, type ZoneData } from './zone.js';
import { mergeZones, createZoneMerger } from './merge.js';
import type { ZoneSetData } from './zone-set.js';
import { rr, zoneRecords } from './testdata/rr.js';

function zone(origin: string, source: string, www: string): ZoneData {
  const r = buildZone(origin, zoneRecords(origin, rr(`www.${origin}`, 'A', www)), source);
  assert.ok(r.ok, r.problems.join('; '));
  return r.zone;
}

function wwwOf(zs: ZoneSetData, origin: string): string {
  const r = zs.lookup(`www.${origin}`, TYPE.A);
  assert.equal(r.kind, 'answer');
  const d = r.kind === 'answer' ? r.rrsets[0]!.records[0]! : undefined;
  return d?.kind === 'a' ? d.address : '';
}

/** A logger whose lines are kept, to check what was warned. */
function capture() {
  const lines: Array<{ level: number; msg: string; zone?: string }> = [];
  const log = createLogger({ name: 'test', level: 'info', destination: { write: (s: string) => { lines.push(JSON.parse(s)); } } });
  return { log, lines };
}

test('mergeZones: a file zone wins over a database zone of the same origin, others pass through', () => {
  const files = [zone('example.com.', 'file:a', '192.0.2.1')];
  const db = [zone('example.com.', 'db:1', '192.0.2.2'), zone('example.org.', 'db:2', '192.0.2.3')];
  const r = mergeZones(files, db);
  assert.deepEqual(r.zones.map((z) => `${z.origin} ${z.source}`).sort(), ['example.com. file:a', 'example.org. db:2']);
  assert.deepEqual(r.conflicts, [{ origin: 'example.com.', file: 'file:a', db: 'db:1' }]);
});

test('mergeZones: no conflict when origins differ only in what they serve', () => {
  const r = mergeZones([zone('a.example.', 'file:a', '192.0.2.1')], [zone('b.a.example.', 'db:1', '192.0.2.2')]);
  assert.equal(r.zones.length, 2);
  assert.deepEqual(r.conflicts, []);
});

test('createZoneMerger: publishes on each change, warns once per conflict while it lasts, again when it comes back', () => {
  const { log, lines } = capture();
  const published: ZoneSetData[] = [];
  const m = createZoneMerger(log, (zs) => published.push(zs));
  const dbZones = [zone('example.com.', 'db:1', '192.0.2.2'), zone('example.org.', 'db:2', '192.0.2.3')];
  m.setDb(dbZones);
  assert.equal(wwwOf(published.at(-1)!, 'example.com.'), '192.0.2.2');
  m.setFiles([zone('example.com.', 'file:x', '192.0.2.1')]);
  const last = published.at(-1)!;
  assert.equal(wwwOf(last, 'example.com.'), '192.0.2.1', 'the file version is served');
  assert.equal(wwwOf(last, 'example.org.'), '192.0.2.3');
  m.setDb(dbZones); // the database changes again: no second warning for the same conflict
  const warns = () => lines.filter((l) => l.level === 40 && l.zone === 'example.com.');
  assert.equal(warns().length, 1);
  assert.match(warns()[0]!.msg, /example\.com\. is both in a zone file and in the database; serving the file/);
  m.setFiles([]);
  assert.equal(wwwOf(published.at(-1)!, 'example.com.'), '192.0.2.2', 'file removed: the database version is served');
  m.setFiles([zone('example.com.', 'file:x', '192.0.2.1')]);
  assert.equal(warns().length, 2, 'a conflict that returns is warned about again');
  assert.equal(published.length, 5);
});
