// The cryptokeys bodies and objects without a database: what POST/PUT accept
// and refuse (table), and how stored keys become PowerDNS's Cryptokey objects
// (roles per algorithm, ds/cds only for KSKs and CSKs, PowerDNS's order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPrivateKey, generateKey } from '@geoedge/dnsdata';
import { checkCryptokeyState, checkNewCryptokey } from './cryptokey-input.js';
import { cdsDigests, cryptokeyObjects } from './cryptokey-view.js';

test('POST bodies: generated and imported keys; refusals name the field or the allowed values', async () => {
  const ok = await checkNewCryptokey({ keytype: 'zsk' });
  assert.ok(ok.ok && ok.value.flags === 256 && !ok.value.active && ok.value.published && /Algorithm: 13 /.test(ok.value.content));
  const csk = await checkNewCryptokey({ keytype: 'csk', active: true, published: false, algorithm: 'ed25519' });
  assert.ok(csk.ok && csk.value.flags === 257 && csk.value.active && !csk.value.published && /Algorithm: 15 /.test(csk.value.content));
  const made = await generateKey(8, 1024);
  assert.ok(made.ok);
  const text = formatPrivateKey(made.key);
  const imported = await checkNewCryptokey({ keytype: 'ksk', privatekey: text.replace(/\n/g, '\r\n') });
  assert.ok(imported.ok && imported.value.content === text, 'stored in PowerDNS\'s own form');
  const old = await checkNewCryptokey({ keytype: 'ksk', content: text });
  assert.ok(old.ok && old.value.content === text, '"content", the field\'s old name');
  for (const [body, re] of [
    [{}, /^Key 'keytype' not present or not a String$/],
    [null, /^Key 'keytype'/],
    [{ keytype: 'KSK' }, /^Invalid keytype KSK; allowed: ksk, zsk, csk$/],
    [{ keytype: 'ksk', privatekey: 'garbage' }, /^Key 'privatekey' could not be parsed: /],
    [{ keytype: 'ksk', privatekey: 7 }, /^Key 'privatekey' not present or not a String$/],
    [{ keytype: 'ksk', privatekey: text, bits: 2048 }, /^Either you submit just the 'privatekey' field/],
    [{ keytype: 'ksk', algorithm: 'rsasha1' }, /^Unknown algorithm: rsasha1; allowed: RSASHA256 \(8\), ECDSAP256SHA256 \(13\), ED25519 \(15\)$/],
    [{ keytype: 'ksk', algorithm: 5 }, /^Unknown algorithm: 5; allowed/],
    [{ keytype: 'ksk', algorithm: ['x'] }, /^Key 'algorithm' must be a name or number; allowed/],
    [{ keytype: 'ksk', bits: 'x' }, /^'bits' must be a positive integer value$/],
    [{ keytype: 'ksk', algorithm: 'rsasha256', bits: 512 }, /^Key 'bits': RSASHA256 bits must be a multiple of 8 from 1024 to 4096, got 512$/],
    [{ keytype: 'ksk', algorithm: 'ecdsa256', bits: 384 }, /^Key 'bits': ECDSAP256SHA256 keys have 256 bits, not 384$/],
  ] as const) {
    const r = await checkNewCryptokey(body);
    assert.ok(!r.ok, JSON.stringify(body));
    assert.match(r.error, re, JSON.stringify(body));
  }
});

test('PUT bodies: active required, published only when a boolean', () => {
  assert.deepEqual(checkCryptokeyState({ active: true }), { ok: true, value: { active: true } });
  assert.deepEqual(checkCryptokeyState({ active: false, published: false }), { ok: true, value: { active: false, published: false } });
  assert.deepEqual(checkCryptokeyState({ active: true, published: 'no' }), { ok: true, value: { active: true } });
  for (const body of [{}, { active: 'yes' }, { published: true }, [], null]) assert.deepEqual(checkCryptokeyState(body), { ok: false, error: "Key 'active' not present or not a Bool" });
});

test('Cryptokey objects: roles per algorithm, ds/cds only for KSK/CSK, ZSKs and CSKs before KSKs', async () => {
  const key = async (alg: string) => { const g = await generateKey(alg); assert.ok(g.ok); return formatPrivateKey(g.key); };
  const rows = [
    { id: 1, flags: 257, active: true, published: true, content: await key('ecdsa256') },
    { id: 2, flags: 256, active: true, published: true, content: await key('ecdsa256') },
    { id: 3, flags: 256, active: false, published: false, content: await key('ed25519') },
    { id: 4, flags: 257, active: true, published: true, content: 'Algorithm: 5 (RSASHA1)\n' },
  ];
  const meta = [{ kind: 'PUBLISH-CDS', content: '2, 4' }];
  const list = cryptokeyObjects('example.test.', rows, meta);
  assert.deepEqual(list.map((k) => [k.id, k.keytype]), [[2, 'zsk'], [3, 'csk'], [4, 'csk'], [1, 'ksk']]);
  const [zsk, ed, broken, ksk] = list;
  assert.equal(zsk!.ds, undefined);
  assert.equal(zsk!.cds, undefined);
  assert.deepEqual(ksk!.ds!.map((d) => d.split(' ')[2]), ['1', '2', '4']);
  assert.deepEqual(ksk!.cds!.map((d) => d.split(' ')[2]), ['2', '4']);
  assert.deepEqual(ksk!.cds, ksk!.ds!.slice(1));
  assert.equal(ed!.algorithm, 'ED25519');
  assert.ok(ed!.ds && !ed!.published);
  assert.match(broken!.error!, /unsupported algorithm/);
  assert.equal(broken!.dnskey, '');
  assert.ok(list.every((k) => k.privatekey === undefined));
  assert.equal(cryptokeyObjects('example.test.', rows, [], true)[3]!.privatekey, rows[0]!.content);
  assert.equal(cdsDigests([]), undefined);
  assert.equal(cdsDigests([{ kind: 'PUBLISH-CDS', content: '' }]), undefined);
});
