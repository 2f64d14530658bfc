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

test('DNSSEC order names: NSEC reversed relative labels, ENTs NULL; NSEC3 hashes, narrow NULL; glue and opt-out NS', async () => {
  const { planOrderNames, nsecOrderName } = await import('./rectify.js');
  const input = {
    apex: 'example.org',
    rows: [
      { name: 'example.org', type: 'SOA' }, { name: 'a.b.example.org', type: 'A' },
      { name: 'sub.example.org', type: 'NS' }, { name: 'sub.example.org', type: 'A' }, { name: 'ns.sub.example.org', type: 'A' },
      { name: 'ins.example.org', type: 'NS' }, { name: 'x.y.ins.example.org', type: 'A' }, { name: 'sec.example.org', type: 'NS' }, { name: 'sec.example.org', type: 'DS' },
    ],
  };
  const plan = planRectify(input);
  const nsec = planOrderNames(input, plan, { kind: 'nsec' });
  assert.equal(nsec.orderNames.get('example.org'), '');
  assert.equal(nsec.orderNames.get('a.b.example.org'), 'b a');
  assert.equal(nsec.orderNames.get('b.example.org'), null);
  assert.deepEqual([...nsec.glue].sort(), ['ins.example.org', 'ns.sub.example.org', 'sec.example.org', 'sub.example.org', 'x.y.ins.example.org']);
  assert.equal(nsec.optOutNs.size, 0);
  const hash = (n: string) => `h(${n})`;
  const n3 = planOrderNames(input, plan, { kind: 'nsec3', narrow: false, optOut: true, hash });
  assert.equal(n3.orderNames.get('b.example.org'), 'h(b.example.org)');
  assert.equal(n3.orderNames.get('y.ins.example.org'), null, 'non-authoritative ENT');
  assert.equal(n3.orderNames.get('x.y.ins.example.org'), null, 'below a cut');
  assert.equal(n3.orderNames.get('ins.example.org'), 'h(ins.example.org)', 'the cut itself');
  assert.equal(nsec.orderNames.get('x.y.ins.example.org'), 'ins y x', 'NSEC keeps order names below a cut');
  assert.deepEqual([...n3.optOutNs].sort(), ['ins.example.org', 'ns.sub.example.org', 'sub.example.org', 'x.y.ins.example.org']);
  const narrow = planOrderNames(input, plan, { kind: 'nsec3', narrow: true, optOut: false, hash });
  assert.ok([...narrow.orderNames.values()].every((v) => v === null));
  assert.equal(nsecOrderName('a\\.b.c.example.org', 'example.org'), 'c a\\.b');
  assert.equal(nsecOrderName('www.example.org', ''), 'org example www');
});
