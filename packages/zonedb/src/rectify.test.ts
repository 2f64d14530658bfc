import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRectify, parentName } from './rectify.js';

test('rectify without DNSSEC: auth=0 at and below a cut (DS excepted by the writer), ENTs with the auth of what is below', () => {
  const plan = planRectify({
    apex: 'example.org',
    rows: [
      { name: 'example.org', type: 'SOA' }, { name: 'example.org', type: 'NS' },
      { name: '_sip._tcp.example.org', type: 'SRV' },
      { name: 'sub.example.org', type: 'NS' }, { name: 'sub.example.org', type: 'DS' },
      { name: 'ns.sub.example.org', type: 'A' }, { name: 'a.b.deep.sub.example.org', type: 'A' },
      { name: 'x.y.example.org', type: 'A' },
    ],
  });
  assert.deepEqual([...plan.nonAuth].sort(), ['a.b.deep.sub.example.org', 'ns.sub.example.org', 'sub.example.org']);
  assert.deepEqual([...plan.ents].sort(), [['_tcp.example.org', true], ['b.deep.sub.example.org', false], ['deep.sub.example.org', false], ['y.example.org', true]]);
});

test('parentName keeps escaped dots inside a label', () => {
  assert.equal(parentName('a\\.b.example.org'), 'example.org');
  assert.equal(parentName('org'), undefined);
});
