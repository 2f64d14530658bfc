import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@geoedge/shared';
import { buildChain } from '../chain.js';
import { createMetrics } from '../metrics.js';
import { DEFAULT_ZONES } from '../config.js';
import { loadZoneText } from '../zones/file-source.js';
import { buildZoneSet } from '../zones/zone-set.js';
import { buildQuery } from '../wire/query-builder.js';
import { parseIPv4, parseIPv6 } from '../wire/addr.js';
import { CookieSigner, OPTION_COOKIE } from '../wire/cookie.js';
import { ResponseRateLimiter, classify, parseCidr, slipOf, KINDS, type RrlOptions, type RrlEvents } from './rrl.js';
import type { Handler, Peer } from '../server.js';

const A = 1, TYPE_TXT = 16;
const file = join(DEFAULT_ZONES, 'example.com.zone');
const loaded = loadZoneText(file, readFileSync(file, 'utf8'));
assert.ok(loaded.kind === 'ok');
const zones = buildZoneSet([loaded.zone]);
const log = createLogger({ name: 'test', level: 'silent' });

function chain(extra: Partial<Parameters<typeof buildChain>[0]> = {}): Handler {
  return buildChain({ snapshot: () => zones, log, metrics: createMetrics(), logQueries: false, ednsPayload: 1232, chainLimit: 12, ...extra });
}

function peer(address: string, transport: 'udp' | 'tcp' = 'udp'): Peer {
  const ip = new Uint8Array(16);
  const ipLen = parseIPv4(address, ip, 0) ? 4 : parseIPv6(address, ip, 0) ? 16 : 0;
  return { transport, address, port: 5353, localAddress: '127.0.0.1', ip, ipAt: 0, ipLen };
}

const plain = chain();
/** Our answer (no RRL) to qname/qtype, with EDNS. */
function answer(qname: string, qtype = A): Buffer {
  return plain(buildQuery({ qname, qtype, edns: {} }), peer('192.0.2.1'))!;
}

function opts(over: Partial<RrlOptions> = {}): RrlOptions {
  return { rates: { answer: 10, nodata: 10, nxdomain: 10, referral: 10, error: 10 }, slip: 2, window: 15, ipv4PrefixLength: 24, ipv6PrefixLength: 56, exempt: [], logOnly: false, tableSize: 4096, ...over };
}

function recorder() {
  const seen: string[] = [];
  const started: string[] = [];
  const ev: RrlEvents = { limited: (k, a) => seen.push(`${k}:${a}`), started: (p, k) => started.push(`${p} ${k}`) };
  return { ev, seen, started };
}

/** How many of `n` responses each (name, address) pair gets through at second `sec`. */
function sent(l: ResponseRateLimiter, out: Buffer, addrs: string[], n: number, sec = 100): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const p = peer(addrs[i % addrs.length]!);
    if (l.limit(out, p.ip, 0, p.ipLen, sec * 1000, false) === out) ok++;
  }
  return ok;
}

test('responses are classified by kind', () => {
  assert.equal(KINDS[classify(answer('www.example.com.'))], 'answer');
  assert.equal(KINDS[classify(answer('www.example.com.', TYPE_TXT))], 'nodata');
  assert.equal(KINDS[classify(answer('nope.example.com.'))], 'nxdomain');
  assert.equal(KINDS[classify(answer('host.sub.example.com.'))], 'referral');
  assert.equal(KINDS[classify(answer('www.example.net.'))], 'error');
});

test('one account per /24 (IPv4) and /56 (IPv6): all hosts of a prefix share it', () => {
  const l = new ResponseRateLimiter(opts(), 1, recorder().ev, 1);
  const www = answer('www.example.com.');
  const hosts = Array.from({ length: 50 }, (_, i) => `198.51.100.${i + 1}`);
  assert.equal(sent(l, www, hosts, 200), 10);
  assert.equal(sent(l, www, ['198.51.101.7'], 20), 10, 'another /24 has its own account');
  assert.equal(sent(l, www, ['2001:db8:0:ff::1', '2001:db8:0:aa::2'], 30), 10, 'same /56');
  assert.equal(sent(l, www, ['2001:db8:0:1ff::1'], 20), 10, 'another /56');
  const wide = new ResponseRateLimiter(opts({ ipv4PrefixLength: 16 }), 1, recorder().ev, 1);
  assert.equal(sent(wide, www, ['10.1.2.3', '10.1.200.3'], 40), 10, '/16 configured');
});

test('accounts per name: answers per QNAME and QTYPE, NXDOMAIN and NODATA per zone, referrals per delegation, errors per prefix', () => {
  const l = new ResponseRateLimiter(opts(), 1, recorder().ev, 1);
  const me = ['192.0.2.77'];
  assert.equal(sent(l, answer('www.example.com.'), me, 20), 10);
  assert.equal(sent(l, answer('mail.example.com.'), me, 20), 10, 'another name is another account');
  assert.equal(sent(l, answer('www.example.com.', 28), me, 20), 10, 'another type is another account');
  assert.equal(sent(l, answer('WWW.Example.COM.'), me, 5), 0, 'the name is case-folded');
  let nx = 0;
  for (let i = 0; i < 40; i++) nx += sent(l, answer(`r${i}.example.com.`), me, 1);
  assert.equal(nx, 10, 'random names under one zone share its NXDOMAIN account');
  let nodata = 0;
  for (const t of [16, 33, 99, 257, 13, 15]) nodata += sent(l, answer('www.example.com.', t), me, 3);
  assert.equal(nodata, 10, 'NODATA for any name of the zone shares one account');
  let ref = 0;
  for (let i = 0; i < 30; i++) ref += sent(l, answer(`h${i}.sub.example.com.`), me, 1);
  assert.equal(ref, 10, 'names under one delegation share its referral account');
  let err = 0;
  for (let i = 0; i < 30; i++) err += sent(l, answer(`x${i}.example${i}.net.`), me, 1);
  assert.equal(err, 10, 'all errors of a prefix share one account');
});

test('refused responses: slips are TC=1 (or BADCOOKIE with a client cookie), the rest dropped; events name them', () => {
  const r = recorder();
  const l = new ResponseRateLimiter(opts({ rates: { answer: 2, nodata: 2, nxdomain: 2, referral: 2, error: 2 } }), 1, r.ev, 1);
  const www = answer('www.example.com.');
  const p = peer('203.0.113.9');
  const got = Array.from({ length: 6 }, () => l.limit(www, p.ip, 0, 4, 5000, false));
  assert.equal(got[0], www);
  assert.equal(got[1], www);
  assert.equal(got[3], null);
  assert.equal(got[5], null);
  const tc = got[2]!;
  assert.equal(tc.readUInt16BE(0), www.readUInt16BE(0));
  assert.ok(tc[2]! & 0x02, 'TC set');
  assert.deepEqual([tc.readUInt16BE(4), tc.readUInt16BE(6), tc.readUInt16BE(8), tc.readUInt16BE(10)], [1, 0, 0, 1]);
  assert.deepEqual(r.seen, ['answer:slipped', 'answer:dropped', 'answer:slipped', 'answer:dropped']);
  assert.deepEqual(r.started, ['203.0.113.0/24 answer']);
  const bad = l.limit(www, p.ip, 0, 4, 5000, true)!;
  assert.ok(bad === null || (bad[3]! & 0xf) === 7);
});

test('slipOf keeps the question and OPT (with its cookie); BADCOOKIE is rcode 23 without AA', () => {
  const c = chain({ cookies: new CookieSigner(Buffer.alloc(16, 7)) });
  const q = buildQuery({ qname: 'www.example.com.', qtype: A, edns: { options: [{ code: OPTION_COOKIE, data: Buffer.from('0102030405060708', 'hex') }] } });
  const out = c(q, peer('192.0.2.1'))!;
  const s = slipOf(out, true);
  assert.equal(s[2]! & 0x04, 0, 'no AA');
  assert.equal(s[3]! & 0xf, 7);
  const qEnd = q.length - 11 - 12; // the query's OPT: 11 + option 12
  assert.deepEqual(s.subarray(12, qEnd), q.subarray(12, qEnd));
  assert.equal(s[qEnd + 5], 1, 'extended RCODE 1: 1 << 4 | 7 = 23');
  assert.equal(s.readUInt16BE(qEnd + 11), OPTION_COOKIE);
  assert.deepEqual(s.subarray(qEnd + 15, qEnd + 15 + 24), out.subarray(out.length - 24));
  const noOpt = slipOf(plain(buildQuery({ qname: 'www.example.com.', qtype: A }), peer('192.0.2.1'))!, false);
  assert.deepEqual([noOpt.readUInt16BE(6), noOpt.readUInt16BE(10)], [0, 0]);
  assert.ok(noOpt[2]! & 0x02);
});

test('exempt prefixes, log-only mode, unlimited kinds and the per-worker share of the rate', () => {
  const www = answer('www.example.com.');
  const ex = new ResponseRateLimiter(opts({ exempt: ['192.0.2.0/25', '2001:db8::/32', '198.51.100.7'].map((e) => parseCidr(e) as never) }), 1, recorder().ev, 1);
  assert.equal(sent(ex, www, ['192.0.2.100'], 50), 50);
  assert.equal(sent(ex, www, ['192.0.2.200'], 50), 10, 'outside /25');
  assert.equal(sent(ex, www, ['2001:db8:1::1'], 50), 50);
  assert.equal(sent(ex, www, ['198.51.100.7'], 50), 50);
  assert.equal(sent(ex, www, ['198.51.100.8'], 50), 10);
  const r = recorder();
  const lo = new ResponseRateLimiter(opts({ logOnly: true }), 1, r.ev, 1);
  assert.equal(sent(lo, www, ['192.0.2.1'], 50), 50);
  assert.equal(r.seen.length, 40);
  assert.ok(r.seen.every((s) => s === 'answer:logged'));
  const off = new ResponseRateLimiter(opts({ rates: { answer: 0, nodata: 10, nxdomain: 10, referral: 10, error: 10 } }), 1, recorder().ev, 1);
  assert.equal(sent(off, www, ['192.0.2.1'], 50), 50);
  const three = new ResponseRateLimiter(opts({ rates: { answer: 20, nodata: 20, nxdomain: 20, referral: 20, error: 20 } }), 3, recorder().ev, 1);
  assert.equal(sent(three, www, ['192.0.2.1'], 50), 7, 'ceil(20 / 3) per worker');
});

test('parseCidr names what is wrong', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8'), { v6: false, bytes: new Uint8Array([10, 0, 0, 0]), prefix: 8 });
  assert.match(parseCidr('10.0.0.0/33') as string, /prefix length "33" is not 0..32/);
  assert.match(parseCidr('example.com') as string, /not an IPv4 or IPv6 address/);
  assert.match(parseCidr('1.2.3.4/8/9') as string, /not an address or address\/prefix/);
});

test('in the chain: a good server cookie is never limited, a client cookie gets BADCOOKIE slips, TCP is not limited, a malformed cookie is FORMERR', () => {
  const signer = new CookieSigner(Buffer.alloc(16, 9));
  const rrl = new ResponseRateLimiter(opts({ rates: { answer: 2, nodata: 2, nxdomain: 2, referral: 2, error: 2 }, slip: 1 }), 1, recorder().ev, 1);
  const c = chain({ cookies: signer, rrl });
  const me = peer('192.0.2.33');
  const withCookie = (data: Buffer) => buildQuery({ qname: 'www.example.com.', qtype: A, edns: { options: [{ code: OPTION_COOKIE, data }] } });
  const client = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
  const first = c(withCookie(client), me)!;
  const full = first.subarray(first.length - 24); // client + server cookie, as sent back
  assert.deepEqual(full.subarray(0, 8), client);
  // Use up the account with queries that have no cookie.
  for (let i = 0; i < 10; i++) c(buildQuery({ qname: 'www.example.com.', qtype: A }), me);
  // Client cookie only: slipped as BADCOOKIE (slip 1), carrying a server cookie.
  const slipped = c(withCookie(client), me)!;
  assert.equal(slipped[3]! & 0xf, 7);
  // The good server cookie: answered every time.
  for (let i = 0; i < 50; i++) {
    const r = c(withCookie(Buffer.from(full)), me)!;
    assert.equal(r.readUInt16BE(6), 1, `query ${i} answered`);
  }
  // A server cookie from another address is not good there.
  const other = c(withCookie(Buffer.from(full)), peer('192.0.2.34'))!;
  assert.equal(other[3]! & 0xf, 7);
  // TCP is never limited.
  for (let i = 0; i < 20; i++) assert.equal(c(buildQuery({ qname: 'www.example.com.', qtype: A }), peer('192.0.2.33', 'tcp'))!.readUInt16BE(6), 1);
  // Malformed (RFC 7873 §5.2.2): FORMERR.
  const bad = c(withCookie(Buffer.alloc(12)), peer('10.9.9.9'))!;
  assert.equal(bad[3]! & 0xf, 1);
});

test('with cookies off the COOKIE option is ignored, even a malformed one (RFC 7873 §5.2: as a server without cookies)', () => {
  const q = buildQuery({ qname: 'www.example.com.', qtype: A, edns: { options: [{ code: OPTION_COOKIE, data: Buffer.alloc(12) }] } });
  const r = plain(q, peer('192.0.2.1'))!;
  assert.equal(r[3]! & 0xf, 0);
  assert.equal(r.readUInt16BE(6), 1);
  assert.ok(!r.includes(Buffer.from([0, OPTION_COOKIE, 0, 12])), 'no COOKIE option in the answer');
});

test('the limiter allocates nothing per response: no collections and no heap growth over windows of 100,000 checks', async () => {
  const { PerformanceObserver } = await import('node:perf_hooks');
  const l = new ResponseRateLimiter(opts({ rates: { answer: 1e6, nodata: 1e6, nxdomain: 1e6, referral: 1e6, error: 1e6 } }), 1, recorder().ev, 1);
  const outs = [answer('www.example.com.'), answer('nope.example.com.'), answer('host.sub.example.com.'), answer('www.example.net.')];
  const p4 = peer('198.51.100.1'), p6 = peer('2001:db8::1');
  let ms = 0; // a clock that moves on a second every 4096 responses, as a busy server's would
  const run = (n: number) => { for (let i = 0; i < n; i++) { if ((i & 4095) === 0) ms += 1000; l.limit(outs[i & 3]!, (i & 1 ? p4 : p6).ip, 0, i & 1 ? 4 : 16, ms, false); } };
  for (let w = 0; w < 5; w++) run(200_000); // warm up: optimised code, table slots taken
  const gcs: number[] = [];
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcs.push(e.startTime); });
  obs.observe({ entryTypes: ['gc'] });
  const windows: Array<{ t0: number; t1: number; grew: number }> = [];
  for (let w = 0; w < 15; w++) {
    const t0 = performance.now(), h0 = process.memoryUsage().heapUsed;
    run(100_000);
    windows.push({ t0, t1: performance.now(), grew: process.memoryUsage().heapUsed - h0 });
  }
  await new Promise((r) => setTimeout(r, 50)); // GC entries arrive asynchronously
  obs.disconnect();
  // A window with a collection in it says nothing; 12 bytes a check (one boxed number) would be
  // 1.2 MB a window, a collection in nearly every one. Clean windows must show no growth.
  const clean = windows.filter((w) => !gcs.some((t) => t >= w.t0 - 1 && t <= w.t1 + 1));
  assert.ok(clean.length >= 5, `only ${clean.length} of 15 windows ran without a collection (${gcs.length} collections)`);
  for (const w of clean) assert.ok(w.grew < 20_000, `heap grew ${w.grew} bytes in 100,000 checks`);
});
