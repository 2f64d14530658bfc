#!/usr/bin/env node
// Master-file parsing speed: @geoedge/dnsdata's parseMasterFile against
// PowerDNS's zone2sql (which parses the same BIND-format file with PowerDNS's
// own zone parser) on one synthetic zone, in the same run.
//   node scripts/bench/master-file.mjs [records=100000] [runs=5]
// Prints the median wall time of each and the ratio. Needs `npx tsc -b packages/dnsdata`.
import { writeFileSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseMasterFile } from '../../packages/dnsdata/dist/index.js';

const records = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);

function synthZone(n) {
  const lines = ['$ORIGIN bench.example.', '$TTL 1h',
    '@ IN SOA ns1 hostmaster ( 2024010101 2h 15m 2w 300 )', '  IN NS ns1', 'ns1 IN A 192.0.2.53'];
  for (let i = 0; lines.length < n + 2; i++) {
    const h = `host-${i}`;
    switch (i % 8) {
      case 0: lines.push(`${h} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`); break;
      case 1: lines.push(`${h} 300 IN AAAA 2001:db8::${(i & 0xffff).toString(16)}`); break;
      case 2: lines.push(`${h} IN MX 10 mail-${i}`); break;
      case 3: lines.push(`${h} IN TXT "v=spf1 ip4:192.0.2.0/24 -all" "record ${i}; with a semicolon"`); break;
      case 4: lines.push(`${h} IN CNAME host-${i - 4}.bench.example.`); break;
      case 5: lines.push(`_sip._udp.${h} IN SRV 10 60 5060 host-${i - 5}`); break;
      case 6: lines.push(`${h} IN CAA 0 issue "letsencrypt.org"`); break;
      default: lines.push(`${h} IN A 192.0.2.${i & 255} ; comment ${i}`, `    IN AAAA 2001:db8::${(i & 0xffff).toString(16)}`);
    }
  }
  return lines.join('\n') + '\n';
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'bench-zone-'));
try {
  const file = join(dir, 'bench.example.zone');
  writeFileSync(file, synthZone(records));
  const ours = [];
  let count = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    // Reading the file is part of both measurements: zone2sql reads it too.
    const res = parseMasterFile(readFileSync(file, 'utf8'), { origin: 'bench.example.', file });
    ours.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.errors.length) throw new Error(`unexpected errors: ${JSON.stringify(res.errors.slice(0, 3))}`);
    count = res.records.length;
  }
  const peer = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const p = spawnSync('zone2sql', [`--zone=${file}`, '--zone-name=bench.example', '--gmysql'], { stdio: ['ignore', 'ignore', 'pipe'] });
    peer.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (p.status !== 0) throw new Error(`zone2sql failed: ${p.stderr}`);
  }
  const a = median(ours), b = median(peer);
  console.log(`zone: ${count} records, ${runs} runs each`);
  console.log(`dnsdata parseMasterFile  median ${a.toFixed(1)} ms  (${Math.round(count / (a / 1000))} records/s)`);
  console.log(`pdns zone2sql (+SQL out) median ${b.toFixed(1)} ms  (${Math.round(count / (b / 1000))} records/s)`);
  console.log(`ratio dnsdata/zone2sql: ${(a / b).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
