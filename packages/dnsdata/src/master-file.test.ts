import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { MAX_ERRORS, parseMasterFile, parseMasterFileSteps, type MasterFileOptions } from './master-file.js';
import { formatRdata, typeName } from './rdata-text.js';
import type { RR } from './types.js';

const testdata = new URL('../src/testdata/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, testdata), 'utf8');
const show = (rr: RR) => `${rr.name} ${rr.ttl} ${typeName(rr.type)} ${formatRdata(rr.type, rr.data)}`;
const parse = (text: string, opts: Partial<MasterFileOptions> = {}) =>
  parseMasterFile(text, { origin: 'example.com.', file: 'test.zone', ...opts });

test('a realistic zone with every type parses to the expected records', () => {
  const r = parseMasterFile(fixture('example.com.zone'), {
    origin: 'example.com.', file: 'example.com.zone', include: fixture,
  });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.records.map(show), [
    'example.com. 3600 SOA ns1.example.com. hostmaster.example.com. 2024052001 7200 900 1209600 300',
    'example.com. 3600 NS ns1.example.com.',
    'example.com. 3600 NS ns2.example.net.',
    'example.com. 3600 MX 10 mail.example.com.',
    'example.com. 3600 MX 20 mail.backup.example.org.',
    'example.com. 3600 TXT "v=spf1 mx -all"',
    'example.com. 3600 SPF "v=spf1 mx -all"',
    'example.com. 3600 CAA 0 issue "letsencrypt.org"',
    'example.com. 3600 CAA 128 iodef "mailto:security@example.com"',
    'example.com. 3600 A 192.0.2.1',
    'example.com. 3600 AAAA 2001:db8::1',
    'ns1.example.com. 3600 A 192.0.2.53',
    'ns1.example.com. 3600 AAAA 2001:db8::53',
    'mail.example.com. 300 A 192.0.2.25',
    'www.example.com. 3600 CNAME example.com.',
    'ftp.example.com. 3600 CNAME www.example.com.',
    '_sip._udp.example.com. 600 SRV 10 60 5060 sip.example.com.',
    'sip.example.com. 600 NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp.example.com.',
    'sip.example.com. 3600 NAPTR 10 0 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .',
    'txt.example.com. 3600 TXT "two words" "semi;colon" "unquoted" "esc \\"quote\\" \\\\ A"',
    'long.example.com. 3600 TXT "first part of a long text record" "second part"',
    'secure.example.com. 3600 DS 60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118',
    `geo.example.com. 3600 LUA A "pickclosest({'192.0.2.1','192.0.2.2'})"`,
    `cname-lua.example.com. 3600 LUA CNAME "if country('DE') then return 'de.example.com.' end return 'world.example.com.'"`,
    'secure.example.com. 3600 DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==',
    'secure.example.com. 3600 CDS 60485 13 2 2bb183af5f22588179a53b0a98631fad1a2921182bb183af5f22588179a53b0a',
    'ns1.example.com. 3600 HINFO "Intel x86" "Linux"',
    'ns1.example.com. 3600 SSHFP 4 2 abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789',
    '_443._tcp.www.example.com. 3600 TLSA 3 1 1 0d6fce13243aa7a0b8fa4e7dbe7a0e6e',
    'unknown.example.com. 3600 TYPE65280 \\# 4 0a000001',
    'tlsa._tcp.example.com. 3600 TLSA 3 1 1 abcd',
    'aaaa-generic.example.com. 3600 AAAA 2001:db8::2',
    'ptr.example.com. 86400 PTR www.example.com.',
    '*.wild.example.com. 3600 A 192.0.2.99',
    'a\\.dot.example.com. 3600 A 192.0.2.100',
    'host.sub.example.com. 3600 A 192.0.2.200',
    'inc.sub.example.com. 3600 A 192.0.2.210',
    'inc.sub.example.com. 3600 TXT "from include"',
    'host.sub.example.com. 3600 A 192.0.2.201',
    'inc.other.example.com. 3600 A 192.0.2.210',
    'inc.other.example.com. 3600 TXT "from include"',
  ]);
  assert.ok(r.records.every((rr) => rr.class === 1));
});

test('exported records parse back to the same records (round trip)', () => {
  const first = parseMasterFile(fixture('example.com.zone'), { origin: 'example.com.', file: 'z', include: fixture });
  const text = first.records.map((rr) => `${rr.name} ${rr.ttl} IN ${show(rr).split(' ').slice(2).join(' ')}`).join('\n');
  const again = parse(text, { origin: '.' });
  assert.deepEqual(again.errors, []);
  assert.deepEqual(again.records, first.records);
});

test('every error is reported with file and line, and good records are kept', () => {
  const r = parseMasterFile(fixture('broken.zone'), {
    origin: 'example.com.', file: 'broken.zone',
    include: (p) => { throw new Error(`ENOENT: no such file ${p}`); },
  });
  assert.deepEqual(r.records.map((rr) => rr.name), [
    'broken.example.', 'ok1.broken.example.', 'ok2.broken.example.', 'ok3.broken.example.', 'ok4.broken.example.',
  ]);
  const want: [number, RegExp][] = [
    [5, /not an IPv4 address/],
    [6, /unknown record type "A6"/],
    [7, /unterminated quoted string/],
    [9, /class CH is not supported/],
    [10, /over the 63 limit/],
    [11, /over 255/],
    [12, /bad time value "forever"/],
    [13, /unsupported directive \$BOGUS/],
    [14, /\$INCLUDE nope.zone: ENOENT/],
    [15, /preference "ten"/],
    [17, /unbalanced "\("/],
  ];
  assert.equal(r.errors.length, want.length, JSON.stringify(r.errors, null, 1));
  want.forEach(([line, re], i) => {
    assert.equal(r.errors[i].file, 'broken.zone');
    assert.equal(r.errors[i].line, line, r.errors[i].message);
    assert.match(r.errors[i].message, re);
  });
});

test('TTL defaults: $TTL, else last explicit TTL, else SOA minimum, else defaultTtl, else error', () => {
  const ttls = (text: string, defaultTtl?: number): [number[], string[]] => {
    const r = parse(text, { defaultTtl });
    return [r.records.map((rr) => rr.ttl), r.errors.map((e) => `${e.line}: ${e.message}`)];
  };
  assert.deepEqual(ttls('a 60 A 192.0.2.1\nb A 192.0.2.2\n$TTL 2m\nc A 192.0.2.3\nd 5 A 192.0.2.4\ne A 192.0.2.5'),
    [[60, 60, 120, 5, 120], []]);
  assert.deepEqual(ttls('@ SOA ns hm 1 2 3 4 900\na A 192.0.2.1\nb 7 A 192.0.2.2\nc A 192.0.2.3'), [[900, 900, 7, 7], []]);
  assert.deepEqual(ttls('a A 192.0.2.1\nb 30 A 192.0.2.2', 77), [[77, 30], []]);
  const [got, errs] = ttls('a A 192.0.2.1\nb 30 A 192.0.2.2');
  assert.deepEqual(got, [30]);
  assert.match(errs[0], /^1: .*add a \$TTL/);
  assert.match(ttls('a 2147483648 A 192.0.2.1')[1][0], /over 2147483647/);
  assert.match(ttls('$TTL 1 2')[1][0], /\$TTL takes 1 argument/);
});

test('TTL and class may come in either order and are optional', () => {
  const r = parse([
    'a 300 IN A 192.0.2.1', 'b IN 300 A 192.0.2.2', 'c in A 192.0.2.3', 'd 1h a 192.0.2.4', 'e CLASS1 A 192.0.2.5',
    'f IN IN A 192.0.2.6', 'g 1 2 A 192.0.2.7', 'h', 'i 300', 'j CLASS3 A 192.0.2.8', 'k "A" 192.0.2.9',
  ].join('\n'), { defaultTtl: 9 });
  assert.deepEqual(r.records.map((rr) => `${rr.name} ${rr.ttl}`),
    ['a.example.com. 300', 'b.example.com. 300', 'c.example.com. 300', 'd.example.com. 3600', 'e.example.com. 3600']);
  assert.deepEqual(r.errors.map((e) => [e.line, e.message]), [
    [6, 'unknown record type "IN"'],
    [7, 'unknown record type "2"'],
    [8, 'record has no type'],
    [9, 'record has no type'],
    [10, 'class CLASS3 is not supported; only IN'],
    [11, 'unknown record type "A"'],
  ]);
});

test('owners: @, relative, absolute, blank = previous, $ORIGIN relative to the current origin', () => {
  const r = parse([
    '$TTL 60', '@ A 192.0.2.1', '  A 192.0.2.2', 'www A 192.0.2.3', '\tAAAA ::1', 'x.org. A 192.0.2.4',
    '$ORIGIN sub', '@ A 192.0.2.5', 'h A 192.0.2.6', '$ORIGIN Other.NET.', 'h MX 1 @',
  ].join('\n'));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.records.map(show), [
    'example.com. 60 A 192.0.2.1', 'example.com. 60 A 192.0.2.2', 'www.example.com. 60 A 192.0.2.3',
    'www.example.com. 60 AAAA ::1', 'x.org. 60 A 192.0.2.4', 'sub.example.com. 60 A 192.0.2.5',
    'h.sub.example.com. 60 A 192.0.2.6', 'h.Other.NET. 60 MX 1 Other.NET.',
  ]);
  assert.deepEqual(parse('$TTL 60\n  A 192.0.2.1').errors.map((e) => e.message), ['record has no owner name and there is no previous owner']);
});

test('$INCLUDE: needs a reader, keeps the includer origin and owner, reports errors in the included file', () => {
  assert.match(parse('$INCLUDE x.zone').errors[0].message, /includes are not allowed/);
  const files: Record<string, string> = {
    'a.zone': 'a A 192.0.2.1\nbad A nope\n$INCLUDE b.zone',
    'b.zone': 'b A 192.0.2.2',
    'loop.zone': '$INCLUDE loop.zone',
  };
  const include = (p: string) => {
    if (!(p in files)) throw new Error(`no file ${p}`);
    return files[p];
  };
  const r = parse('$TTL 60\nw A 192.0.2.9\n$INCLUDE a.zone sub\n  A 192.0.2.10\n$INCLUDE loop.zone\n$INCLUDE', { include });
  assert.deepEqual(r.records.map(show), [
    'w.example.com. 60 A 192.0.2.9', 'a.sub.example.com. 60 A 192.0.2.1', 'b.sub.example.com. 60 A 192.0.2.2',
    'w.example.com. 60 A 192.0.2.10',
  ]);
  assert.deepEqual(r.errors.map((e) => [e.file, e.line]), [['a.zone', 2], ['loop.zone', 1], ['test.zone', 6]]);
  assert.match(r.errors[1].message, /include loop \(test.zone -> loop.zone -> loop.zone\)/);
  assert.match(r.errors[2].message, /\$INCLUDE takes 1 or 2 arguments/);
});

test('CRLF line ends and a byte-order mark are accepted', () => {
  const r = parse('\ufeff$TTL 60\r\nwww A 192.0.2.1\r\n  TXT "x" ; c\r\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.records.map(show), ['www.example.com. 60 A 192.0.2.1', 'www.example.com. 60 TXT "x"']);
});

test('$INCLUDE fan-out is bounded', () => {
  const fan = '$INCLUDE x.zone\n'.repeat(50);
  const r = parse('$TTL 1\n$INCLUDE a.zone', { include: (p) => (p === 'a.zone' ? fan.replace(/x/g, 'b') : p === 'b.zone' ? fan.replace(/x/g, 'c') : 'c A 192.0.2.1') });
  // 1000 includes: a, then 19 b's with their 50 c's each (970), a 20th b and 29 more c's.
  assert.equal(r.records.length, 19 * 50 + 29);
  assert.ok(r.errors.length > 0 && r.errors.slice(0, -1).every((e) => /more than 1000 includes/.test(e.message)));
  assert.match(r.errors.at(-1)!.message, /50 errors: parsing stopped here/);
});

test('parsing stops after MAX_ERRORS errors: a file of garbage costs its first lines, not all of them', () => {
  const garbage = Array.from({ length: 200_000 }, (_, i) => `garbage${i} is not a record ${i}`).join('\n');
  const t0 = performance.now();
  const r = parse(garbage);
  const ms = performance.now() - t0;
  assert.equal(r.errors.length, MAX_ERRORS + 1);
  assert.match(r.errors[MAX_ERRORS]!.message, /^50 errors: parsing stopped here$/);
  assert.equal(r.errors[MAX_ERRORS]!.line, MAX_ERRORS);
  assert.ok(ms < 500, `${ms.toFixed(0)} ms`);
});

test('a "(" never closed in a huge file ends its record after MAX_RECORD_TEXT characters', () => {
  const lines = Array.from({ length: 200_000 }, (_, i) => `x${i} ((( TXT "a" )x ${i}`);
  const t0 = performance.now();
  const r = parse(lines.join('\n'));
  const ms = performance.now() - t0;
  assert.ok(r.errors.length >= 1 && r.errors.length <= MAX_ERRORS + 1);
  assert.match(r.errors[0]!.message, /longer than 1048576 characters|never closed/);
  assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
  // One enormous physical line is cut the same way.
  const one = parse(`a 60 TXT ${'"x" '.repeat(400_000)}\nb 60 A 192.0.2.1\n`);
  assert.match(one.errors[0]!.message, /longer than/);
  assert.equal(one.errors[0]!.line, 1);
  assert.equal(one.records.length, 1, 'the next line is still read');
});

test('parseMasterFileSteps yields while parsing and returns what parseMasterFile returns', () => {
  const text = '$TTL 60\n' + Array.from({ length: 5000 }, (_, i) => `h${i} A 192.0.2.${i % 250}`).join('\n');
  const steps = parseMasterFileSteps(text, { origin: 'example.com.', file: 'x' });
  let yields = 0;
  let r = steps.next();
  for (; !r.done; r = steps.next()) yields++;
  assert.ok(yields >= 5, `${yields} yields`);
  assert.deepEqual(r.value, parseMasterFile(text, { origin: 'example.com.', file: 'x' }));
});

test('a bad origin is one clear error', () => {
  const r = parse('a A 192.0.2.1', { origin: 'a..b.' });
  assert.deepEqual(r.records, []);
  assert.match(r.errors[0].message, /origin: empty label/);
});

test('garbage input never throws; every error has the file and a real line number', () => {
  const pieces = ['$TTL', '$ORIGIN', '$INCLUDE', '@', '(', ')', '"', ';', '\\', 'IN', 'A', 'TXT', 'SOA', 'LUA',
    '\\#', '1.2.3.4', '300', 'x.', '\n', '\n', ' ', '\t', 'CH', '\\999', 'MX'];
  for (let i = 0; i < 400; i++) {
    const text = i % 2
      ? randomBytes(i * 5).toString('latin1')
      : Array.from({ length: i }, () => pieces[(Math.random() * pieces.length) | 0]).join(' ');
    const lines = text.split('\n').length;
    const r = parse(text, { include: () => 'inc A 192.0.2.1' });
    for (const e of r.errors) {
      assert.ok(e.file === 'test.zone' || e.file.length > 0);
      assert.ok(e.line >= 1 && e.line <= lines, `line ${e.line} of ${lines}`);
      assert.ok(e.message.length > 0);
    }
    for (const rr of r.records) assert.ok(rr.name.endsWith('.') && rr.ttl >= 0 && rr.ttl <= 0x7fffffff);
  }
});
