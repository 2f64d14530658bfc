import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Tokenizer, tokenize, decodeCharString, encodeCharString, type LogicalLine } from './tokenizer.js';

function lines(text: string): LogicalLine[] {
  const t = new Tokenizer(text);
  const out: LogicalLine[] = [];
  for (let l = t.next(); l; l = t.next()) out.push(l);
  return out;
}
const words = (l: LogicalLine) => l.tokens.map((t) => (t.quoted ? `"${t.text}"` : t.text));

test('tokenize splits on blanks and keeps quoted strings whole', () => {
  const cases: [string, string[]][] = [
    ['a b\tc', ['a', 'b', 'c']],
    ['  10   mail  ', ['10', 'mail']],
    ['"a b; c" d', ['"a b; c"', 'd']],
    ['x"y z"w', ['x', '"y z"', 'w']],
    ['a\\ b c', ['a\\ b', 'c']],
    ['"q\\"x" y', ['"q\\"x"', 'y']],
    ['a ; comment "not a quote', ['a']],
    ['""', ['""']],
    ['a(b)c', ['a', 'b', 'c']],
  ];
  for (const [text, want] of cases) {
    assert.deepEqual(tokenize(text).map((t) => (t.quoted ? `"${t.text}"` : t.text)), want, text);
  }
});

test('logical lines: parentheses span lines, indentation and line numbers are kept', () => {
  const text = [
    '$TTL 1h',
    '@ IN SOA ns hm ( 1 ; serial',
    '   2 3',
    '   4 5 )',
    '',
    '; only a comment',
    '  A 192.0.2.1',
    'www TXT "a;b" ; trailing',
  ].join('\n');
  const ls = lines(text);
  assert.deepEqual(ls.map((l) => [l.line, l.indented, words(l)]), [
    [1, false, ['$TTL', '1h']],
    [2, false, ['@', 'IN', 'SOA', 'ns', 'hm', '1', '2', '3', '4', '5']],
    [7, true, ['A', '192.0.2.1']],
    [8, false, ['www', 'TXT', '"a;b"']],
  ]);
});

test('lexical errors are reported on their line and scanning continues', () => {
  const ls = lines('a TXT "open\nb A 1.2.3.4\nc A 1.2.3.5 )\nd TXT x\\');
  assert.deepEqual(ls.map((l) => [l.line, l.error]), [
    [1, 'unterminated quoted string (a string spanning lines must be inside "( )")'],
    [2, undefined],
    [3, 'unbalanced ")"'],
    [4, 'dangling backslash'],
  ]);
});

test('an unclosed "(" is reported and later records are still read', () => {
  const ls = lines('a SOA ns hm ( 1 2 3 4 5\nb A 192.0.2.1\nc A 192.0.2.2\n');
  assert.equal(ls[0].line, 1);
  assert.match(ls[0].error!, /unbalanced "\("/);
  assert.deepEqual(ls.slice(1).map((l) => [l.line, words(l)]), [[2, ['b', 'A', '192.0.2.1']], [3, ['c', 'A', '192.0.2.2']]]);
});

test('many unclosed "(" are scanned in linear time: two errors, then the scan ends', () => {
  const ls = lines('a A (\n'.repeat(20000));
  assert.deepEqual(ls.map((l) => [l.line, l.error]), [
    [1, 'unbalanced "(": not closed before the end of the file'],
    [2, 'unbalanced "(": not closed before the end of the file'],
  ]);
});

test('tokenize throws on lexical errors', () => {
  assert.throws(() => tokenize('"abc'), /unterminated quoted string/);
  assert.throws(() => tokenize('a )'), /unbalanced/);
  assert.throws(() => tokenize('( a'), /unbalanced/);
});

test('character strings decode escapes and round-trip', () => {
  assert.deepEqual(decodeCharString('a\\"b\\\\c\\065\\255'), Buffer.from('a"b\\cA\xff', 'latin1'));
  assert.deepEqual(decodeCharString('é'), Buffer.from('é', 'utf8'));
  assert.equal(encodeCharString(Buffer.from('a"b\\c\n\xff', 'latin1')), '"a\\"b\\\\c\\010\\255"');
  for (let i = 0; i < 200; i++) {
    const bytes = randomBytes(i);
    const enc = encodeCharString(bytes);
    const toks = tokenize(enc);
    assert.equal(toks.length, 1);
    assert.deepEqual(decodeCharString(toks[0].text), bytes);
  }
});

test('random bytes never crash the tokenizer', () => {
  for (let i = 0; i < 500; i++) {
    const text = randomBytes(i * 4).toString('latin1');
    const ls = lines(text);
    for (const l of ls) assert.ok(l.line >= 1 && (l.tokens.length > 0 || l.error));
  }
});

test('a quoted string spans lines inside ( ), keeping its newlines (multi-line LUA scripts)', () => {
  const ls = lines('a LUA A ( ";local x = 1\nreturn \'192.0.2.1\'" )\nb A 192.0.2.2\n');
  assert.deepEqual(ls.map((l) => [l.line, l.error, words(l)]), [
    [1, undefined, ['a', 'LUA', 'A', '";local x = 1\nreturn \'192.0.2.1\'"']],
    [3, undefined, ['b', 'A', '192.0.2.2']],
  ]);
  // Never closed: reported on its line, and the next lines are still read.
  const bad = lines('a TXT ( "open\nb A 192.0.2.1\nc A 192.0.2.2\n');
  assert.equal(bad[0]!.line, 1);
  assert.match(bad[0]!.error!, /unterminated quoted string/);
  assert.deepEqual(bad.slice(1).map((l) => [l.line, words(l)]), [[2, ['b', 'A', '192.0.2.1']], [3, ['c', 'A', '192.0.2.2']]]);
});

test('tokenize (PowerDNS content) keeps newlines inside a quoted string without parentheses', () => {
  assert.deepEqual(tokenize('A ";local r = 1\nreturn r"').map((t) => t.text), ['A', ';local r = 1\nreturn r']);
  assert.throws(() => tokenize('A ";never\nclosed'), /unterminated quoted string/);
});
