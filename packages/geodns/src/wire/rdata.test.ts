import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE, rdataFromWire, type Rdata } from '@geoedge/dnsdata';
import { readRdata, writeRdata } from './rdata.js';
import { Encoder } from './writer.js';
import { everyKind } from './testdata/records.js';

/** RDLENGTH + RDATA as writeRdata produces them, no compression context. */
function encode(type: number, d: Rdata): Buffer {
  const e = new Encoder(70000);
  writeRdata(e, type, d);
  return Buffer.from(e.buf.subarray(0, e.pos));
}

test('each kind round-trips through writeRdata / readRdata', () => {
  for (const rr of everyKind) {
    const b = encode(rr.type, rr.data);
    assert.equal(b.readUInt16BE(0), b.length - 2, `type ${rr.type} RDLENGTH`);
    assert.deepEqual(readRdata(b, 2, b.length - 2, rr.type), rr.data, `type ${rr.type}`);
  }
});

test('wire forms match the RFCs', () => {
  const table: [number, Rdata, number[]][] = [
    [TYPE.A, { kind: 'a', address: '192.0.2.1' }, [192, 0, 2, 1]],
    [TYPE.MX, { kind: 'mx', preference: 10, exchange: 'mx.' }, [0, 10, 2, 0x6d, 0x78, 0]],
    [TYPE.TXT, { kind: 'txt', strings: [] }, [0]], // RFC 1035 §3.3.14: one empty string at least
    [TYPE.TXT, { kind: 'txt', strings: [Buffer.from('ab'), Buffer.from('c')] }, [2, 0x61, 0x62, 1, 0x63]],
    [TYPE.SRV, { kind: 'srv', priority: 1, weight: 2, port: 53, target: '.' }, [0, 1, 0, 2, 0, 53, 0]],
    [TYPE.CAA, { kind: 'caa', flags: 0, tag: 'iodef', value: Buffer.from('x') }, [0, 5, ...Buffer.from('iodefx')]],
    [TYPE.DS, { kind: 'ds', keyTag: 258, algorithm: 8, digestType: 1, digest: Buffer.from([0xaa]) }, [1, 2, 8, 1, 0xaa]],
    [65280, { kind: 'raw', bytes: Buffer.from([9, 8, 7]) }, [9, 8, 7]],
  ];
  for (const [type, d, want] of table) assert.deepEqual([...encode(type, d).subarray(2)], want, JSON.stringify(d));
});

test('data that cannot be encoded is refused with a code', () => {
  const bad: [number, Rdata][] = [
    [TYPE.A, { kind: 'a', address: '2001:db8::1' }],
    [TYPE.AAAA, { kind: 'aaaa', address: '192.0.2.1' }],
    [TYPE.CAA, { kind: 'caa', flags: 0, tag: '', value: Buffer.alloc(0) }],
    [TYPE.NAPTR, { kind: 'naptr', order: 1, preference: 1, flags: Buffer.alloc(256), services: Buffer.alloc(0), regexp: Buffer.alloc(0), replacement: '.' }],
    [TYPE.TXT, { kind: 'txt', strings: Array.from({ length: 300 }, () => Buffer.alloc(255)) }],
    [65280, { kind: 'raw', bytes: Buffer.alloc(65536) }],
  ];
  for (const [type, d] of bad) assert.throws(() => encode(type, d), { code: 'ERR_WIRE_RDATA' }, `${type}`);
  assert.throws(() => encode(TYPE.A, { kind: 'lua', innerType: 1, code: 'x' }), { code: 'ERR_WIRE_LUA' });
});

test('malformed rdata is reported, not thrown', () => {
  const table: [number, number[], RegExp][] = [
    [TYPE.A, [1, 2, 3], /not 4/],
    [TYPE.AAAA, [1, 2, 3, 4], /not 16/],
    [TYPE.MX, [0], /truncated/],
    [TYPE.MX, [0, 1, 3, 0x61], /past the end/],
    [TYPE.SOA, [0, 0, 0, 0, 0], /truncated/],
    [TYPE.TXT, [5, 0x61], /truncated/],
    [TYPE.SRV, [0, 1, 0, 2, 0, 3, 0, 9], /left over/],
    [TYPE.CAA, [0], /truncated/],
    [TYPE.NS, [0xc0, 0], /does not point backwards/],
  ];
  for (const [type, bytes, why] of table) {
    const r = readRdata(Buffer.from(bytes), 0, bytes.length, type);
    assert.equal(typeof r, 'string', `${type}`);
    assert.match(r as string, why, `${type}`);
  }
});

test('uncompressed rdata decodes the same as dnsdata\'s rdataFromWire', () => {
  // Not SOA: its rname compresses onto its mname even in a fresh encoder.
  for (const rr of everyKind.filter((r) => r.type !== TYPE.SOA)) {
    const b = encode(rr.type, rr.data).subarray(2);
    const theirs = rdataFromWire(rr.type, b) ?? { kind: 'raw', bytes: Buffer.from(b) }; // undefined: a type it keeps raw
    assert.deepEqual(readRdata(b, 0, b.length, rr.type), theirs, `type ${rr.type}`);
  }
});
