// A bug on one connection's path must end that connection only: a matcher that
// throws stands for any unexpected exception (on the Node-socket path and on
// the engine's accepted path). The connection is closed and counted as
// internal_error, one error line is logged, and the relay goes on serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@geoedge/shared';
import { compileConfig } from './config.js';
import { createRelay } from './app.js';
import { dataPlane } from './dataplane/engine.js';

async function echo(): Promise<{ port: number; close(): void }> {
  const srv = createServer({ allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.on('data', (d) => s.write(d)); s.on('end', () => s.end()); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as { port: number }).port, close: () => srv.close() };
}

function talk(port: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.end('ping'));
    let text = '';
    const timer = setTimeout(() => { s.destroy(); resolve({ text, closed: false }); }, 3000);
    s.on('data', (d) => (text += d));
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve({ text, closed: true }); });
  });
}

for (const plane of ['engine', 'streams'] as const) {
  for (const preread of [false, true]) {
    test(`an exception on a connection's path closes it and is counted; the relay keeps serving (${plane}${preread ? ', preread' : ''})`, async () => {
      const up = await echo();
      const r = compileConfig({
        upstreams: { u: { servers: [`127.0.0.1:${up.port}`] } },
        listeners: [
          { name: 'bad', listen: ['127.0.0.1:0'], preread_timeout: '200ms', routes: [{ match: preread ? { sni: ['x.example'] } : { client: ['127.0.0.0/8'] }, upstream: 'u' }] },
          { name: 'good', listen: ['127.0.0.1:0'], routes: [{ upstream: 'u' }] },
        ],
      });
      assert.ok(r.ok);
      if (!r.ok) return;
      r.config.listeners[0]!.routes[0]!.matchers.push({ needsBytes: false, match() { throw new Error('matcher bug'); } });
      const lines: Array<Record<string, unknown>> = [];
      const log = createLogger({ name: 't', level: 'warn', destination: new Writable({ write(c, _e, cb) { lines.push(JSON.parse(String(c))); cb(); } }) as never });
      const relay = createRelay(r.config, log, plane === 'engine' ? { dataPlane: dataPlane({ splice: false }) } : {});
      await relay.start();
      const a = relay.addresses();
      for (let i = 0; i < 3; i++) {
        const res = await talk(a.bad![0]!.port);
        assert.deepEqual(res, { text: '', closed: true });
      }
      assert.deepEqual(await talk(a.good![0]!.port), { text: 'ping', closed: true });
      assert.equal(relay.metrics.errors.total(['bad', 'internal_error']), 3);
      assert.equal(relay.metrics.connections.total(['bad', 'internal_error']), 3);
      // Logged with its stack, at most one line a second (three within a second give one line;
      // a loaded machine may spread them over more).
      const logged = lines.filter((l) => l.msg === 'internal error on a connection: closed it');
      assert.ok(logged.length >= 1 && logged.length <= 3, `${logged.length} lines`);
      assert.match(String((logged[0]!.err as { stack?: string }).stack), /matcher bug/);
      await relay.close();
      up.close();
    });
  }
}
