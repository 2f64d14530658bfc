// A zone file of a million lines (issue 17): garbage written over a zone file
// (an editor accident, a half-copied file), and a valid zone that big. Either
// way every other zone keeps answering while it loads, no log line passes
// 64 KiB, and garbage leaves the zone's previous version served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FLAGS } from '@geoedge/geodns';
import { buildQuery, copyZones, parseMessage, startGeodns, udpExchange, TARGET, type Geodns } from './helpers/index.js';

const skip = TARGET === 'pdns' && 'geodns zone loading';
const LINES = 1_000_000;
const MAX_LINE = 64 * 1024;
let srv: Geodns;
let zones: ReturnType<typeof copyZones>;

before(async () => {
  if (skip) return;
  zones = copyZones();
  // As production starts it (main.ts's #! line, systemd): the young generation stays 16 MiB.
  // Without the flag, building a million records on the default one paid scavenges of
  // 100-230 ms each on this shared machine (--trace-gc), and one answer waited 1 s.
  srv = await startGeodns({ zonesDir: zones.dir, nodeFlags: NODE_FLAGS });
});
after(async () => {
  await srv?.stop();
  zones?.remove();
});

/** Writes `text` as `name` in the zone directory the way editors do: a temp file renamed over. */
function drop(name: string, text: string): void {
  const tmp = join(zones.dir, `.${name}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(zones.dir, name));
}

/** Asks www.example.com every 20 ms until `done()`; returns each round trip (Infinity = lost). */
async function probeWhile(done: () => boolean, maxMs: number): Promise<number[]> {
  const times: number[] = [];
  const started = Date.now();
  while (!done() && Date.now() - started < maxMs) {
    const t0 = performance.now();
    const r = await udpExchange(srv, buildQuery({ id: times.length & 0xffff, name: 'www.example.com' }), 3000);
    times.push(r && parseMessage(r).rcode === 0 ? performance.now() - t0 : Infinity);
    await new Promise((res) => setTimeout(res, 20));
  }
  return times;
}

function garbage(): string {
  // Random printable junk with the characters that matter to the tokenizer: a
  // "(" opened more often than closed, stray quotes, semicolons.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 .-_()";\\$@*\t';
  let seed = 17;
  const lines: string[] = [];
  for (let i = 0; i < LINES; i++) {
    let s = '';
    const n = 10 + (i % 50);
    for (let j = 0; j < n; j++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; s += alphabet[seed % alphabet.length]; }
    lines.push(s);
  }
  return lines.join('\n') + '\n';
}

async function soaSerial(name: string): Promise<number | undefined> {
  const r = await udpExchange(srv, buildQuery({ name, type: 'SOA' }));
  const m = r && parseMessage(r);
  const soa = m?.answer.find((a) => a.type === 6);
  return soa ? soa.rdata.readUInt32BE(soa.rdata.length - 20) : undefined;
}

function longestLogLine(): number {
  return Math.max(...srv.proc.stdout.map((l) => Buffer.byteLength(l)));
}

test('a million lines of garbage over a zone file: other zones answer throughout, the old zone stays, logs stay short', { skip, timeout: 180_000 }, async (t) => {
  const serial = await soaSerial('example.org');
  assert.ok(serial, 'example.org served before');
  const text = garbage();
  let failed = false;
  const seen = srv.waitForLog((l) => l.msg.startsWith('zone file failed to load') && String(l.file).endsWith('example.org.zone'), 120_000)
    .then((l) => { failed = true; return l; });
  drop('example.org.zone', text);
  const times = await probeWhile(() => failed, 120_000);
  const line = await seen;
  times.push(...await probeWhile(() => false, 1000)); // and just after
  const worst = Math.max(...times);
  t.diagnostic(`${times.length} probes, worst ${worst.toFixed(1)} ms; longest log line ${longestLogLine()} bytes; error_count ${String(line.error_count)}`);
  assert.ok(worst < 500, `slowest answer while the garbage loaded: ${worst.toFixed(0)} ms`);
  assert.equal(await soaSerial('example.org'), serial, 'the previous example.org is still served');
  assert.ok(longestLogLine() < MAX_LINE, `a log line of ${longestLogLine()} bytes`);
  assert.ok(Array.isArray(line.errors) && (line.errors as unknown[]).length <= 21, 'the first errors, not all');
  assert.ok(Number(line.error_count) <= 51, `parsing stopped early: ${String(line.error_count)} errors`);
});

test('a valid zone of a million records loads without stalling the other zones', { skip, timeout: 300_000 }, async (t) => {
  const lines = ['$TTL 300', '@ IN SOA ns1 hostmaster 7 3600 600 86400 300', '@ IN NS ns1', 'ns1 IN A 192.0.2.53'];
  for (let i = 0; i < LINES; i++) lines.push(`h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  let loaded = false;
  const seen = srv.waitForLog((l) => l.msg === 'zone loaded' && l.zone === 'big.test.', 240_000).then(() => { loaded = true; });
  drop('big.test.zone', lines.join('\n') + '\n');
  const times = await probeWhile(() => loaded, 240_000);
  await seen;
  const worst = Math.max(...times);
  const sorted = [...times].sort((a, b) => a - b);
  const p99 = sorted[Math.floor(times.length * 0.99)]!;
  t.diagnostic(`${times.length} probes, median ${sorted[times.length >> 1]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`);
  // Building a million objects costs V8 some GC pauses on this thread (300 ms seen alone; one
  // of 1.6 s with the whole suite running beside 7 other jobs on 2 cores). Unsliced, the
  // build stopped every answer for 5-20 s, which fails all three bounds.
  assert.ok(p99 < 500, `p99 ${p99.toFixed(0)} ms while the big zone loaded`);
  assert.ok(worst < 2500, `slowest answer while the big zone loaded: ${worst.toFixed(0)} ms`);
  const r = parseMessage((await udpExchange(srv, buildQuery({ name: 'h999999.big.test' })))!);
  assert.deepEqual([...r.answer[0]!.rdata], [10, 15, 66, 63]);
});
