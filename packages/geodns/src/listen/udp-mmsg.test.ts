import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { openBatchUdp } from './udp-mmsg.js';

const never = () => null;

test('a host that is not an IP literal is refused, with the reason', () => {
  const r = openBatchUdp('localhost', 5300, never, () => {});
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.message : '', /not an IP literal/);
});

test('a port held by a socket without SO_REUSEPORT gives a bind error, not a throw', async () => {
  const other = createSocket('udp4');
  await new Promise<void>((res) => other.bind(0, '127.0.0.1', () => res()));
  try {
    const r = openBatchUdp('127.0.0.1', other.address().port, never, () => {});
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /bind\(127\.0\.0\.1:\d+\): EADDRINUSE/);
  } finally {
    other.close();
  }
});

test('answers datagrams through the handler, replies to the sender, and closes', async () => {
  const probe = createSocket('udp4');
  await new Promise<void>((res) => probe.bind(0, '127.0.0.1', () => res()));
  const port = probe.address().port;
  probe.close(); // a port that was free a moment ago
  const seen: string[] = [];
  const r = openBatchUdp('127.0.0.1', port, (msg, peer) => {
    seen.push(`${peer.address}:${peer.port}`);
    return msg[0] === 0 ? null : Buffer.concat([Buffer.from('re:'), msg]);
  }, () => {});
  assert.ok(r.ok, !r.ok ? r.message : '');
  const client = createSocket('udp4');
  try {
    const reply = await new Promise<Buffer>((res) => {
      client.on('message', res);
      client.send(Buffer.from([0]), port, '127.0.0.1'); // handler says: send nothing
      client.send(Buffer.from('hello'), port, '127.0.0.1');
    });
    assert.equal(reply.toString(), 're:hello');
    assert.equal(seen.length, 2);
    assert.equal(seen[1], `127.0.0.1:${client.address().port}`);
  } finally {
    client.close();
    r.socket.close();
  }
});
