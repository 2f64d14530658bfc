// Bad input over the wire (RFC 1035 §4.1.1, RFC 6891 §6.1.1): a readable
// header with an unreadable body gets FORMERR, QDCOUNT != 1 gets FORMERR,
// unknown opcodes NOTIMP, unreadable packets and responses are dropped, and
// the server keeps answering everyone else. dig is used where it can say it.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { dig, startTarget, TARGET, buildQuery, optRecord, parseMessage, udpExchange, TcpClient, type Target } from './helpers/index.js';

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
    const m = await expectRcode(buildQuery({ id: 0x0700 + opcode, name: 'example.com', type: 'SOA', opcode }), 4, 0x0700 + opcode);
    assert.equal(m.opcode, opcode, 'opcode echoed');
  });
}

test('dig +opcode=notify and +opcode=update see NOTIMP', { skip: geodnsOnly }, async () => {
  for (const op of ['notify', 'update']) {
    const r = await dig(srv, ['example.com', 'SOA', `+opcode=${op}`]);
    assert.equal(r.status, 'NOTIMP', r.text);
  }
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
