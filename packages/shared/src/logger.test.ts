import { test } from 'node:test';
import assert from 'node:assert/strict';
import { briefList, capLine, MAX_LOG_LINE } from './logger.js';

test('briefList keeps the first items, cuts each, and counts the rest', () => {
  const many = Array.from({ length: 590_000 }, (_, i) => `line ${i}: ${'x'.repeat(i === 0 ? 5000 : 10)}`);
  const b = briefList(many);
  assert.equal(b.length, 21);
  assert.match(b[0]!, /^line 0: x+\.\.\. \(5008 characters\)$/);
  assert.equal(b[20], '... and 589980 more');
  assert.ok(JSON.stringify(b).length < 10_000);
  assert.deepEqual(briefList(['a', 'b']), ['a', 'b']);
});

test('capLine passes short lines and turns a long one into a short valid JSON line', () => {
  const short = '{"level":30,"msg":"hi"}\n';
  assert.equal(capLine(short), short);
  const long = `${JSON.stringify({ level: 50, time: 1, msg: 'zone file failed', errors: Array.from({ length: 100_000 }, (_, i) => `e${i}`) })}\n`;
  assert.ok(Buffer.byteLength(long) > MAX_LOG_LINE);
  const cut = capLine(long);
  assert.ok(Buffer.byteLength(cut) < 8192);
  const v = JSON.parse(cut) as { level: number; msg: string; cut: string };
  assert.equal(v.level, 50);
  assert.equal(v.msg, 'zone file failed');
  assert.match(v.cut, /log line of \d+ bytes cut/);
  assert.ok(cut.endsWith('\n'));
});
