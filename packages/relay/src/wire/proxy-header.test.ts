// PROXY v1/v2 codecs against headers captured from real nginx and HAProxy
// (testdata/, see its README), plus round-trips and garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeProxyHeader, headerAddresses } from './proxy-header.js';
import { encodeProxyV1 } from './proxy-v1.js';
import { encodeProxyV2, ipv6Bytes } from './proxy-v2.js';
import type { ProxyHeader } from './proxy-types.js';

// Tests run from dist/; the fixtures stay in src/.
const dir = join(dirname(fileURLToPath(import.meta.url)), '../../src/wire/testdata');
const decoded = readFileSync(join(dir, 'decoded.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const responses = readFileSync(join(dir, 'receiver-responses.txt'), 'utf8');

test('every captured header decodes to what decoded.jsonl says', () => {
  assert.equal(decoded.length, readdirSync(dir).filter((f) => f.endsWith('.bin')).length);
  for (const d of decoded) {
    const bin = readFileSync(join(dir, d.file));
    const payload = readFileSync(join(dir, d.file.replace('.bin', '.payload')));
    const r = decodeProxyHeader(Buffer.concat([bin, payload]));
    assert.equal(r.kind, 'ok', d.file);
    if (r.kind !== 'ok') continue;
    assert.equal(r.length, bin.length, `${d.file}: header length`);
    assert.equal(r.header.version, d.version);
    if (d.command === 'LOCAL') {
      assert.equal(r.header.command, 'local');
      assert.equal(r.header.source, undefined);
      continue;
    }
    assert.equal(r.header.source?.address, d.src, d.file);
    assert.equal(r.header.source?.port, d.src_port);
    assert.equal(r.header.destination?.address, d.dst);
    assert.equal(r.header.destination?.port, d.dst_port);
    for (const t of d.tlvs ?? []) {
      const got: { value: Buffer } | undefined = r.header.tlvs.find((x) => x.type === parseInt(t.type, 16));
      assert.ok(got, `${d.file}: TLV ${t.name}`);
      assert.equal(got.value.length, t.len);
      if (typeof t.value === 'string') assert.equal(got.value.toString('latin1'), t.value);
    }
  }
});

test('re-encoding a decoded header gives the captured bytes (receivers read ours the same way)', () => {
  for (const d of decoded) {
    const bin = readFileSync(join(dir, d.file));
    const r = decodeProxyHeader(bin);
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') continue;
    const again = r.header.version === 1 ? encodeProxyV1(r.header) : encodeProxyV2(r.header);
    if (d.line === undefined && d.command !== 'LOCAL' && !d.tlvs) assert.deepEqual(again, bin, d.file);
    if (d.line !== undefined) assert.deepEqual(again, bin, d.file);
    if (d.tlvs) assert.deepEqual(again, bin, `${d.file} with TLVs`);
    // What real receivers reported as the client for this case is what we decoded.
    const name = d.file.replace('.bin', '');
    for (const line of responses.split('\n').filter((l) => l.startsWith(name + ' ') && l.includes('nginx-stream  proxy_protocol_addr='))) {
      const addr = /proxy_protocol_addr=(\S*)/.exec(line)![1];
      assert.equal(addr, r.header.source?.address ?? '', `${name}: nginx stream saw ${addr}`);
    }
  }
});

test('headers split at every byte need more, then decode', () => {
  for (const d of decoded) {
    const bin = readFileSync(join(dir, d.file));
    for (let i = 0; i < bin.length; i++) assert.equal(decodeProxyHeader(bin.subarray(0, i)).kind, 'need-more', `${d.file} at ${i}`);
    assert.equal(decodeProxyHeader(bin).kind, 'ok');
  }
});

test('round-trips: v1 and v2, IPv4, IPv6, mixed families, UDP, TLVs', () => {
  const cases: ProxyHeader[] = [
    { version: 2, command: 'proxy', transport: 'tcp', source: { family: 4, address: '203.0.113.9', port: 51000 }, destination: { family: 4, address: '198.51.100.1', port: 443 }, tlvs: [{ type: 2, value: Buffer.from('a.example') }, { type: 1, value: Buffer.from('h2') }] },
    { version: 2, command: 'proxy', transport: 'udp', source: { family: 6, address: '2001:db8::1', port: 5353 }, destination: { family: 6, address: '2001:db8:0:1:2:3:4:5', port: 53 }, tlvs: [] },
  ];
  for (const h of cases) {
    const r = decodeProxyHeader(encodeProxyV2(h));
    assert.equal(r.kind, 'ok');
    if (r.kind === 'ok') assert.deepEqual(r.header, h);
    const v1 = decodeProxyHeader(encodeProxyV1(h));
    assert.equal(v1.kind, 'ok');
    if (v1.kind === 'ok') assert.deepEqual(v1.header.source, h.source);
  }
  const mixed = decodeProxyHeader(encodeProxyV2({ command: 'proxy', transport: 'tcp', source: { family: 4, address: '192.0.2.7', port: 1 }, destination: { family: 6, address: '::1', port: 2 }, tlvs: [] }));
  assert.equal(mixed.kind === 'ok' && mixed.header.source?.address, '::ffff:192.0.2.7');
  assert.deepEqual(ipv6Bytes('::ffff:1.2.3.4'), Buffer.from('00000000000000000000ffff01020304', 'hex'));
});

test('dual-stack senders (captured v4-mapped TCP6 / INET6 headers): the relay takes an IPv4 client and re-encodes it in v1 and v2', () => {
  const cases = decoded.filter((d) => d.file.includes('v4mapped'));
  assert.equal(cases.length, 3);
  for (const d of cases) {
    const r = decodeProxyHeader(readFileSync(join(dir, d.file)));
    assert.ok(r.kind === 'ok', d.file);
    const a = headerAddresses(r.header)!;
    assert.deepEqual(a.source, { family: 4, address: '127.0.0.1', port: d.src_port }, d.file);
    assert.deepEqual(a.destination, { family: 4, address: '127.0.0.1', port: d.dst_port }, d.file);
    // What the relay then sends on: a v2 INET and a v1 TCP4 header (before, encodeProxyV2 threw).
    const v2 = encodeProxyV2({ command: 'proxy', transport: 'tcp', ...a, tlvs: [] });
    assert.equal(v2[13], 0x11, `${d.file}: AF_INET, STREAM`);
    assert.equal(encodeProxyV1({ command: 'proxy', ...a }).toString('latin1'), `PROXY TCP4 127.0.0.1 127.0.0.1 ${d.src_port} ${d.dst_port}\r\n`);
  }
  // A real IPv6 client and LOCAL stay as they are.
  const v6: ProxyHeader = { version: 2, command: 'proxy', transport: 'tcp', source: { family: 6, address: '2001:db8::7', port: 1 }, destination: { family: 6, address: '::ffff:192.0.2.1', port: 2 }, tlvs: [] };
  assert.deepEqual(headerAddresses(v6), { source: v6.source, destination: { family: 4, address: '192.0.2.1', port: 2 } });
  assert.equal(headerAddresses({ version: 2, command: 'local', transport: 'tcp', tlvs: [] }), undefined);
});

test('garbage and limits give errors with codes, never exceptions', () => {
  const bad: Array<[Buffer, string]> = [
    [Buffer.from('GET / HTTP/1.1\r\n'), 'ERR_PROXY_MISSING'],
    [Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n'), 'ERR_PROXY_V1_SYNTAX'],
    [Buffer.from('PROXY TCP4 ::1 5.6.7.8 1 2\r\n'), 'ERR_PROXY_V1_SYNTAX'],
    [Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n'), 'ERR_PROXY_V1_SYNTAX'],
    [Buffer.from('PROXY ' + 'x'.repeat(200)), 'ERR_PROXY_V1_TOO_LONG'],
    [Buffer.concat([encodeProxyV2({ command: 'local', transport: 'tcp', tlvs: [] }).subarray(0, 12), Buffer.from([0x31, 0x11, 0, 12])]), 'ERR_PROXY_V2_VERSION'],
    [Buffer.concat([encodeProxyV2({ command: 'local', transport: 'tcp', tlvs: [] }).subarray(0, 12), Buffer.from([0x21, 0x11, 0xff, 0xff])]), 'ERR_PROXY_V2_TOO_LONG'],
    [Buffer.concat([encodeProxyV2({ command: 'local', transport: 'tcp', tlvs: [] }).subarray(0, 12), Buffer.from([0x21, 0x21, 0, 12]), Buffer.alloc(12)]), 'ERR_PROXY_V2_SHORT'],
    [Buffer.concat([encodeProxyV2({ command: 'local', transport: 'tcp', tlvs: [] }).subarray(0, 12), Buffer.from([0x21, 0x11, 0, 14]), Buffer.alloc(12), Buffer.from([1, 0])]), 'ERR_PROXY_V2_TLV'],
  ];
  for (const [buf, code] of bad) {
    const r = decodeProxyHeader(buf);
    assert.equal(r.kind, 'error', buf.toString('latin1'));
    if (r.kind === 'error') assert.equal(r.code, code);
  }
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 255);
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(Array.from({ length: 1 + (i % 300) }, rnd));
    if (i % 3 === 0) Buffer.from('\r\n\r\n\0\r\nQUIT\n').copy(b);
    if (i % 3 === 1) Buffer.from('PROXY ').copy(b);
    assert.ok(['ok', 'need-more', 'error'].includes(decodeProxyHeader(b).kind));
  }
});
