import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { checkConfig, readConfigFile } from './config.js';
import { ConfigError } from './errors.js';
import { parseHostPort } from './hostport.js';

const Schema = Type.Object(
  {
    listen: Type.Array(Type.String({ pattern: '^.+:\\d+$' }), { default: ['127.0.0.1:5300'] }),
    workers: Type.Integer({ minimum: 1, default: 1 }),
  },
  { additionalProperties: false },
);

test('defaults are filled and the value is typed', () => {
  const c = checkConfig(Schema, {});
  assert.deepEqual(c, { listen: ['127.0.0.1:5300'], workers: 1 });
});

test('every problem is reported with its path', () => {
  try {
    checkConfig(Schema, { listen: ['nope'], workers: 0, typo: 1 });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, /\/listen\/0: /);
    assert.match(text, /\/workers: /);
    assert.match(text, /typo|additional/i);
  }
});

test('garbage files give a clear error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, 'listen: [unclosed\n  : : :');
  assert.throws(() => readConfigFile(f), (e: Error) => e instanceof ConfigError && e.message.includes(f));
  const j = join(dir, 'bad.json');
  writeFileSync(j, '{"a":');
  assert.throws(() => readConfigFile(j), /not valid JSON/);
  assert.throws(() => readConfigFile(join(dir, 'missing.yaml')), /cannot read/);
});

test('host:port parsing', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:53'), { host: '127.0.0.1', port: 53 });
  assert.deepEqual(parseHostPort('[::1]:5300'), { host: '::1', port: 5300 });
  assert.deepEqual(parseHostPort('localhost:80'), { host: 'localhost', port: 80 });
  assert.throws(() => parseHostPort('::1:53'));
  assert.throws(() => parseHostPort('1.2.3.4:70000'));
  assert.throws(() => parseHostPort('1.2.3.4'));
  assert.deepEqual(parseHostPort('1.2.3.4', 53), { host: '1.2.3.4', port: 53 });
});

test('FastHistogram and LabeledCounter publish what the hot path counted', async () => {
  const { createRegistry, FastHistogram, LabeledCounter } = await import('./metrics.js');
  const r = createRegistry();
  const h = new FastHistogram(r, 'h_seconds', 'h', [0.001, 0.01]);
  const c = new LabeledCounter(r, 'c_total', 'c', ['rcode']);
  h.observe(0.0005); h.observe(0.005); h.observe(1);
  c.inc(['NOERROR']); c.inc(['NOERROR']); c.inc(['NXDOMAIN']);
  const text = await r.metrics();
  assert.match(text, /h_seconds_bucket\{le="0.001"\} 1\n/);
  assert.match(text, /h_seconds_bucket\{le="0.01"\} 2\n/);
  assert.match(text, /h_seconds_bucket\{le="\+Inf"\} 3\n/);
  assert.match(text, /h_seconds_count 3\n/);
  assert.match(text, /c_total\{rcode="NOERROR"\} 2\n/);
  assert.match(text, /c_total\{rcode="NXDOMAIN"\} 1\n/);
});

test('each mistake is one line naming its path and the allowed values or form', () => {
  const S = Type.Object(
    {
      mode: Type.Union([Type.Literal('none'), Type.Literal('v1'), Type.Literal('v2')], { default: 'none' }),
      timeout: Type.String({ pattern: '^\\d+(ms|s|m|h)$', default: '5s', expected: 'a duration such as 5s (digits then ms, s, m or h)' }),
      workers: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
      name: Type.String({ minLength: 1 }),
      on: Type.Boolean({ default: false }),
      servers: Type.Array(Type.Union([Type.String({ expected: 'host:port' }), Type.Object({ address: Type.String({ expected: 'host:port' }), weight: Type.Integer({ minimum: 1, default: 1 }) }, { additionalProperties: false })]), { default: [] }),
    },
    { additionalProperties: false },
  );
  let problems: string[] = [];
  try {
    checkConfig(S, { mode: 2, timeout: 5, workers: 0, on: 'yes', servers: [{ address: 'a:1', weight: 0 }, 7], typo: 1 });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    problems = err.problems;
  }
  const want = [
    '/mode: expected one of "none", "v1", "v2", got 2',
    '/timeout: expected a duration such as 5s (digits then ms, s, m or h), got 5',
    '/workers: expected an integer from 1 to 64, got 0',
    '/name: missing: expected a non-empty string',
    '/on: expected true or false, got "yes"',
    '/servers/0/weight: expected an integer ≥ 1, got 0',
    '/servers/1: expected host:port, or a mapping with keys address, weight, got 7',
    '/typo: unknown key; the keys here are mode, timeout, workers, name, on, servers',
  ];
  assert.deepEqual([...problems].sort(), [...want].sort());
});

test('a key marked secret is never echoed in its error', () => {
  const S = Type.Object({ apiKey: Type.String({ minLength: 8, secret: true, expected: 'a key of at least 8 characters' }) });
  assert.throws(() => checkConfig(S, { apiKey: 'hunter2' }), (e: ConfigError) => {
    assert.deepEqual(e.problems, ['/apiKey: expected a key of at least 8 characters, got a string of 7 characters']);
    return !e.message.includes('hunter2');
  });
});
