// Bad input over the wire (RFC 1035 §4.1.1, RFC 6891 §6.1.1): a readable
// header with an unreadable body gets FORMERR, QDCOUNT != 1 gets FORMERR,
// other opcodes NOTIMP (without RD), TSIG-signed queries NOTAUTH/BADKEY, unreadable packets and responses are dropped, and
// the server keeps answering everyone else. dig is used where it can say it.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { dig, kdig, startTarget, TARGET, buildQuery, optRecord, parseMessage, udpExchange, TcpClient, type Target } from './helpers/index.js';

let srv: Target;
before(async () => { srv = await startTarget(); });
after(async () => { await srv?.stop(); });
// Whatever the last packet was, the server must still be up and answering.
afterEach(async () => {
  const r = await dig(srv, ['www.example.com', 'A']);
  assert.equal(r.status, 'NOERROR');
});

const geodnsOnly = TARGET === 'pdns' && 'PowerDNS drops these instead of answering';
const good = (id = 0x1234): Buffer => buildQuery({ id, name: 'www.example.com', type: 'A' });

async function expectRcode(packet: Buffer, rcode: number, id: number): Promise<ReturnType<typeof parseMessage>> {
  const reply = await udpExchange(srv, packet);
  assert.ok(reply, 'an answer, not silence');
  const m = parseMessage(reply);
  assert.equal(m.id, id, 'ID echoed');
  assert.ok(m.qr, 'QR set');
  assert.equal(m.rcode, rcode, `rcode ${m.rcode}, expected ${rcode}`);
  assert.deepEqual(m.answer, []);
  return m;
}

test('QDCOUNT=2 gets FORMERR', { skip: geodnsOnly }, async () => {
  const one = good(0x0202);
  const two = Buffer.concat([one, one.subarray(12)]);
  two.writeUInt16BE(2, 4);
  await expectRcode(two, 1, 0x0202);
});

test('QDCOUNT=0 gets FORMERR', { skip: geodnsOnly }, async () => {
  const hdr = Buffer.from(good(0x0000).subarray(0, 12));
  hdr.writeUInt16BE(0x0303, 0);
  hdr.writeUInt16BE(0, 4);
  await expectRcode(hdr, 1, 0x0303);
});

test('a header followed by a cut-off question gets FORMERR', { skip: geodnsOnly }, async () => {
  const p = good(0x0404);
  for (const cut of [13, 17, p.length - 1]) await expectRcode(p.subarray(0, cut), 1, 0x0404);
});

test('a compression pointer loop in the question gets FORMERR', { skip: geodnsOnly }, async () => {
  const hdr = Buffer.from(good(0x0505).subarray(0, 12));
  await expectRcode(Buffer.concat([hdr, Buffer.from([0xc0, 12, 0, 1, 0, 1])]), 1, 0x0505);
  // A label longer than 63 (type bits 01): not a valid label.
  await expectRcode(Buffer.concat([hdr, Buffer.from([0x45, 0x41, 0, 0, 1, 0, 1])]), 1, 0x0505);
});

test('two OPT records get FORMERR (RFC 6891 §6.1.1)', { skip: geodnsOnly }, async () => {
  const p = buildQuery({ id: 0x0606, name: 'www.example.com', edns: {} });
  p.writeUInt16BE(2, 10);
  await expectRcode(Buffer.concat([p, optRecord({})]), 1, 0x0606);
});

for (const [opcode, name] of [[1, 'IQUERY'], [2, 'STATUS'], [4, 'NOTIFY'], [5, 'UPDATE'], [6, 'DSO'], [15, 'unassigned 15']] as const) {
  test(`opcode ${name} gets NOTIMP`, { skip: geodnsOnly }, async () => {
    const m = await expectRcode(buildQuery({ id: 0x0700 + opcode, name: 'example.com', type: 'SOA', opcode, rd: true }), 4, 0x0700 + opcode);
    assert.equal(m.opcode, opcode, 'opcode echoed');
    assert.equal(m.rd, false, 'RD not echoed for an opcode other than QUERY');
    assert.equal(m.aa, false, 'not an authoritative answer');
  });
}

// PowerDNS 4.7 answers NOTIFY and UPDATE with REFUSED (RD echoed) and drops opcode 15;
// we implement neither (RFC 1996 NOTIFY is for secondaries; we are none), so NOTIMP (RFC 1035 §4.1.1).
test('dig +opcode=notify and +opcode=update see NOTIMP without RD', { skip: geodnsOnly }, async () => {
  for (const op of ['notify', 'update']) {
    const r = await dig(srv, ['example.com', 'SOA', `+opcode=${op}`]);
    assert.equal(r.status, 'NOTIMP', r.text);
    assert.ok(!r.flags.has('rd'), `RD not echoed: ${r.text}`);
    assert.ok(r.text.includes(`opcode: ${op.toUpperCase()}`), r.text);
  }
});

// RFC 8945 §5.2: a key the server does not know → NOTAUTH, with an unsigned TSIG
// record (MAC size 0) carrying error BADKEY. (PowerDNS 4.7 sends NOTAUTH without
// any TSIG record: dig then says "expected a TSIG or SIG(0)".)
const KEY = 'hmac-sha256:nokey.example:c2VjcmV0c2VjcmV0c2VjcmV0';
test('a query signed with an unknown TSIG key gets NOTAUTH and an unsigned BADKEY TSIG (dig -y)', { skip: geodnsOnly }, async () => {
  const r = await dig(srv, ['www.example.com', 'A', '-y', KEY]);
  assert.equal(r.status, 'NOTAUTH', r.text);
  assert.deepEqual(r.answer, [], 'no answer data for a request we could not authenticate');
  assert.match(r.text, /tsig indicates error/, r.text);
  assert.match(r.text, /^nokey\.example\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\. \d+ 300 0 \d+ BADKEY 0\s*$/m, r.text);
});

test('kdig -y over UDP and TCP sees BADKEY with MAC size 0 and the original ID', { skip: geodnsOnly }, async () => {
  for (const tcp of [false, true]) {
    const r = await kdig(srv, ['www.example.com', 'A', '-y', KEY, ...(tcp ? ['+tcp'] : [])]);
    assert.equal(r.status, 'BADKEY', r.text);
    const m = /TSIG\s+hmac-sha256\. \d+ 300 0 (\d+) BADKEY 0/.exec(r.text);
    assert.ok(m, r.text);
    assert.equal(Number(m[1]), r.id, 'Original ID is the request ID');
  }
});

test('a TSIG record that is not the last record gets FORMERR (RFC 8945 §5.1)', { skip: geodnsOnly }, async () => {
  const tsig = Buffer.concat([
    Buffer.from([3, 0x6b, 0x65, 0x79, 0]), Buffer.from([0, 250, 0, 255, 0, 0, 0, 0]),
    (() => { const alg = Buffer.from([11, ...Buffer.from('hmac-sha256'), 0]); const rd = Buffer.concat([alg, Buffer.alloc(16)]); const l = Buffer.alloc(2); l.writeUInt16BE(rd.length); return Buffer.concat([l, rd]); })(),
  ]);
  const p = buildQuery({ id: 0x0808, name: 'www.example.com', edns: {} });
  p.writeUInt16BE(2, 10);
  // TSIG first, OPT last: TSIG is not last.
  const withOpt = Buffer.concat([p.subarray(0, p.length - 11), tsig, p.subarray(p.length - 11)]);
  await expectRcode(withOpt, 1, 0x0808);
  // The same TSIG last: NOTAUTH.
  const last = Buffer.concat([p, tsig]);
  await expectRcode(last, 9, 0x0808);
});

/** A query whose name is given as raw labels (which may hold dots or any byte). */
function labelsQuery(id: number, labels: Array<string | Buffer>): Buffer {
  const hdr = Buffer.from(good(id).subarray(0, 12));
  const name = labels.map((l) => (Buffer.isBuffer(l) ? l : Buffer.from(l, 'latin1'))).flatMap((b) => [Buffer.from([b.length]), b]);
  return Buffer.concat([hdr, ...name, Buffer.from([0, 0, 1, 0, 1])]);
}

test('a dot inside a label is data, not a separator (www.example.com as two labels is not served)', async () => {
  for (const labels of [['www', 'example.com'], ['www.example', 'com']]) {
    const m = parseMessage((await udpExchange(srv, labelsQuery(0x0a0a, labels)))!);
    assert.equal(m.rcode, 5, `${JSON.stringify(labels)}: REFUSED, the name is under "example\\.com" / "com"`);
    assert.deepEqual(m.answer, []);
  }
});

test('only ASCII letters are case-folded (RFC 4343): a Latin-1 capital is not a match', async () => {
  const m = parseMessage((await udpExchange(srv, labelsQuery(0x0b0b, [Buffer.from([0xc4, 0x57, 0x57]), 'example', 'com'])))!);
  assert.ok(m.rcode === 3 || m.rcode === 2, `NXDOMAIN (or SERVFAIL as PowerDNS), got ${m.rcode}`);
  assert.deepEqual(m.answer, []);
});

test('a 255-byte name is answered; 256 bytes is FORMERR', async (t) => {
  const name = (last: number): string => [...Array(3).fill('a'.repeat(63)), 'b'.repeat(last), 'example', 'com'].join('.');
  const ok = parseMessage((await udpExchange(srv, buildQuery({ id: 0x0c0c, name: name(49) })))!);
  assert.equal(ok.rcode, 3, 'NXDOMAIN for the longest legal name');
  assert.equal(ok.question?.name.length, 254, 'question echoed whole');
  if (TARGET === 'pdns') return t.skip('PowerDNS drops the over-long name');
  await expectRcode(buildQuery({ id: 0x0d0d, name: name(50) }), 1, 0x0d0d);
});

test('a query carrying an answer record count gets FORMERR', { skip: geodnsOnly }, async () => {
  const p = good(0x0e0e);
  p.writeUInt16BE(1, 6); // ANCOUNT=1, nothing there
  await expectRcode(p, 1, 0x0e0e);
});

test('packets shorter than a header, and responses (QR=1), get no reply', async () => {
  for (const p of [Buffer.alloc(0), Buffer.from([1, 2, 3]), good().subarray(0, 11)]) {
    assert.equal(await udpExchange(srv, p, 500), undefined, `no reply to ${p.length} bytes`);
  }
  const resp = good(0x0808);
  resp[2]! |= 0x80;
  assert.equal(await udpExchange(srv, resp, 500), undefined, 'a response is never answered (no reflection loops)');
});

test('garbage over TCP does not stop the server answering on other connections', async () => {
  const bad = await TcpClient.connect(srv);
  bad.writeRaw(Buffer.from([0x00, 0x05, 1, 2, 3, 4, 5, 0xff, 0xff]));   // a short frame, then a huge length prefix
  const goodConn = await TcpClient.connect(srv);
  goodConn.send(good(0x0909));
  const [reply] = await goodConn.waitFor(1);
  assert.ok(reply);
  assert.equal(parseMessage(reply).id, 0x0909);
  goodConn.close();
  bad.close();
});
