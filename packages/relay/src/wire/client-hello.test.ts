import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type TLSSocket } from 'node:tls';
import { createServer } from 'node:net';
import { parseClientHello, encodeClientHello } from './client-hello.js';

test('round-trip: SNI and ALPN come back out', () => {
  const r = parseClientHello(encodeClientHello({ sni: 'Www.Example.COM', alpn: ['h2', 'http/1.1'] }));
  assert.deepEqual(r, { kind: 'ok', sni: 'www.example.com', alpn: ['h2', 'http/1.1'] });
  assert.deepEqual(parseClientHello(encodeClientHello({})), { kind: 'ok', alpn: [] });
});

test('a large hello split over many records and cut at every length needs more, then parses', () => {
  const hello = encodeClientHello({ sni: 'pq.example', alpn: ['h2'], padding: 9000, recordSize: 1000 });
  assert.ok(hello.length > 9000);
  for (let i = 0; i < hello.length; i += 97) assert.equal(parseClientHello(hello.subarray(0, i)).kind, 'need-more', `at ${i}`);
  assert.deepEqual(parseClientHello(hello), { kind: 'ok', sni: 'pq.example', alpn: ['h2'] });
});

test('over the limit is too-large; non-TLS is not-tls', () => {
  const big = encodeClientHello({ sni: 'x.example', padding: 20000 });
  assert.equal(parseClientHello(big).kind, 'too-large');
  assert.equal(parseClientHello(big.subarray(0, 100)).kind, 'too-large'); // declared length already too big
  assert.equal(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'not-tls');
  assert.equal(parseClientHello(Buffer.from([22, 3, 1, 0, 5, 2, 0, 0, 1, 0])).kind, 'not-tls'); // ServerHello
  assert.equal(parseClientHello(Buffer.from([22, 3, 1, 0, 0])).kind, 'not-tls');
  assert.equal(parseClientHello(Buffer.from([22])).kind, 'need-more');
});

test('random bytes never throw', () => {
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 255);
  const good = encodeClientHello({ sni: 'a.example', alpn: ['h2'] });
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(good);
    for (let k = 0; k < 1 + (i % 8); k++) b[5 + (rnd() * 7) % (b.length - 5)] = rnd();
    if (i % 2) b[0] = 22;
    assert.ok(['ok', 'need-more', 'not-tls', 'too-large'].includes(parseClientHello(b).kind));
  }
});

test("OpenSSL's own ClientHello (node:tls) parses", async () => {
  const got = await new Promise<Buffer>((resolve) => {
    const srv = createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (parseClientHello(buf).kind !== 'need-more') { s.destroy(); srv.close(); resolve(buf); }
      });
    }).listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      const c: TLSSocket = connect({ port, host: '127.0.0.1', servername: 'real.example.org', ALPNProtocols: ['h2', 'http/1.1'] });
      c.on('error', () => {});
    });
  });
  assert.deepEqual(parseClientHello(got), { kind: 'ok', sni: 'real.example.org', alpn: ['h2', 'http/1.1'] });
});
