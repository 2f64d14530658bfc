// readSelected gives toFields the same result as mmdb-lib's full decode, for
// every data record of the MaxMind test databases (broken ones included) and
// every 5th of GeoLite2 City (all of them agreed once; 3 minutes on a loaded machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reader, type Response } from 'maxmind';
import { readSelected, selectedReader, SELECT_PLACE } from './mmdb-fields.js';
import { toFields } from './maxmind.js';
import { defaultCityDatabase } from './default-db.js';

const TD = fileURLToPath(new URL('../../src/geo/testdata/', import.meta.url));

/** Data-section offsets of every record the search tree points at. */
function dataOffsets(buf: Buffer, nodeCount: number, recordSize: number): number[] {
  const seen = new Set<number>();
  const nodeBytes = recordSize / 4;
  for (let n = 0; n < nodeCount; n++) {
    const o = n * nodeBytes;
    for (let side = 0; side < 2; side++) {
      let v: number;
      if (recordSize === 24) { const p = o + side * 3; v = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!; }
      else if (recordSize === 28) v = side === 0 ? (((buf[o + 3]! & 0xf0) << 20) | (buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!) >>> 0 : (((buf[o + 3]! & 0x0f) << 24) | (buf[o + 4]! << 16) | (buf[o + 5]! << 8) | buf[o + 6]!) >>> 0;
      else v = buf.readUInt32BE(o + side * 4);
      if (v > nodeCount) seen.add(v - nodeCount - 16);
    }
  }
  return [...seen];
}

/** Country and continent of toFields's result; undefined when it has neither (as toFields). */
function placeOf(f: ReturnType<typeof toFields> | 'throws'): ReturnType<typeof toFields> {
  if (f === undefined || f === 'throws') return undefined;
  const o: NonNullable<ReturnType<typeof toFields>> = {};
  if (f.country !== undefined) o.country = f.country;
  if (f.continent !== undefined) o.continent = f.continent;
  return Object.keys(o).length ? o : undefined;
}

/** As maxmind.ts reads a record: the selective read, or mmdb-lib's when that throws; 'throws' when both do. */
function compareAll(path: string, every = 1): number {
  const buf = readFileSync(path);
  const reader = new Reader<Response>(buf);
  const { nodeCount, recordSize, searchTreeSize } = reader.metadata;
  const resolve = (reader as unknown as { resolveDataPointer(p: number): unknown }).resolveDataPointer.bind(reader);
  const offs = dataOffsets(buf, nodeCount, recordSize).filter((_, i) => i % every === 0);
  const viaLib = (off: number) => { try { return toFields(resolve(off + nodeCount + 16)); } catch { return 'throws'; } };
  // One reader for all records, as maxmind.ts uses it (its key cache warm), and a fresh one per record.
  const shared = selectedReader(buf, searchTreeSize + 16);
  for (const [i, off] of offs.entries()) {
    let sel;
    try { sel = toFields(shared(searchTreeSize + 16 + off)); } catch { sel = viaLib(off); }
    assert.deepEqual(sel, viaLib(off), `${path} record at ${off}`);
    // SELECT_PLACE: the same country and continent, nothing else read
    let place;
    try { place = toFields(shared(searchTreeSize + 16 + off, SELECT_PLACE)); } catch { place = 'throws'; }
    const full = viaLib(off);
    if (place !== 'throws' || full !== 'throws') assert.deepEqual(place, placeOf(full), `${path} record at ${off} (place)`);
    if (i % 10 !== 0) continue;
    try { sel = toFields(readSelected(buf, searchTreeSize + 16, searchTreeSize + 16 + off)); } catch { sel = viaLib(off); }
    assert.deepEqual(sel, viaLib(off), `${path} record at ${off} (fresh reader)`);
  }
  return offs.length;
}

test('every record of the MaxMind test databases', () => {
  let n = 0;
  for (const f of readdirSync(TD).filter((x) => x.endsWith('.mmdb'))) n += compareAll(join(TD, f));
  assert.ok(n > 100, `${n} records`);
});

test('every 5th record of GeoLite2 City', () => {
  assert.ok(compareAll(defaultCityDatabase(), 5) > 20_000);
});
