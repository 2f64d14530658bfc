import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  parseName, checkName, lowerName, nameToLabels, labelsToName, isSubdomain, relativize, wireLength, endsWithUnescapedDot,
} from './name.js';

const O = 'example.com.';

test('parseName makes names absolute and canonical', () => {
  const cases: [string, string, string][] = [
    ['www', O, 'www.example.com.'],
    ['www.example.com.', O, 'www.example.com.'],
    ['@', O, 'example.com.'],
    ['.', O, '.'],
    ['WWW', O, 'WWW.example.com.'],
    ['*.wild', O, '*.wild.example.com.'],
    ['_sip._udp', O, '_sip._udp.example.com.'],
    ['a', '.', 'a.'],
    ['a\\.b', O, 'a\\.b.example.com.'],
    ['\\065bc', O, 'Abc.example.com.'],
    ['\\097\\.\\\\x.', O, 'a\\.\\\\x.'],
    ['a b', O, 'a\\032b.example.com.'],
    ['\\000', '.', '\\000.'],
    ['a@b;c', '.', 'a\\@b\\;c.'],
    ['ü.de.', O, '\\195\\188.de.'],
    ['a\\.', O, 'a\\..example.com.'], // escaped dot: still relative
    ['x', 'a\\\\.', 'x.a\\\\.'],     // origin ending in an escaped backslash is absolute
  ];
  for (const [text, origin, want] of cases) assert.equal(parseName(text, origin), want, text);
});

test('parseName rejects bad names with clear messages', () => {
  const long63 = 'a'.repeat(63);
  const cases: [string, string, RegExp][] = [
    ['', O, /empty domain name/],
    ['a..b', O, /empty label/],
    ['.a', O, /empty label/],
    ['a..', O, /empty label/],
    [`${long63}a`, O, /64 octets, over the 63 limit/],
    [`${'\\097'.repeat(64)}`, O, /64 octets/],
    [`${long63}.${long63}.${long63}.${long63}.`, '.', /257 octets in wire form/],
    [`${long63}.${long63}.${long63}.${'a'.repeat(50)}`, O, /over the 255 limit/],
    ['a\\1', O, /three digits/],
    ['a\\12x', O, /three digits/],
    ['a\\256', O, /over 255/],
    ['a\\', O, /dangling backslash/],
    ['www', 'example.com', /not an absolute name/],
    ['@', 'example.com\\.', /not an absolute name/],
  ];
  for (const [text, origin, re] of cases) assert.throws(() => parseName(text, origin), re, text);
});

test('checkName returns an outcome instead of throwing', () => {
  assert.deepEqual(checkName('www', O), { ok: true, name: 'www.example.com.' });
  const bad = checkName('a..b', O);
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /empty label/);
});

test('a name of exactly 255 wire octets is accepted', () => {
  const l = 'a'.repeat(63);
  const name = `${l}.${l}.${l}.${'b'.repeat(61)}.`;
  assert.equal(wireLength(name), 255);
  assert.equal(parseName(name, '.'), name);
});

test('labels round-trip through presentation form', () => {
  const cases: Buffer[][] = [
    [],
    [Buffer.from('www'), Buffer.from('example'), Buffer.from('com')],
    [Buffer.from('a.b'), Buffer.from('c\\d'), Buffer.from('"();@$')],
    [Buffer.from([0, 1, 32, 127, 128, 255])],
  ];
  for (const labels of cases) {
    const name = labelsToName(labels);
    assert.deepEqual(nameToLabels(name), labels, name);
    assert.equal(parseName(name, '.'), name);
  }
  assert.equal(labelsToName([Buffer.from('a.b'), Buffer.from([0x20, 0x22])]), 'a\\.b.\\032\\".');
});

test('random label bytes round-trip', () => {
  for (let i = 0; i < 300; i++) {
    const labels = Array.from({ length: 1 + (i % 4) }, () => randomBytes(1 + (i % 60)));
    const name = labelsToName(labels);
    assert.deepEqual(nameToLabels(parseName(name, '.')), labels);
    assert.equal(wireLength(name), labels.reduce((n, l) => n + l.length + 1, 1));
  }
});

test('garbage text either parses to a valid name or throws an Error', () => {
  for (let i = 0; i < 2000; i++) {
    const text = randomBytes(1 + (i % 80)).toString('latin1');
    try {
      const name = parseName(text, O);
      assert.ok(wireLength(name) <= 255);
      assert.ok(nameToLabels(name).every((l) => l.length > 0 && l.length <= 63));
    } catch (err) {
      assert.ok(err instanceof Error && err.message.length > 0);
    }
  }
});

test('lowerName lowers ASCII only', () => {
  assert.equal(lowerName('WwW.Example.COM.'), 'www.example.com.');
  assert.equal(lowerName('www.example.com.'), 'www.example.com.');
  assert.equal(lowerName('ÄB.'), 'Äb.');
  assert.equal(lowerName('\\200A.'), '\\200a.');
});

test('isSubdomain compares whole labels, ignoring case', () => {
  const cases: [string, string, boolean][] = [
    ['www.example.com.', 'example.com.', true],
    ['WWW.EXAMPLE.com.', 'Example.COM.', true],
    ['example.com.', 'example.com.', true],
    ['anything.', '.', true],
    ['.', 'com.', false],
    ['badexample.com.', 'example.com.', false],
    ['example.com.', 'www.example.com.', false],
    ['a\\.example.com.', 'example.com.', false], // one label "a.example" under com.
    ['x.a\\.example.com.', 'a\\.example.com.', true],
    ['\\065.b.', 'b.', true],
  ];
  for (const [n, p, want] of cases) assert.equal(isSubdomain(n, p), want, `${n} under ${p}`);
});

test('relativize', () => {
  assert.equal(relativize('www.example.com.', O), 'www');
  assert.equal(relativize('a.b.Example.com.', O), 'a.b');
  assert.equal(relativize('EXAMPLE.com.', O), '@');
  assert.equal(relativize('other.org.', O), 'other.org.');
  assert.equal(relativize('a\\.b.example.com.', O), 'a\\.b');
  assert.equal(parseName(relativize('a\\.b.example.com.', O), O), 'a\\.b.example.com.');
});

test('wireLength', () => {
  assert.equal(wireLength('.'), 1);
  assert.equal(wireLength('com.'), 5);
  assert.equal(wireLength('www.example.com.'), 17);
  assert.equal(wireLength('a\\.b.c.'), 7);
  assert.equal(wireLength('\\000.'), 3);
});

test('endsWithUnescapedDot', () => {
  assert.equal(endsWithUnescapedDot('a.'), true);
  assert.equal(endsWithUnescapedDot('a\\.'), false);
  assert.equal(endsWithUnescapedDot('a\\\\.'), true);
  assert.equal(endsWithUnescapedDot('a'), false);
});
