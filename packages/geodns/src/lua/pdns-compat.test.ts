// The runtime against the reference: PowerDNS Authoritative (Debian pdns_server,
// bind + geoip backends, enable-lua-records, the same GeoLite2 City file)
// answers the same LUA records for many ECS client subnets; our evaluate() must
// give the same answer, except where we deliberately differ (pickclosest uses
// great-circle distance: there our pick must be at least as close).
// PowerDNS runs on a free loopback port in a private temp dir, no outside traffic.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { client, testRuntime } from './testkit.js';
import { defaultCityDatabase } from '../geo/default-db.js';
import { haversineKm } from './closest.js';

const PDNS = '/usr/sbin/pdns_server';
const run = promisify(execFile);
const POPS = ['8.8.8.8', '81.2.69.142', '1.0.0.1', '200.160.0.8', '196.49.0.1'];
const RECORDS: Record<string, [string, string]> = {
  h1: ['A', "pickhashed({'192.0.2.1','192.0.2.2','192.0.2.3','192.0.2.4','192.0.2.5'})"],
  w1: ['A', "pickwhashed({{15,'192.0.2.1'},{100,'192.0.2.2'},{30,'192.0.2.3'}})"],
  w3: ['A', `pickwhashed({${Array.from({ length: 20 }, (_, i) => `{${(i % 3) + 1},'192.0.2.${i + 1}'}`).join(',')}})`],
  cc: ['TXT', 'countryCode()'],
  co: ['TXT', 'continentCode()'],
  rc: ['TXT', 'regionCode()'],
  ll: ['TXT', 'latlon()'],
  lo: ['TXT', 'latlonloc()'],
  oc: ['A', ";if country('US') then return '192.0.2.1' elseif continent('EU') then return '192.0.2.2' end return pickwhashed({{10,'192.0.2.3'},{90,'192.0.2.4'}})"],
  vw: ['A', "view({{{'0.0.0.0/1'},{'192.0.2.1'}},{{'0.0.0.0/0'},{'192.0.2.2'}}})"],
  nm: ['A', ";if netmask({'0.0.0.0/2','128.0.0.0/3'}) then return '192.0.2.1' end return '192.0.2.2'"],
  bw: ['TXT', 'bestwho:toString()'],
  ew: ['TXT', 'ecswho:toString()'],
  qn: ['TXT', 'qname:toString()'],
  cl: ['A', `pickclosest({${POPS.map((p) => `'${p}'`).join(',')}})`],
};

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

async function startPdns(): Promise<{ port: number; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'pdns-lua-'));
  const zone = [
    '$TTL 60', '@ IN SOA ns1.example.com. h.example.com. 1 3600 600 86400 60', '@ IN NS ns1.example.com.', 'ns1 IN A 192.0.2.53',
    ...Object.entries(RECORDS).map(([n, [t, code]]) => `${n} IN LUA ${t} "${code}"`),
  ].join('\n');
  writeFileSync(join(dir, 'example.com.zone'), zone + '\n');
  writeFileSync(join(dir, 'named.conf'), `options { directory "${dir}"; };\nzone "example.com" { type master; file "${join(dir, 'example.com.zone')}"; };\n`);
  writeFileSync(join(dir, 'geo.yaml'), 'domains: []\n');
  const port = await freePort();
  const p = spawn(PDNS, [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${dir}`, `--config-dir=${dir}`,
    '--local-address=127.0.0.1', `--local-port=${port}`, '--launch=bind,geoip', `--bind-config=${join(dir, 'named.conf')}`,
    `--geoip-database-files=${defaultCityDatabase()}`, `--geoip-zones-file=${join(dir, 'geo.yaml')}`,
    '--enable-lua-records=yes', '--edns-subnet-processing=yes', '--cache-ttl=0', '--query-cache-ttl=0', '--negquery-cache-ttl=0',
    '--disable-syslog', '--loglevel=4', '--security-poll-suffix=', '--webserver=no', '--api=no',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`pdns_server did not start:\n${log}`)), 15_000);
    const on = (b: Buffer) => { log += b; if (log.includes('ready to distribute questions')) { clearTimeout(t); resolve(); } };
    p.stdout.on('data', on);
    p.stderr.on('data', on);
    p.once('exit', (c) => { clearTimeout(t); reject(new Error(`pdns_server exited ${c}:\n${log}`)); });
  });
  return { port, stop: () => { p.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); } };
}

test('LUA records answer like PowerDNS for many ECS subnets', { skip: !existsSync(PDNS) && 'pdns_server not installed (scripts/setup-test-deps.sh)' }, async () => {
  const pdns = await startPdns();
  after(() => pdns.stop());
  const { rt, geo } = await testRuntime({}, true);
  const subnets: string[] = [];
  for (let i = 0; subnets.length < 48; i++) {
    const a = (i * 2654435761) >>> 0;
    subnets.push(`${((a >>> 24) % 222) + 1}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.0`);
  }
  subnets.push('81.2.69.0', '8.8.4.0', '2.125.160.0', '41.0.0.0', '101.0.0.0', '200.160.0.0');
  for (const [name, [type, code]] of Object.entries(RECORDS)) {
    let same = 0;
    // one dig per subnet, all subnets of a record at once (dig -f would lose the per-line ECS option)
    const answers = await Promise.all(subnets.map((s) => run('dig', ['+short', '+tries=3', '+time=5', '@127.0.0.1', '-p', String(pdns.port), `${name}.example.com`, type, `+subnet=${s}/24`])));
    for (const [i, s] of subnets.entries()) {
      const theirs = answers[i]!.stdout.trim().replace(/"/g, '');
      const r = rt.evaluate({ owner: `${name}.example.com.`, zone: 'example.com.', innerType: type === 'A' ? 1 : 16, code },
        client('127.0.0.1', { ecswho: s, ecsPrefix: 24, qname: `${name}.example.com.` }));
      assert.equal(r.kind, 'ok');
      const ours = r.kind === 'ok' ? r.contents.join(',') : '';
      if (ours === theirs) { same++; continue; }
      assert.equal(name, 'cl', `${name} for ${s}/24: ours ${ours}, PowerDNS ${theirs}`);
      // pickclosest: a different pick must be at least as close by great-circle distance
      const me = geo.lookup(s)!;
      const d = (a: string) => { const g = geo.lookup(a)!; return haversineKm({ lat: me.lat!, lon: me.lon! }, { lat: g.lat!, lon: g.lon! }); };
      assert.ok(d(ours) <= d(theirs), `pickclosest for ${s}: ours ${ours} (${d(ours)} km) vs PowerDNS ${theirs} (${d(theirs)} km)`);
    }
    assert.ok(same >= subnets.length * (name === 'cl' ? 0.8 : 1), `${name}: ${same}/${subnets.length} equal`);
  }
});
