// Where @geoedge/linux refuses to run (an architecture without known struct
// layouts, or a C library other than glibc such as musl), the relay and geodns
// take their portable paths (Node streams, node:dgram) and say so in ONE warning
// line with the reason, never a silently wrong layout. The process is made to
// look like such a system with a preloaded module (node --import) that changes
// process.arch or hides glibc from process.report: the code under test is the
// real one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { exchange, startRelay } from './relay-harness.js';
import { dig, startGeodns, tempDir } from './helpers/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const preload = (code: string) => [process.execPath, `--import=data:text/javascript,${encodeURIComponent(code)}`];
const SYSTEMS = [
  { name: 'riscv64 (no known layouts)', node: preload("Object.defineProperty(process, 'arch', { value: 'riscv64' });"), reason: /the native layer does not run on riscv64: its struct layouts are not known \(known: x64, arm64, arm\)/ },
  { name: 'musl (no glibc)', node: preload('const g = process.report.getReport.bind(process.report); process.report.getReport = (...a) => { const r = g(...a); delete r.header.glibcVersionRuntime; return r; };'), reason: /the native layer needs glibc/ },
];

for (const sys of SYSTEMS) {
  test(`relay on ${sys.name}: one warning with the reason; TCP through streams and UDP through node:dgram still relay`, async () => {
    const tcp = createServer((s) => s.end('hello from tcp\n'));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => tcp.close(r)));
    const udp = createSocket('udp4');
    udp.on('message', (m, r) => udp.send(m, r.port, r.address));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => udp.close(() => r(undefined))));
    const relay = await startRelay({
      upstreams: { t: { servers: [`127.0.0.1:${(tcp.address() as { port: number }).port}`] }, u: { servers: [`127.0.0.1:${udp.address().port}`] } },
      listeners: [
        { name: 'tcp', listen: ['127.0.0.1:0'], routes: [{ upstream: 't' }] },
        { name: 'udp', protocol: 'udp', listen: ['127.0.0.1:0'], routes: [{ upstream: 'u' }] },
      ],
    }, { node: sys.node });
    cleanups.push(() => relay.stop('SIGKILL'));
    const warnings = relay.logs.filter((l) => l.level === 40);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!.msg, sys.reason);
    assert.match(warnings[0]!.msg, /TCP moves through Node streams and UDP through node:dgram/);
    assert.equal(relay.logs.find((l) => l.msg === 'tcp data plane')?.data_plane, 'streams');
    assert.equal((await exchange(relay.port('tcp'), '')).text, 'hello from tcp\n');
    const c = createSocket('udp4');
    cleanups.push(() => new Promise((r) => c.close(() => r(undefined))));
    const reply = await new Promise<Buffer>((resolve) => { c.on('message', resolve); c.send('ping', relay.port('udp'), '127.0.0.1'); });
    assert.equal(String(reply), 'ping');
  });

  test(`geodns on ${sys.name} with udpBatch: one warning with the reason; node:dgram answers`, async () => {
    const tmp = tempDir('geodns-fallback');
    cleanups.push(async () => tmp.remove());
    const cfg = join(tmp.dir, 'geodns.yaml');
    writeFileSync(cfg, 'udpBatch: true\n');
    const g = await startGeodns({ args: ['--config', cfg], node: sys.node });
    cleanups.push(() => g.stop());
    const a = await dig(g, ['www.example.com', 'A']);
    assert.deepEqual(a.answer.map((r) => r.data), ['192.0.2.10'], a.text);
    const warnings = g.logs().filter((l) => l.level === 40);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!.msg, sys.reason);
    assert.match(warnings[0]!.msg, /udpBatch: using node:dgram$/);
  });
}
