// Zone reloads on a running server: file edits are picked up within seconds,
// a broken edit keeps the last good zone serving and logs file:line, files
// added and removed change the zone set, SIGHUP reloads; the reload metrics
// move accordingly. geodns only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { copyZones, dig, scrape, sum, startGeodns, TARGET, type Geodns } from './helpers/index.js';

const skip = TARGET === 'pdns' && 'geodns reloading';
let g: Geodns;
let zones: ReturnType<typeof copyZones>;
let zoneFile: string;
let original: string;

before(async () => {
  if (skip) return;
  zones = copyZones();
  zoneFile = join(zones.dir, 'example.com.zone');
  original = readFileSync(zoneFile, 'utf8');
  g = await startGeodns({ zonesDir: zones.dir, metrics: true });
});
after(async () => {
  await g?.stop();
  zones?.remove();
});

/** Polls dig until `pred` holds; returns how long it took. */
async function eventually(args: string[], pred: (data: string[], status: string) => boolean, timeoutMs = 6000): Promise<number> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < timeoutMs) {
    const r = await dig(g, args);
    if (pred(r.answer.map((a) => a.data), r.status)) return Date.now() - started;
    last = r.text;
    await new Promise((res) => setTimeout(res, 150));
  }
  throw new Error(`dig ${args.join(' ')} did not change within ${timeoutMs} ms; last:\n${last}\n${g.proc.tail(10)}`);
}

const metric = async (name: string): Promise<number> => sum(await scrape(g.metricsUrl!), name);

function edit(from: string, to: string): string {
  const text = readFileSync(zoneFile, 'utf8');
  assert.ok(text.includes(from), `zone text has ${from}`);
  const next = text.replace(from, to).replace(/2026112\d{3}/, (s) => String(Number(s) + 1));
  writeFileSync(zoneFile, next);
  return next;
}

test('an edited zone file is served within a few seconds, and the reload is counted', { skip }, async () => {
  const reloads = await metric('geodns_reloads_total');
  edit('www     300 IN A 192.0.2.10', 'www     300 IN A 192.0.2.99');
  await eventually(['www.example.com', 'A'], (d) => d.includes('192.0.2.99'));
  assert.ok((await metric('geodns_reloads_total')) > reloads, 'geodns_reloads_total moved');
  assert.equal(await metric('geodns_zones_loaded'), 3);
});

test('a broken edit keeps the last good zone and logs file:line', { skip }, async () => {
  const failures = await metric('geodns_reload_failures_total');
  const good = readFileSync(zoneFile, 'utf8');
  const lines = good.split('\n');
  const badLine = lines.length; // appended as the last line (1-based)
  writeFileSync(zoneFile, `${good.replace(/\n$/, '')}\nmail2   IN A    192.0.2.300\n`);
  const err = await g.waitForLog((l) => l.level >= 50 && JSON.stringify(l).includes(`example.com.zone:${badLine}`), 8000);
  assert.ok(err, 'an error naming the file and line');
  // Still the previous version: the edit of the previous test, and no half-loaded zone.
  const r = await dig(g, ['www.example.com', 'A']);
  assert.deepEqual(r.answer.map((a) => a.data), ['192.0.2.99']);
  assert.equal((await dig(g, ['example.com', 'SOA'])).status, 'NOERROR');
  assert.ok((await metric('geodns_reload_failures_total')) > failures, 'geodns_reload_failures_total moved');
  assert.equal(await metric('geodns_zones_loaded'), 3, 'the broken zone is still served from the last good version');
  // Fixing the file is picked up again.
  writeFileSync(zoneFile, good.replace('192.0.2.99', '192.0.2.98'));
  await eventually(['www.example.com', 'A'], (d) => d.includes('192.0.2.98'));
});

test('zone files added and removed add and remove zones', { skip }, async () => {
  const extra = join(zones.dir, 'example.edu.zone');
  writeFileSync(extra, '$ORIGIN example.edu.\n$TTL 60\n@ IN SOA ns1.example.com. h.example.edu. 1 60 60 60 60\n@ IN NS ns1.example.com.\nwww IN A 192.0.2.44\n');
  await eventually(['www.example.edu', 'A'], (d) => d.includes('192.0.2.44'));
  assert.equal(await metric('geodns_zones_loaded'), 4);
  unlinkSync(extra);
  await eventually(['www.example.edu', 'A'], (_d, status) => status === 'REFUSED');
  assert.equal(await metric('geodns_zones_loaded'), 3);
});

test('garbage zone files (binary, random text) are reported and the other zones keep serving', { skip }, async () => {
  const junk = join(zones.dir, 'junk.example.zone');
  const binary = join(zones.dir, 'bin.example.zone');
  writeFileSync(junk, '$ORIGIN junk.example.\n@ IN SOA (((\n"unterminated\n$TTL -5\n@ IN A 1.2.3.4.5\n');
  writeFileSync(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
  await g.waitForLog((l) => l.level >= 50 && JSON.stringify(l).includes('junk.example.zone:'), 8000);
  await g.waitForLog((l) => l.level >= 50 && JSON.stringify(l).includes('bin.example.zone'), 8000);
  assert.equal((await dig(g, ['www.example.com', 'A'])).status, 'NOERROR');
  assert.equal((await dig(g, ['junk.example', 'SOA'])).status, 'REFUSED', 'a zone that never loaded is not served');
  assert.ok(g.proc.alive());
  unlinkSync(junk);
  unlinkSync(binary);
});

test('SIGHUP reloads the zones', { skip }, async () => {
  const before = await metric('geodns_reloads_total');
  process.kill(g.pid, 'SIGHUP');
  const deadline = Date.now() + 5000;
  while ((await metric('geodns_reloads_total')) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok((await metric('geodns_reloads_total')) > before, 'a reload counted after SIGHUP with no file change');
  assert.ok(g.proc.alive(), 'SIGHUP does not stop the server');
  // And a SIGHUP right after an edit serves the edit.
  writeFileSync(zoneFile, original.replace('mail    IN A    192.0.2.25', 'mail    IN A    192.0.2.26'));
  process.kill(g.pid, 'SIGHUP');
  await eventually(['mail.example.com', 'A'], (d) => d.includes('192.0.2.26'));
});
