// PowerDNS's kept text form for TXT/SPF/LUA (each case checked against pdns_server
// 4.7 in test/control-pdns-oracle-clients.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readLuaText, readTextStrings } from './pdns-text.js';

test('strings are kept as written, escapes included, one space apart', () => {
  const same = ['"v=DMARC1\\; p=reject"', '"a\\;b" "c\\;d"', '"a\\zb"', '"x\\059y"', '"café"', '"tab\there"', '"line1\nline2"', '""', '"a\\"b"'];
  for (const c of same) {
    const r = readTextStrings(c);
    assert.ok(r.ok, c);
    if (r.ok) assert.equal(r.canonical, c);
  }
  const differs: Array<[string, string]> = [['unquoted', '"unquoted"'], ['"a"  "b"', '"a" "b"'], ['"a"\n"b"', '"a" "b"'], ['"a" b', '"a" "b"'], ['"a" ', '"a"'], [' "a"', '"a"']];
  for (const [c, want] of differs) {
    const r = readTextStrings(c);
    assert.ok(r.ok && r.canonical === want, `${JSON.stringify(c)} → ${JSON.stringify(r)}`);
  }
  for (const bad of ['"a', '"a" b c', 'two words', '"a\\"']) assert.equal(readTextStrings(bad).ok, false, bad);
});

test('the parseable form writes raw newlines inside strings as \\010, escaped ones too', () => {
  const r = readTextStrings('"a\nb" "c\\\nd"');
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.parseable, '"a\\010b" "c\\010d"');
});

test('LUA: the type word, then the strings', () => {
  const upper = (w: string) => (/^[a-z]+$/i.test(w) ? w.toUpperCase() : undefined);
  const r = readLuaText('a ";return \'192.0.2.1\'\nend"', upper);
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.canonical, 'A ";return \'192.0.2.1\'\nend"');
    assert.equal(r.parseable, 'a ";return \'192.0.2.1\'\\010end"');
  }
  assert.equal(readLuaText('1x "x"', upper).ok, false);
});
