import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siphash24 } from './siphash.js';
import { COOKIE, CookieSigner, cookieLengthOk } from './cookie.js';
import { parseIPv4, parseIPv6 } from './addr.js';

const hex = (s: string) => Buffer.from(s, 'hex');

test('SipHash-2-4 gives the reference vectors (key 00..0f, message 00..n-1)', () => {
  const key = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
  const msg = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
  const out = Buffer.alloc(8);
  const want: Record<number, string> = { 0: '310e0edd47db6f72', 1: 'fd67dc93c539f874', 7: '37d1018bf50002ab', 8: '6224939a79f5f593', 15: 'e545be4961ca29a1', 63: '724506eb4c328a95' };
  for (const [n, h] of Object.entries(want)) {
    siphash24(key, msg, Number(n), out, 0);
    assert.equal(out.toString('hex'), h, `length ${n}`);
  }
});

function ip(text: string): Buffer {
  const b = Buffer.alloc(text.includes(':') ? 16 : 4);
  assert.ok(b.length === 4 ? parseIPv4(text, b, 0) : parseIPv6(text, b, 0));
  return b;
}

function check(signer: CookieSigner, cookie: string, addr: string, now: number): [number, string] {
  const c = hex(cookie), a = ip(addr);
  const st = signer.check(c, 0, c.length, a, 0, a.length, now);
  return [st, signer.reply.toString('hex')];
}

test('RFC 9018 appendix A: the server cookies of the worked examples', () => {
  const a = new CookieSigner(hex('e5e973e5a6b2a43f48e7dc849e37bfcf'));
  // A.1: a client cookie only → a new server cookie.
  assert.deepEqual(check(a, '2464c4abcf10c957', '198.51.100.100', 1559731985), [COOKIE.CLIENT, '2464c4abcf10c957010000005cf79f111f8130c3eee29480']);
  // A.2: the same cookie 40 minutes later: still good, but renewed (older than half an hour).
  assert.deepEqual(check(a, '2464c4abcf10c957010000005cf79f111f8130c3eee29480', '198.51.100.100', 1559734385), [COOKIE.GOOD, '2464c4abcf10c957010000005cf7a871d4a564a1442aca77']);
  // A.3: a cookie made by another server 1 h 52 min earlier (reserved octets set): too old, a new one is made.
  assert.deepEqual(check(a, 'fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5', '203.0.113.203', 1559734700), [COOKIE.BAD, 'fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e']);
  // Within its hour the same cookie is good (the reserved octets are hashed as received), and echoed…
  const t3 = 0x5cf78f71 + 10;
  assert.deepEqual(check(a, 'fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5', '203.0.113.203', t3), [COOKIE.GOOD, 'fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5']);
  // …but not from another address.
  assert.equal(check(a, 'fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5', '203.0.113.204', t3)[0], COOKIE.BAD);
  // A.4: IPv6, made with the old secret; after the rotation it is still good (previous secret) and renewed.
  const rotated = new CookieSigner(hex('445536bcd2513298075a5d379663c962'), hex('dd3bdf9344b678b185a6f5cb60fca715'));
  assert.deepEqual(check(rotated, '22681ab97d52c298010000005cf7c57926556bd0934c72f8', '2001:db8:220:1:59de:d0f4:8769:82b8', 1559741961), [COOKIE.GOOD, '22681ab97d52c298010000005cf7c609a6bb79d16625507a']);
  // Without the previous secret it is not.
  const only = new CookieSigner(hex('445536bcd2513298075a5d379663c962'));
  assert.equal(check(only, '22681ab97d52c298010000005cf7c57926556bd0934c72f8', '2001:db8:220:1:59de:d0f4:8769:82b8', 1559741961)[0], COOKIE.BAD);
});

test('a good cookie younger than half an hour is echoed; too old or from the future is bad', () => {
  const s = new CookieSigner(hex('e5e973e5a6b2a43f48e7dc849e37bfcf'));
  const cookie = '2464c4abcf10c957010000005cf79f111f8130c3eee29480';
  const t = 1559731985;
  assert.deepEqual(check(s, cookie, '198.51.100.100', t + 60), [COOKIE.GOOD, cookie]);
  assert.equal(check(s, cookie, '198.51.100.100', t + 3600)[0], COOKIE.GOOD);
  assert.equal(check(s, cookie, '198.51.100.100', t + 3601)[0], COOKIE.BAD);
  assert.equal(check(s, cookie, '198.51.100.100', t - 300)[0], COOKIE.GOOD);
  assert.equal(check(s, cookie, '198.51.100.100', t - 301)[0], COOKIE.BAD);
  // A bad cookie gets a fresh one, made now.
  const [st, reply] = check(s, cookie, '198.51.100.101', t);
  assert.equal(st, COOKIE.BAD);
  assert.equal(reply.slice(0, 16), '2464c4abcf10c957');
  assert.equal(reply.slice(16, 32), '010000005cf79f11');
  // A server cookie of another format (8..32 octets, not 16 with version 1) is not ours, but not malformed.
  assert.equal(check(s, '2464c4abcf10c957' + '00'.repeat(8), '198.51.100.100', t)[0], COOKIE.BAD);
  assert.equal(check(s, '2464c4abcf10c957' + '02' + cookie.slice(18), '198.51.100.100', t)[0], COOKIE.BAD);
});

test('option lengths: 8 and 16..40 are well formed (RFC 7873 §5.2.2)', () => {
  const s = new CookieSigner(Buffer.alloc(16));
  for (let n = 0; n <= 48; n++) {
    const ok = n === 8 || (n >= 16 && n <= 40);
    assert.equal(cookieLengthOk(n), ok, `length ${n}`);
    if (!ok) assert.equal(s.check(Buffer.alloc(n), 0, n, ip('192.0.2.1'), 0, 4, 1e9), COOKIE.MALFORMED);
  }
});
