import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { extractMmdb } from './tar-reader.js';
import { tar, maxmindTar } from './testing/tar-writer.js';

/** Feeds `buf` in pieces of `size` bytes, as a network stream would. */
async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function run(buf: Buffer, size = 700) {
  const out: Buffer[] = [];
  const r = await extractMmdb(chunks(buf, size), async (c) => void out.push(Buffer.from(c)));
  return { r, data: Buffer.concat(out) };
}

test('finds the .mmdb after other entries, whatever the chunking', async () => {
  const mmdb = randomBytes(3000);
  const archive = maxmindTar('GeoLite2-City', mmdb);
  for (const size of [1, 511, 512, 513, 4096, archive.length]) {
    const { r, data } = await run(archive, size);
    assert.deepEqual(r, { kind: 'ok', name: 'GeoLite2-City_20240503/GeoLite2-City.mmdb', size: 3000 }, `chunk ${size}`);
    assert.deepEqual(data, mmdb);
  }
});

test('GNU long names and pax paths name the entry', async () => {
  const long = `${'d'.repeat(120)}/GeoLite2-ASN.mmdb`;
  const gnu = tar([{ name: '././@LongLink', type: 'L', data: Buffer.from(`${long}\0`) }, { name: 'short', data: Buffer.from('abc') }]);
  assert.deepEqual((await run(gnu)).r, { kind: 'ok', name: long, size: 3 });
  const rec = `path=${long}\n`;
  let len = rec.length + 3;
  if (String(len).length !== 2) len = rec.length + String(len).length + 1;
  const pax = tar([{ name: 'PaxHeader', type: 'x', data: Buffer.from(`${len} ${rec}`) }, { name: 'short', data: Buffer.from('xyz') }]);
  assert.deepEqual((await run(pax)).r, { kind: 'ok', name: long, size: 3 });
});

test('archives without an mmdb, truncated archives and garbage are errors', async () => {
  const noMmdb = tar([{ name: 'README.txt', data: Buffer.from('hi') }]);
  assert.match(((await run(noMmdb)).r as { message: string }).message, /does not contain an \.mmdb file/);
  const full = maxmindTar('GeoLite2-City', randomBytes(5000));
  assert.match(((await run(full.subarray(0, full.length - 1024 - 1000))).r as { message: string }).message, /truncated \(inside .*GeoLite2-City\.mmdb\)/);
  assert.match(((await run(full.subarray(0, 700))).r as { message: string }).message, /truncated/);
  assert.match(((await run(Buffer.alloc(0))).r as { message: string }).message, /empty/);
  const junk = await run(randomBytes(4096));
  assert.equal(junk.r.kind, 'error');
  assert.match((junk.r as { message: string }).message, /not a tar archive/);
  assert.equal(junk.data.length, 0, 'nothing is written for garbage');
});
