import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsToName, lowerName, nameToLabels } from '@geoedge/dnsdata';
import { readName, skipName, writeNameLabels, type NameOut } from './name.js';

function wire(name: string): Buffer {
  const buf = Buffer.alloc(300);
  const end = writeNameLabels(name, buf, 0, []);
  return buf.subarray(0, end);
}

function read(buf: Buffer, lower = false): string {
  const out: NameOut = { name: '', end: 0 };
  const bad = readName(buf, 0, lower, false, out);
  assert.equal(bad, null);
  assert.equal(out.end, buf.length);
  return out.name;
}

test('presentation → wire → presentation round trips in dnsdata form', () => {
  const table = ['.', 'com.', 'www.example.com.', 'a\\.b.example.', 'x\\032y\\255.', 'q\\\\\\"\\;\\(\\)\\@\\$.', '*.wild.example.', '_sip._tcp.example.'];
  for (const name of table) assert.equal(read(wire(name)), name, name);
});

test('escapes and a missing trailing dot are accepted on the way in', () => {
  assert.deepEqual(wire('a\\065b'), wire('aAb.'));
  assert.deepEqual(wire('www.example.com'), wire('www.example.com.'));
  assert.deepEqual([...wire('a\\.b.')], [3, 0x61, 0x2e, 0x62, 0]);
  assert.equal(read(wire('ÄB.'), true), '\\195\\132b.'); // UTF-8 octets, ASCII-only lower-casing
});

test('bad names are refused with ERR_WIRE_NAME', () => {
  for (const bad of ['a..b.', '.a.', `${'x'.repeat(64)}.`, `${'abcdefg.'.repeat(32)}`, 'a\\', 'a\\25', 'a\\256.']) {
    assert.throws(() => wire(bad), { code: 'ERR_WIRE_NAME' }, bad);
  }
});

test('readName reports why a name is bad; skipName agrees on where names end', () => {
  const out: NameOut = { name: '', end: 0 };
  assert.match(readName(Buffer.from([3, 0x61, 0x62]), 0, false, false, out)!, /past the end/);
  assert.match(readName(Buffer.from([]), 0, false, false, out)!, /past the end/);
  assert.match(readName(Buffer.from([0xc0]), 0, false, true, out)!, /pointer runs past/);
  const msg = Buffer.concat([wire('example.com.'), Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 0])]);
  assert.equal(readName(msg, 13, false, true, out), null);
  assert.deepEqual(out, { name: 'www.example.com.', end: msg.length });
  assert.equal(skipName(msg, 0), 13);
  assert.equal(skipName(msg, 13), msg.length);
  assert.equal(skipName(Buffer.from([5, 1]), 0), -1);
});

test('every octet reads back exactly as dnsdata spells it (labelsToName), and writes back as nameToLabels', () => {
  for (let b = 0; b < 256; b++) {
    const label = Buffer.from([0x78, b, 0x79]);
    const buf = Buffer.concat([Buffer.from([3]), label, Buffer.from([0])]);
    const mine = read(buf);
    assert.equal(mine, labelsToName([label]), `octet ${b}`);
    assert.deepEqual(wire(mine), buf, `octet ${b}`);
    assert.deepEqual(nameToLabels(mine), [label]);
    assert.equal(read(buf, true), lowerName(mine), `octet ${b} lower-cased`);
  }
});
