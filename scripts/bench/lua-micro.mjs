#!/usr/bin/env node
// LUA-record micro-benchmark: evaluations per second of the sandboxed runtime
// (wasmoon VM, instruction and memory limits on) for two PowerDNS-style records,
// each against 10,000 different client addresses, over the embedded GeoLite2
// City database. No cache: every call is a full evaluation.
//
// Cases
//   pickclosest  pickclosest({5 addresses on 5 continents})
//   octodns      ;if country('US') then … elseif continent('EU') then … end return pickwhashed({…})
// Baseline in the same run: the same decision computed directly in JS over the
// same GeoIP lookups (no VM); the ratio shows what the sandbox costs.
//
// Environment: BENCH_DURATION seconds per run [3], BENCH_RUNS runs per case [5].
// Build first: npx tsc -b packages/geodns
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => resolve(ROOT, 'packages/geodns/dist', p);
const { createGeoIpService } = await import(dist('geo/geoip-service.js'));
const { defaultCityDatabase } = await import(dist('geo/default-db.js'));
const { createLuaRuntime } = await import(dist('lua/runtime.js'));
const { closestIndex } = await import(dist('lua/closest.js'));
const { pickWeightedHashed, pickHashed } = await import(dist('lua/pick.js'));
const { createLogger } = await import(resolve(ROOT, 'packages/shared/dist/index.js'));

const DURATION = Number(process.env.BENCH_DURATION ?? 3) * 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const log = createLogger({ name: 'bench', level: 'silent' });
const geo = createGeoIpService({ files: [defaultCityDatabase()], log, watch: false });
await geo.start();
const rt = await createLuaRuntime({ geo, health: { status: () => ({ id: 'none', value: -1 }) } });

// 10,000 client addresses spread over the IPv4 space (deterministic)
const clients = [];
for (let i = 0; clients.length < 10_000; i++) {
  const a = (i * 2654435761) >>> 0;
  const first = (a >>> 24) % 223 + 1;
  if (first === 10 || first === 127) continue;
  clients.push(`${first}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`);
}
const POPS = ['8.8.8.8', '81.2.69.142', '1.0.0.1', '200.160.0.8', '196.49.0.1']; // US, GB, AU, BR, ZA-ish
const cases = {
  pickclosest: {
    code: `pickclosest({${POPS.map((p) => `'${p}'`).join(',')}})`,
    js: (who) => {
      const me = geo.lookup(who);
      if (me?.lat === undefined) return pickHashed(who, POPS);
      const locs = POPS.map((p) => { const g = geo.lookup(p); return g?.lat !== undefined ? { lat: g.lat, lon: g.lon } : undefined; });
      return POPS[closestIndex({ lat: me.lat, lon: me.lon }, locs)];
    },
  },
  octodns: {
    code: ";if country('US') then return {'192.0.2.1'} elseif continent('EU') then return {'192.0.2.2'} end " +
      "return pickwhashed({{10, '192.0.2.3'}, {20, '192.0.2.4'}, {70, '192.0.2.5'}})",
    js: (who) => {
      const g = geo.lookup(who);
      if (g?.country === 'US') return '192.0.2.1';
      if (g?.continent === 'EU') return '192.0.2.2';
      return pickWeightedHashed(who, [[10, '192.0.2.3'], [20, '192.0.2.4'], [70, '192.0.2.5']]);
    },
  },
};

function measure(fn) {
  let n = 0;
  const end = performance.now() + DURATION;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) fn(clients[(n + i) % clients.length]);
    n += 1000;
  }
  return n / (DURATION / 1000);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`lua-micro: ${RUNS} runs × ${DURATION / 1000}s per case, ${clients.length} clients, GeoLite2 City ${defaultCityDatabase()}`);
for (const [name, c] of Object.entries(cases)) {
  const rec = { owner: 'www.example.com.', zone: 'example.com.', innerType: 1, code: c.code };
  // sanity: the VM and the baseline agree for every client
  let agree = 0;
  for (const who of clients) {
    const r = rt.evaluate(rec, { who, localwho: '127.0.0.1', qname: 'www.example.com.', tcp: false, dnssecOK: false, ednsPKTSize: 1232 });
    if (r.kind !== 'ok') throw new Error(`${name}: ${r.message}`);
    if (r.contents[0] === c.js(who)) agree++;
  }
  const vm = [], js = [];
  for (let i = 0; i < RUNS; i++) {
    vm.push(measure((who) => rt.evaluate(rec, { who, localwho: '127.0.0.1', qname: 'www.example.com.', tcp: false, dnssecOK: false, ednsPKTSize: 1232 })));
    js.push(measure(c.js));
  }
  const mv = median(vm), mj = median(js);
  console.log(`${name.padEnd(12)} lua ${Math.round(mv).toLocaleString('en')} eval/s   plain-js ${Math.round(mj).toLocaleString('en')} /s   lua/js ${(mv / mj).toFixed(2)}   agree ${agree}/${clients.length}`);
}
await geo.close();
