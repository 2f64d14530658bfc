import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueQuery, redactUrl } from './request-parsing.js';

test('a repeated query parameter keeps its last value', () => {
  assert.deepEqual({ ...lastValueQuery('a=1&b=2&a=3&c') }, { a: '3', b: '2', c: '' });
  const q = lastValueQuery('__proto__=x&constructor=y');
  assert.equal(Object.getPrototypeOf(q), null, 'no prototype to pollute');
  assert.equal(Object.getOwnPropertyDescriptor(q, '__proto__')?.value, 'x');
});

test('api-key values are masked in logged URLs, however the name is written', () => {
  assert.equal(redactUrl('/api/v1/servers'), '/api/v1/servers');
  assert.equal(redactUrl('/api?api-key=s3cret&x=1'), '/api?api-key=[redacted]&x=1');
  assert.equal(redactUrl('/api?x=1&api%2Dkey=s3cret&API_KEY=two&apikey'), '/api?x=1&api%2Dkey=[redacted]&API_KEY=[redacted]&apikey=[redacted]');
  assert.equal(redactUrl('/api?rrset_name=api-key.test.'), '/api?rrset_name=api-key.test.');
});
