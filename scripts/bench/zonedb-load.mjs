#!/usr/bin/env node
// zonedb at scale: 10,000 zones and 1,000,000 records in the PowerDNS schema on
// a private primary/replica pair (deploy/mariadb files and script), measured on
// the replica:
//   - cold load time and resident memory of loadAllZones (target < 30 s, < 1.5 GB);
//   - change detection cost: an idle poll (tier 1) and a fingerprint scan of
//     records (tier 2), each the median of several runs;
//   - commit on the primary → change reported by the replica's detector
//     (median of several edits, polling every 250 ms as geodns does at 4 Hz; target < 2 s);
//   - per-zone reload of one changed zone.
// PowerDNS has no equivalent of a one-pass in-memory load to compare against,
// so this prints absolute figures. Bounded: fixed data size, fixed repetitions;
// the instances are deleted at the end.
//   node scripts/bench/zonedb-load.mjs [--zones 10000] [--per-zone 100]
// (build first: npx tsc -b packages/zonedb)
import { generateZones } from './lib/zonedb-data.mjs';
import { openDb, migrate, loadAllZones, loadZones, ChangeDetector } from '../../packages/zonedb/dist/index.js';
import { startPair, setupReplication, waitFor } from '../../packages/zonedb/dist/testing/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ZONES = arg('zones', 10_000);
const PER_ZONE = arg('per-zone', 100); // SOA + NS + MX + (PER_ZONE - 3) A records
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = () => performance.now();
const open = async (url) => {
  const r = await openDb(url);
  if (!r.ok) throw r.error;
  return r.db;
};

const { primary, replica } = await startPair();
const pools = [];
try {
  const rep = await setupReplication(primary, replica, { password: 'bench-repl' });
  if (rep.code !== 0) throw new Error(rep.stderr);
  const admin = await open(primary.url('mysql'));
  pools.push(admin);
  await admin.execute('CREATE DATABASE pdns');
  const p = await open(primary.url('pdns'));
  pools.push(p);
  const m = await migrate(p);
  if (!m.ok) throw new Error(m.message);

  let t0 = t();
  const total = await generateZones(p, ZONES, PER_ZONE);
  const gen = t() - t0;

  const r = await open(replica.url('pdns'));
  pools.push(r);
  t0 = t();
  await waitFor('the replica to apply every row', async () => {
    const [{ n }] = await r.query('SELECT COUNT(*) AS n FROM records');
    return Number(n) === total ? true : undefined;
  }, 600_000, 500);
  const replicate = t() - t0;

  const rssBefore = process.memoryUsage().rss;
  t0 = t();
  const all = await loadAllZones(r);
  const cold = t() - t0;
  if (!all.ok) throw new Error(all.message);
  const rss = process.memoryUsage().rss;
  let records = 0;
  for (const z of all.zones.values()) records += z.records.length;

  const detector = new ChangeDetector(r);
  await detector.prime();
  await new Promise((res) => setTimeout(res, 2100)); // let UPDATE_TIME age past the same-second window
  const idle = [];
  for (let i = 0; i < 20; i++) {
    const x = await detector.poll();
    if (!x.ok || x.scanned.length > 0) throw new Error(`idle poll scanned ${JSON.stringify(x)}`);
    idle.push(x.durationMs);
  }
  const full = new ChangeDetector(r, { fullCheckEveryMs: 0 });
  const scans = [];
  for (let i = 0; i < 5; i++) {
    const x = await full.poll();
    scans.push(x.durationMs);
  }

  const latencies = [];
  for (let i = 0; i < 5; i++) {
    const id = 1 + Math.floor(Math.random() * ZONES);
    const start = t();
    await p.execute("UPDATE records SET content = CONCAT('192.0.2.', ?) WHERE domain_id = ? AND type = 'A' LIMIT 1", [i + 1, id]);
    await waitFor('the edit on the replica', async () => {
      const x = await detector.poll();
      return x.ok && x.changes.changed.includes(id) ? true : undefined;
    }, 10_000, 250);
    latencies.push(t() - start);
  }
  t0 = t();
  const one = await loadZones(r, [1]);
  const reload = t() - t0;
  if (!one.ok) throw new Error(one.message);

  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`zonedb-load: ${ZONES} zones, ${total} rows (${records} records loaded), MariaDB ${(await r.query('SELECT VERSION() AS v'))[0].v}`);
  console.log(`  generate on primary            ${fmt(gen)}`);
  console.log(`  replicate to replica           ${fmt(replicate)}`);
  console.log(`  cold load (loadAllZones)       ${fmt(cold)}  (${Math.round(total / (cold / 1000))} rows/s; target < 30 s)`);
  console.log(`  resident memory after load     ${Math.round(rss / 2 ** 20)} MiB (+${Math.round((rss - rssBefore) / 2 ** 20)} MiB; target < 1536 MiB)`);
  console.log(`  idle poll (tier 1), median     ${median(idle)} ms`);
  console.log(`  fingerprint scan (tier 2)      ${median(scans)} ms median of ${scans.length}`);
  console.log(`  commit → detected on replica   ${Math.round(median(latencies))} ms median of ${latencies.length} (max ${Math.round(Math.max(...latencies))}; target < 2000)`);
  console.log(`  reload one zone                ${reload.toFixed(1)} ms`);
} finally {
  for (const x of pools) await x.close().catch(() => {});
  await Promise.all([primary.clean(), replica.clean()]);
}
