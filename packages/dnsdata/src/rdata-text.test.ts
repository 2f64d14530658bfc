import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TYPE, type Rdata } from './types.js';
import { parseRdata, formatRdata, typeCode, typeName, checkRdata, txtWireLength } from './rdata-text.js';

const O = 'example.com.';
const b = (s: string) => Buffer.from(s, 'latin1');

test('typeCode and typeName', () => {
  const codes: [string, number | undefined][] = [
    ['A', 1], ['aaaa', 28], ['Mx', 15], ['TYPE123', 123], ['type65535', 65535], ['LUA', 65402],
    ['CAA', 257], ['SPF', 99], ['TYPE65536', undefined], ['TYPE', undefined], ['BOGUS', undefined], ['', undefined],
  ];
  for (const [name, code] of codes) assert.equal(typeCode(name), code, name);
  assert.equal(typeName(1), 'A');
  assert.equal(typeName(65402), 'LUA');
  assert.equal(typeName(123), 'TYPE123');
  for (const n of ['A', 'NS', 'SOA', 'TXT', 'AAAA', 'SRV', 'NAPTR', 'DS', 'CAA', 'LUA', 'TYPE4000']) {
    assert.equal(typeName(typeCode(n)!), n);
  }
});

// [type, input text, expected data, expected PowerDNS content]
const GOOD: [number, string, Rdata, string][] = [
  [TYPE.A, '192.0.2.1', { kind: 'a', address: '192.0.2.1' }, '192.0.2.1'],
  [TYPE.AAAA, '2001:DB8:0:0::1', { kind: 'aaaa', address: '2001:db8::1' }, '2001:db8::1'],
  [TYPE.AAAA, '::ffff:192.0.2.1', { kind: 'aaaa', address: '::ffff:192.0.2.1' }, '::ffff:192.0.2.1'],
  [TYPE.NS, 'ns1', { kind: 'name', target: 'ns1.example.com.' }, 'ns1.example.com.'],
  [TYPE.CNAME, 'www.other.org.', { kind: 'name', target: 'www.other.org.' }, 'www.other.org.'],
  [TYPE.PTR, '@', { kind: 'name', target: O }, O],
  [TYPE.MX, '10 mail', { kind: 'mx', preference: 10, exchange: 'mail.example.com.' }, '10 mail.example.com.'],
  [TYPE.MX, '0 .', { kind: 'mx', preference: 0, exchange: '.' }, '0 .'],
  [TYPE.SOA, 'ns1 hostmaster.example.com. 2024010101 1h 15M 1w2d 300',
    { kind: 'soa', mname: 'ns1.example.com.', rname: 'hostmaster.example.com.', serial: 2024010101,
      refresh: 3600, retry: 900, expire: 777600, minimum: 300 },
    'ns1.example.com. hostmaster.example.com. 2024010101 3600 900 777600 300'],
  [TYPE.TXT, '"v=spf1 -all"', { kind: 'txt', strings: [b('v=spf1 -all')] }, '"v=spf1 -all"'],
  [TYPE.TXT, 'plain two "three; four"', { kind: 'txt', strings: [b('plain'), b('two'), b('three; four')] },
    '"plain" "two" "three; four"'],
  [TYPE.TXT, '""', { kind: 'txt', strings: [b('')] }, '""'],
  [TYPE.TXT, '"q\\"uote \\\\ \\007 \\255"', { kind: 'txt', strings: [Buffer.from('q"uote \\ \x07 \xff', 'latin1')] },
    '"q\\"uote \\\\ \\007 \\255"'],
  [TYPE.TXT, '"héllo"', { kind: 'txt', strings: [Buffer.from('héllo', 'utf8')] }, '"h\\195\\169llo"'],
  [TYPE.SPF, '"v=spf1 mx -all"', { kind: 'txt', strings: [b('v=spf1 mx -all')] }, '"v=spf1 mx -all"'],
  [TYPE.SRV, '10 60 5060 sip', { kind: 'srv', priority: 10, weight: 60, port: 5060, target: 'sip.example.com.' },
    '10 60 5060 sip.example.com.'],
  [TYPE.CAA, '0 issue "letsencrypt.org"', { kind: 'caa', flags: 0, tag: 'issue', value: b('letsencrypt.org') },
    '0 issue "letsencrypt.org"'],
  [TYPE.CAA, '128 iodef mailto:x@example.com', { kind: 'caa', flags: 128, tag: 'iodef', value: b('mailto:x@example.com') },
    '128 iodef "mailto:x@example.com"'],
  [TYPE.NAPTR, '100 10 "S" "SIP+D2U" "" _sip._udp',
    { kind: 'naptr', order: 100, preference: 10, flags: b('S'), services: b('SIP+D2U'), regexp: b(''),
      replacement: '_sip._udp.example.com.' },
    '100 10 "S" "SIP+D2U" "" _sip._udp.example.com.'],
  [TYPE.NAPTR, '10 0 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .',
    { kind: 'naptr', order: 10, preference: 0, flags: b('U'), services: b('E2U+sip'),
      regexp: b('!^.*$!sip:info@example.com!'), replacement: '.' },
    '10 0 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .'],
  [TYPE.DS, '60485 5 1 2BB183AF5F22588179A5 3B0A98631FAD1A292118',
    { kind: 'ds', keyTag: 60485, algorithm: 5, digestType: 1, digest: Buffer.from('2bb183af5f22588179a53b0a98631fad1a292118', 'hex') },
    '60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118'],
  [TYPE.LUA, `A "pickclosest({'192.0.2.1','192.0.2.2'})"`,
    { kind: 'lua', innerType: TYPE.A, code: "pickclosest({'192.0.2.1','192.0.2.2'})" },
    `A "pickclosest({'192.0.2.1','192.0.2.2'})"`],
  [TYPE.LUA, `CNAME "if country('DE') " "then return 'de.example.' end"`,
    { kind: 'lua', innerType: TYPE.CNAME, code: "if country('DE') then return 'de.example.' end" },
    `CNAME "if country('DE') then return 'de.example.' end"`],
  [TYPE.LUA, 'txt "return \\"x\\""', { kind: 'lua', innerType: TYPE.TXT, code: 'return "x"' }, 'TXT "return \\"x\\""'],
  // RFC 3597 generic form: unknown types stay raw, known types become typed.
  [4000, '\\# 3 abcdef', { kind: 'raw', bytes: Buffer.from('abcdef', 'hex') }, '\\# 3 abcdef'],
  [4000, '\\# 0', { kind: 'raw', bytes: Buffer.alloc(0) }, '\\# 0 '], // as PowerDNS shows it
  [TYPE.TLSA, '\\# 5 03 01 01 AB cd', { kind: 'raw', bytes: Buffer.from('030101abcd', 'hex') }, '3 1 1 abcd'],
  [TYPE.RRSIG, '\\# 2 abcd', { kind: 'raw', bytes: Buffer.from('abcd', 'hex') }, '\\# 2 abcd'],
  // Types without their own variant but with a text form: wire octets, shown typed.
  [TYPE.HINFO, '"Intel x86" Linux', { kind: 'raw', bytes: Buffer.from('\x09Intel x86\x05Linux', 'latin1') }, '"Intel x86" "Linux"'],
  [TYPE.SSHFP, '4 2 ABCD ef01', { kind: 'raw', bytes: Buffer.from('0402abcdef01', 'hex') }, '4 2 abcdef01'],
  [TYPE.TLSA, '3 1 1 0D6FCE13243AA7', { kind: 'raw', bytes: Buffer.from('0301010d6fce13243aa7', 'hex') }, '3 1 1 0d6fce13243aa7'],
  [53, '3 1 1 aa', { kind: 'raw', bytes: Buffer.from('030101aa', 'hex') }, '3 1 1 aa'],
  [TYPE.DNSKEY, '257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0d xCjjnopKl+GqJxpVXckHAeF+KkxLbxIL fDLUT0rAK9iUzy1L53eKGQ==',
    { kind: 'raw', bytes: Buffer.concat([Buffer.from('0101030d', 'hex'),
      Buffer.from('mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==', 'base64')]) },
    '257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=='],
  [60, '0 3 0 AA==', { kind: 'raw', bytes: Buffer.from('0000030000', 'hex') }, '0 3 0 AA=='], // RFC 8078 delete
  [60, '256 3 8 AAEC', { kind: 'raw', bytes: Buffer.from('01000308000102', 'hex') }, '256 3 8 AAEC'],
  [59, '1 8 2 abcd', { kind: 'ds', keyTag: 1, algorithm: 8, digestType: 2, digest: Buffer.from('abcd', 'hex') }, '1 8 2 abcd'],
  [59, '\\# 5 0001 08 02 ab', { kind: 'ds', keyTag: 1, algorithm: 8, digestType: 2, digest: Buffer.from('ab', 'hex') }, '1 8 2 ab'],
  [61, 'AQID BA==', { kind: 'raw', bytes: Buffer.from([1, 2, 3, 4]) }, 'AQIDBA=='],
  [TYPE.A, '\\# 4 C0000201', { kind: 'a', address: '192.0.2.1' }, '192.0.2.1'],
  [TYPE.AAAA, '\\# 16 20010db8000000000000000000000001', { kind: 'aaaa', address: '2001:db8::1' }, '2001:db8::1'],
  [TYPE.NS, '\\# 5 036e733100', { kind: 'name', target: 'ns1.' }, 'ns1.'],
  [TYPE.MX, '\\# 6 000a 026d7800', { kind: 'mx', preference: 10, exchange: 'mx.' }, '10 mx.'],
  [TYPE.TXT, '\\# 6 0268690161 00', { kind: 'txt', strings: [b('hi'), b('a'), b('')] }, '"hi" "a" ""'],
  [TYPE.CAA, '\\# 8 00 05 6973737565 78', { kind: 'caa', flags: 0, tag: 'issue', value: b('x') }, '0 issue "x"'],
  [TYPE.SRV, '\\# 7 0001 0002 0003 00', { kind: 'srv', priority: 1, weight: 2, port: 3, target: '.' }, '1 2 3 .'],
  [TYPE.DS, '\\# 6 0001 08 02 abcd', { kind: 'ds', keyTag: 1, algorithm: 8, digestType: 2, digest: Buffer.from('abcd', 'hex') },
    '1 8 2 abcd'],
  [TYPE.SOA, '\\# 22 00 00 00000001 00000002 00000003 00000004 00000005',
    { kind: 'soa', mname: '.', rname: '.', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 }, '. . 1 2 3 4 5'],
  [TYPE.NAPTR, '\\# 8 0001 0002 00 00 00 00',
    { kind: 'naptr', order: 1, preference: 2, flags: b(''), services: b(''), regexp: b(''), replacement: '.' },
    '1 2 "" "" "" .'],
];

test('parseRdata reads every supported type', () => {
  for (const [type, text, want] of GOOD) assert.deepEqual(parseRdata(type, text, O), want, `${typeName(type)} ${text}`);
});

test('formatRdata writes PowerDNS content, which parses back to the same data', () => {
  for (const [type, text, data, content] of GOOD) {
    assert.equal(formatRdata(type, data), content, `${typeName(type)} ${text}`);
    assert.deepEqual(parseRdata(type, content, '.'), data, `round trip of ${content}`);
  }
});

const BAD: [number, string, RegExp][] = [
  [TYPE.A, '', /A record data: missing address/],
  [TYPE.A, '192.0.2', /not an IPv4 address/],
  [TYPE.A, '192.0.2.256', /not an IPv4 address/],
  [TYPE.A, '192.0.2.1 extra', /unexpected extra data "extra"/],
  [TYPE.AAAA, '192.0.2.1', /not an IPv6 address/],
  [TYPE.AAAA, 'fe80::1%eth0', /not an IPv6 address/],
  [TYPE.AAAA, '1::2::3', /not an IPv6 address/],
  [TYPE.NS, 'a..b', /target: empty label/],
  [TYPE.CNAME, `${'x'.repeat(64)}.com.`, /over the 63 limit/],
  [TYPE.MX, '65536 mx', /preference "65536" must be an integer 0-65535/],
  [TYPE.MX, '-1 mx', /preference/],
  [TYPE.MX, '10', /missing exchange/],
  [TYPE.SOA, 'ns hm 1 2 3 4', /missing minimum/],
  [TYPE.SOA, 'ns hm 4294967296 2 3 4 5', /serial/],
  [TYPE.SOA, 'ns hm 1 1x 3 4 5', /refresh: bad time value "1x"/],
  [TYPE.TXT, '', /missing text/],
  [TYPE.TXT, '"unterminated', /unterminated quoted string/],
  [TYPE.TXT, `"${'a'.repeat(65300)}"`, /65557 octets on the wire, over 65535/],
  [29, '91 N 0 E 0m', /latitude "91" must be an integer 0-90/], [29, '90 0 1 N 0 E 0m', /over 90 degrees/],
  [29, '52 N 4 E', /missing altitude/],
  [TYPE.SVCB, '1 . port=70000', /port "70000"/],
  [TYPE.SVCB, '1 . mandatory=port', /not given/],
  [TYPE.SVCB, '1 . alpn=h2 alpn=h3', /given twice/],
  [TYPE.HTTPS, '1 . bogus=1', /unknown SvcParamKey/],
  [256, '10 1 unquoted', /must be quoted/],
  [TYPE.TXT, '"bad \\25 escape"', /three digits/],
  [TYPE.TXT, '"bad \\300"', /over 255/],
  [TYPE.TXT, 'ends\\', /dangling backslash/],
  [TYPE.SRV, '1 2 3', /missing target/],
  [TYPE.SRV, '1 2 70000 t', /port/],
  [TYPE.CAA, '0 is-sue "x"', /letters and digits/],
  [TYPE.CAA, '256 issue "x"', /flags/],
  [TYPE.CAA, '0 issue "x" "y"', /extra data/],
  [TYPE.NAPTR, '1 2 "S" "x"', /missing regexp/],
  [TYPE.DS, '1 8 2 abc', /not an even number of hex digits/],
  [TYPE.DS, '1 8 2 zz', /hex/],
  [TYPE.DS, '1 8 2', /missing digest/],
  [TYPE.LUA, 'A', /missing code/],
  [TYPE.LUA, 'BOGUS "x"', /not a record type/],
  [TYPE.LUA, 'LUA "x"', /not a record type/],
  [TYPE.LUA, '\\# 1 00', /no \\# form/],
  [TYPE.RRSIG, 'A 8 2 3600 x', /no text form is known.*\\#/],
  [TYPE.HINFO, '"cpu"', /missing os/],
  [TYPE.HINFO, '"cpu" "os" "x"', /extra data/],
  [TYPE.SSHFP, '1 1 abc', /even number of hex/],
  [TYPE.TLSA, '3 1 256 ab', /matching type/],
  [TYPE.DNSKEY, '257 3 8 not*base64', /not valid base64/],
  [TYPE.DNSKEY, '257 3 8 abc', /not valid base64/],
  [4000, 'abc', /no text form/],
  [4000, '\\# 2 abcdef', /length 2 does not match 3/],
  [4000, '\\# 3 abcde', /not an even number/],
  [4000, '\\#', /decimal length/],
  [TYPE.A, '\\# 3 c00002', /too short/],
  [TYPE.A, '\\# 5 c000020101', /1 octets left over/],
  [TYPE.NS, '\\# 2 c00c', /compressed/],
  [TYPE.ANY, '\\# 0', /meta type/],
  [TYPE.OPT, '', /meta type/],
];

test('parseRdata rejects bad data with clear messages', () => {
  for (const [type, text, re] of BAD) {
    assert.throws(() => parseRdata(type, text, O), re, `${typeName(type)} ${text}`);
    const r = checkRdata(type, text, O);
    assert.equal(r.ok, false);
  }
});

test('a TXT string over 255 octets is kept whole; its wire length counts one length octet per 255', () => {
  const d = parseRdata(TYPE.TXT, `"${'a'.repeat(300)}" ""`, O);
  assert.deepEqual(d, { kind: 'txt', strings: [Buffer.alloc(300, 0x61), Buffer.alloc(0)] });
  assert.equal(formatRdata(TYPE.TXT, d), `"${'a'.repeat(300)}" ""`);
  assert.equal(txtWireLength([Buffer.alloc(255), Buffer.alloc(256), Buffer.alloc(0)]), 256 + 258 + 1);
});

test('LOC SVCB HTTPS URI RP DNAME ALIAS: PowerDNS canonical text round-trips through the wire octets', () => {
  const cases: Array<[string, string]> = [
    ['LOC', '52 22 23.000 N 4 53 32.000 E -2.00m 1.00m 10000.00m 10.00m'],
    ['LOC', '0 0 0.000 N 180 0 0.000 W -100000.00m 0.00m 0.01m 90000000.00m'],
    ['SVCB', '1 svc.example.net. mandatory=alpn,port alpn=h2,h3 port=8443 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1'],
    ['HTTPS', '1 . alpn=h3 no-default-alpn ech="AEX+DQ==" key65000="foo bar"'],
    ['SVCB', '0 target.example.net.'],
    ['URI', '10 1 "ftp://ftp1.example.com/public"'],
    ['RP', 'mbox.example.com. txt.example.com.'],
    ['DNAME', 'example.net.'],
    ['ALIAS', 'lb.example.net.'],
  ];
  for (const [type, text] of cases) {
    const code = typeCode(type)!;
    const d = parseRdata(code, text, O);
    assert.equal(formatRdata(code, d), text, type);
    assert.deepEqual(parseRdata(code, formatRdata(code, d), O), d, type);
  }
  // Stored form: names inside RP/SVCB without the trailing dot (PowerDNS's gmysql rows).
  assert.equal(formatRdata(17, parseRdata(17, 'a.example. b.example.', O), true), 'a.example b.example');
  // Precisions are rounded down to one digit times a power of ten (RFC 1876).
  assert.equal(formatRdata(29, parseRdata(29, '1 N 2 E 3m 15m 25m 1.5m', O)), '1 0 0.000 N 2 0 0.000 E 3.00m 10.00m 20.00m 1.00m');
});

test('checkRdata returns the data on success', () => {
  assert.deepEqual(checkRdata(TYPE.A, '10.0.0.1', O), { ok: true, data: { kind: 'a', address: '10.0.0.1' } });
});

test('random TXT octets round-trip through content form', () => {
  for (let i = 0; i < 200; i++) {
    const strings = Array.from({ length: 1 + (i % 3) }, (_, j) => randomBytes((i * 7 + j) % 256));
    const data: Rdata = { kind: 'txt', strings };
    assert.deepEqual(parseRdata(TYPE.TXT, formatRdata(TYPE.TXT, data), '.'), data);
  }
});

test('garbage input never crashes: it parses or throws an Error', () => {
  const types = [TYPE.A, TYPE.AAAA, TYPE.NS, TYPE.MX, TYPE.SOA, TYPE.TXT, TYPE.SRV, TYPE.CAA, TYPE.NAPTR, TYPE.DS, TYPE.LUA, 4000];
  const pieces = ['\\#', '"', '\\', '(', ')', ';', ' ', '10', 'a.', '\\999', '..', '0x', '::', 'A', '"x y"'];
  for (let i = 0; i < 3000; i++) {
    const text = i % 2
      ? randomBytes(i % 60).toString('latin1')
      : Array.from({ length: i % 9 }, () => pieces[Math.floor(Math.random() * pieces.length)]).join('');
    for (const type of types) {
      const r = checkRdata(type, text, O);
      if (r.ok) assert.deepEqual(parseRdata(type, formatRdata(type, r.data), '.'), r.data, JSON.stringify(text));
      else assert.match(r.error, /record data: ./);
    }
  }
});
