// Golden values from pdnsutil 4.7 (`show-zone example.org` on the keys in
// testdata/, which pdnsutil generated), round-trips of generated keys, and
// garbage that must come back as an error value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  parsePrivateKey, formatPrivateKey, dnskeyRdata, dnskeyText, keyTag, dsRdata, dsText, generateKey,
  publicKeyFromDnskey, signData, verifyData, findAlgorithm, keyTypes, type DnssecKey,
} from './index.js';

const testdata = new URL('../../src/dnssec/testdata/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, testdata), 'utf8');

const GOLDEN = [
  {
    file: 'ecdsa-csk.private', flags: 257, tag: 58256, bits: 256,
    dnskey: '257 3 13 kjT/QNAeM+iSkwn5Tjoh2+aDLiNsVK7Fw5jG7Qn/YCSdpyzoDZP9zOTgqLYttIyFSSIRZL9OPGuNQlEf4tzjuA==',
    ds2: '58256 13 2 a39db0e708480b39667ff4f447bfab63eb238cb3623e43503c312696a84196f1',
    ds4: '58256 13 4 31a7de4647221f08c7f07df5c046bf803b632cfa824c8e9fa8477cf8ef8dac6c10176cbc9d57761e483388d18a7c77aa',
  },
  {
    file: 'ed25519-zsk.private', flags: 256, tag: 64261, bits: 256,
    dnskey: '256 3 15 n1/3K5gO2tJQSFUGfiQCxSxcEkZTcUDmkwCnnc6Y6yA=',
    ds2: '64261 15 2 bc152b47c24dede3e54eff56fe12f3e9c2d0ca6e5be1faac3fc880de30c287a8',
    ds4: '64261 15 4 971560bda9ecb07de0503c809dd9332b5c1cf143491784b6d07bc5d99ee8e25e89db68ee22838470a65757b95d57f670',
  },
  {
    file: 'rsa-ksk.private', flags: 257, tag: 4907, bits: 2048,
    dnskey: '257 3 8 AwEAAb9xlR/IscaCEyu16daTxf5f4JzG8kuDuPbGjZA3IzZM0LfCne2QHgpQ3jftsGJJ5LeqE/3BqzP8eQ9liJtt3VGrNVEquMJs1d7239xabR6FqbJXPgmQ5kwg0/p/Ksfb1Owu+DCfal/YvqQ01OpIbw82rKFGIIMbhyJRNOypNADbTFeoAKJHFEDlp0zID1DKmK6LPth9M7N2P7sqq0UCXXkD8xIM9EN+f0I8ulO5bsynxluZnVL1G+xhF+zNGD/9pY7HKyK5/zPEaSMumFa4I2HYGTOvo4Nnl6ZeolR7DlbD7xRkiHxgtRG2d7vXgkQQDqP3DxmPJtQhQDTtCbGq50U=',
    ds2: '4907 8 2 74e11968fca304f85b956bbb0625c18be15f56b0ad9b5421e0c6b5cb0ab4d071',
    ds4: '4907 8 4 c9d4dd7e2d657a27b6bef759dc7feb05a49c1b3dfe4b393ee678df281af31a507595bf7ccc260361a2c5d2630a53fb0f',
  },
];

function parsed(text: string): DnssecKey {
  const r = parsePrivateKey(text);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.key;
}

for (const g of GOLDEN) {
  test(`pdnsutil's ${g.file}: DNSKEY, key tag, DS and the stored text as pdnsutil has them`, () => {
    const text = fixture(g.file);
    const key = parsed(text);
    const rdata = dnskeyRdata(g.flags, key);
    assert.equal(dnskeyText(rdata), g.dnskey);
    assert.equal(keyTag(rdata), g.tag);
    assert.equal(key.bits, g.bits);
    assert.equal(dsText(dsRdata('example.org.', rdata, 2)), g.ds2);
    assert.equal(dsText(dsRdata('Example.ORG', rdata, 4)), g.ds4, 'owner is case-folded and may lack the dot');
    assert.equal(formatPrivateKey(key), text);
  });
}

for (const alg of ['ecdsa256', 'ED25519', 8] as const) {
  test(`generated ${alg} key: text round-trip, signature verifies with the DNSKEY's public key`, async () => {
    const g = await generateKey(alg);
    assert.ok(g.ok);
    const text = formatPrivateKey(g.key);
    const back = parsed(text);
    assert.equal(formatPrivateKey(back), text);
    const rdata = dnskeyRdata(256, back);
    assert.deepEqual(rdata, dnskeyRdata(256, g.key));
    const pub = publicKeyFromDnskey(rdata);
    assert.ok(pub);
    const msg = Buffer.from('some rrset');
    const sig = signData(g.key, msg);
    assert.ok(verifyData(g.key.algorithm.number, pub, msg, sig));
    assert.ok(!verifyData(g.key.algorithm.number, pub, Buffer.from('other rrset'), sig));
    if (g.key.algorithm.number === 13) assert.equal(sig.length, 64, 'ECDSA signature is r||s, not DER');
    if (g.key.algorithm.number === 8) assert.equal(g.key.bits, 2048);
  });
}

test('RSA bits: 1024 and 3072 honoured, out-of-range and curve sizes refused with the rule', async () => {
  const k = await generateKey('RSASHA256', 1024);
  assert.ok(k.ok && k.key.bits === 1024 && parsed(formatPrivateKey(k.key)).bits === 1024);
  for (const [alg, bits, msg] of [['rsasha256', 512, /1024 to 4096/], ['rsasha256', 2049, /multiple of 8/], ['ecdsa256', 384, /256 bits/], ['ed25519', -1, /whole number/]] as const) {
    const r = await generateKey(alg, bits);
    assert.ok(!r.ok && msg.test(r.error), `${alg} ${bits}: ${JSON.stringify(r)}`);
  }
  const u = await generateKey('rsasha1');
  assert.ok(!u.ok && u.error.includes('RSASHA256 (8), ECDSAP256SHA256 (13), ED25519 (15)'));
});

test('garbage and unknown algorithms are error values naming the problem, never exceptions', () => {
  const ecdsa = fixture('ecdsa-csk.private');
  const rsa = fixture('rsa-ksk.private');
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /not text/],
    [null, /not text/],
    ['', /no "Algorithm:"/],
    ['garbage', /not "Field: value"/],
    ['Private-key-format: v1.2\nAlgorithm: 5 (RSASHA1)\nModulus: AQAB\n', /unsupported algorithm "5 \(RSASHA1\)"; supported: RSASHA256 \(8\)/],
    ['Algorithm: ECDSA\nPrivateKey: AAAA\n', /unsupported algorithm/],
    [ecdsa.replace(/PrivateKey: .*/, 'PrivateKey: !!notbase64!!'), /not base64/],
    [ecdsa.replace(/PrivateKey: .*/, `PrivateKey: ${Buffer.alloc(33, 1).toString('base64')}`), /at most 32 octets/],
    [ecdsa.replace(/PrivateKey: .*/, 'PrivateKey: AAAA'), /ECDSAP256SHA256 key rejected/],
    [ecdsa.replace(/PrivateKey: .*/, `PrivateKey: ${Buffer.alloc(32, 0xff).toString('base64')}`), /ECDSAP256SHA256 key rejected/],
    [ecdsa.replace(/PrivateKey: .*\n/, ''), /no "PrivateKey:"/],
    [rsa.replace(/Prime2: .*\n/, ''), /no "Prime2:"/],
    [rsa.replace(/PrivateExponent: (.)/, (_m, c: string) => `PrivateExponent: ${c === 'A' ? 'B' : 'A'}`), /do not match PrivateExponent/],
    [rsa.replace(/Modulus: .*/, 'Modulus: AQAB'), /Modulus is not Prime1/],
    [rsa.replace(/Coefficient: (.)/, (_m, c: string) => `Coefficient: ${c === 'A' ? 'B' : 'A'}`), /Coefficient/],
  ];
  for (const [input, re] of cases) {
    const r = parsePrivateKey(input);
    assert.ok(!r.ok, `accepted: ${JSON.stringify(input)}`);
    assert.match(r.error, re, JSON.stringify(input));
  }
});

test('BIND extras and CRLF are ignored, short ECDSA scalars are left-padded', () => {
  const ecdsa = fixture('ecdsa-csk.private');
  const key = parsed(`${ecdsa.replace(/\n/g, '\r\n')}Created: 20240101000000\r\nPublish: 20240101000000\r\n`);
  assert.equal(keyTag(dnskeyRdata(257, key)), 58256);
  const small = parsed('Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: AQ==\n');
  assert.match(formatPrivateKey(small), /PrivateKey: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=/);
});

test('publicKeyFromDnskey refuses malformed keys and other algorithms', () => {
  assert.equal(publicKeyFromDnskey(Buffer.from([1, 1, 3, 13, 1, 2])), undefined);
  assert.equal(publicKeyFromDnskey(Buffer.from([1, 1, 3, 5, 1, 2, 3])), undefined);
  assert.equal(publicKeyFromDnskey(Buffer.from([1, 1, 3, 8, 9, 1])), undefined);
  assert.equal(findAlgorithm('13')?.mnemonic, 'ECDSAP256SHA256');
  assert.equal(findAlgorithm('ecdsap256sha256')?.number, 13);
});

test('key roles follow PowerDNS: KSK/ZSK only for an algorithm with both an active 257 and an active 256 key', () => {
  const k = (flags: number, active: boolean, algorithm = 13) => ({ flags, active, algorithm });
  assert.deepEqual(keyTypes([k(257, true)]), ['csk']);
  assert.deepEqual(keyTypes([k(257, true), k(256, true)]), ['ksk', 'zsk']);
  assert.deepEqual(keyTypes([k(257, true), k(256, false)]), ['csk', 'csk']);
  assert.deepEqual(keyTypes([k(257, false), k(256, true)]), ['csk', 'csk']);
  assert.deepEqual(keyTypes([k(257, true), k(256, true, 15)]), ['csk', 'csk'], 'different algorithms do not split');
  assert.deepEqual(keyTypes([k(257, true), k(256, true), k(257, false, 8), k(256, true, 15)]), ['ksk', 'zsk', 'csk', 'csk']);
});

test('NSEC3: RFC 5155 appendix A hashes, NSEC3PARAM text checked as PowerDNS checks it', async () => {
  const { nsec3Hash, parseNsec3Param, formatNsec3Param } = await import('./nsec3.js');
  const p = { iterations: 12, salt: Buffer.from('aabbccdd', 'hex') };
  assert.equal(nsec3Hash('example.', p), '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom');
  assert.equal(nsec3Hash('a.example.', p), '35mthgpgcu1qg68fab165klnsnk3dpvl');
  assert.equal(nsec3Hash('*.W.EXAMPLE', p), 'r53bq7cc2uvmubfu5ocmm6pers9tk9en');
  const ok = parseNsec3Param('1 0 0 ABCD');
  assert.ok(ok.ok && formatNsec3Param(ok.value) === '1 0 0 abcd');
  const none = parseNsec3Param('1 1 0 -');
  assert.ok(none.ok && none.value.salt.length === 0 && formatNsec3Param(none.value) === '1 1 0 -');
  for (const [bad, re] of [['2 0 1 ab', /only valid value is '1'/], ['1 0 5000 ab', /above 100/], ['1 0 1 zz', /salt/], ['garbage', /is not/], [7, /not text/]] as const) {
    const r = parseNsec3Param(bad);
    assert.ok(!r.ok && re.test(r.error), String(bad));
  }
});
