// The PowerDNS LUA-record functions, implemented in JS and exposed to the
// sandbox. Each one records in ctx.deps what it read about the client, so the
// chain can cache the answer (see Deps in types.ts).
import type { GeoInfo, GeoLookup, GeoPlace } from '../geo/types.js';
import { normalizeAddress, parseAddress, parseNetmask, netmaskMatch } from '../geo/ip.js';
import { LuaTable, type HostFunction, type LuaValue } from './wasmoon.js';
import * as P from './pick.js';
import { closestIndex } from './closest.js';
import * as R from './reverse.js';
import type { Deps, HealthOracle, IncludeResolver, LuaClient, LuaRecordRef } from './types.js';

export interface EvalContext {
  record: LuaRecordRef;
  client: LuaClient;
  bestwho: string;
  deps: Deps;
  /** GeoIP answer for bestwho, looked up at most once per evaluation. */
  geo?: GeoInfo | null;
  /** Its country and continent alone (clientPlace), when nothing else was asked yet. */
  place?: GeoPlace | null;
}

export interface HostEnv {
  geo: GeoLookup;
  health: HealthOracle;
  include: IncludeResolver;
  rand: P.Rand;
  ctx(): EvalContext;
}

// ---- argument helpers ---------------------------------------------------

export function strList(v: LuaValue, what: string): string[] {
  if (typeof v === 'string' || typeof v === 'number') return [String(v)];
  if (!(v instanceof LuaTable)) throw new Error(`${what}: expected a list of strings`);
  return v.list.map((x) => {
    if (typeof x !== 'string' && typeof x !== 'number') throw new Error(`${what}: list entries must be strings`);
    return String(x);
  });
}

export function weighted(v: LuaValue, what: string): P.Weighted {
  if (!(v instanceof LuaTable)) throw new Error(`${what}: expected a table of {weight, value} pairs`);
  return v.list.map((e) => {
    if (!(e instanceof LuaTable) || e.list.length < 2) throw new Error(`${what}: entries must be {weight, value}`);
    const w = Number(e.list[0]);
    if (!Number.isFinite(w)) throw new Error(`${what}: weight must be a number`);
    return [w, String(e.list[1])];
  });
}

export function options(v: LuaValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(v instanceof LuaTable)) return out;
  for (const [k, x] of v.map) {
    if (x instanceof LuaTable) out[k] = JSON.stringify(Object.fromEntries(x.map));
    else if (x !== null) out[k] = String(x);
  }
  return out;
}

function address(text: string, what: string): string {
  const a = normalizeAddress(text);
  if (!a) throw new Error(`${what}: not an IP address: ${text}`);
  return a;
}

function matchesAny(list: LuaValue, v: string | undefined): boolean {
  if (v === undefined) return false;
  const want = v.toLowerCase();
  // one string, as in country('US'): no list built (every cold octo-style query asks twice)
  if (typeof list === 'string' || typeof list === 'number') return matchesOne(String(list), want);
  return strList(list, 'match').some((x) => matchesOne(x, want));
}

/** x names want, case-insensitively, with or without an "AS" prefix (asnum). */
function matchesOne(x: string, want: string): boolean {
  const l = x.toLowerCase();
  return l === want || (l.startsWith('as') && l.slice(2) === want);
}

// ---- geo ----------------------------------------------------------------

/** GeoIP data of bestwho; marks the evaluation as depending on its GeoIP network. */
export function clientGeo(env: HostEnv): GeoInfo | undefined {
  const c = env.ctx();
  if (c.geo === undefined) c.geo = env.geo.lookup(c.bestwho) ?? null;
  readGeo(c, c.geo);
  return c.geo ?? undefined;
}

/**
 * bestwho's country and continent (GeoLookup.place: the rest of its data record
 * unread, a cold octoDNS-style query's largest cost), with the same deps as clientGeo.
 */
export function clientPlace(env: HostEnv): GeoPlace | undefined {
  const c = env.ctx();
  if (c.geo !== undefined) return clientGeo(env);
  if (c.place === undefined) c.place = env.geo.place(c.bestwho) ?? null;
  readGeo(c, c.place);
  return c.place ?? undefined;
}

function readGeo(c: EvalContext, g: GeoPlace | null): void {
  c.deps.geoDatabase = true;
  if (g) c.deps.geo = { prefix: g.prefix, record: g.record };
  else c.deps.address = true; // no database: nothing narrower than the address is known
}

const f6 = (x: number) => x.toFixed(6);

/**
 * LOC text exactly as PowerDNS prints it (boost::format "%d %d %d %c …" with the
 * seconds still a double, so they come out like C++ ostream: 6 significant digits).
 * An unknown location is 0,0 with PowerDNS's signs ("0 0 -0 S 0 0 -0 W …").
 */
function locText(lat: number, lon: number): string {
  const part = (v: number) => {
    const deg = Math.trunc(v) + 0; // + 0: C++ ints have no negative zero, the double seconds do
    const min = Math.trunc((v - deg) * 60) + 0;
    const sec = ((v - deg) * 60 - min) * 60;
    return `${deg} ${min} ${Object.is(sec, -0) ? '-0' : String(Number(sec.toPrecision(6)))}`;
  };
  const la = lat > 0 ? lat : -lat;
  const lo = lon > 0 ? lon : -lon;
  return `${part(la)} ${lat > 0 ? 'N' : 'S'} ${part(lo)} ${lon > 0 ? 'E' : 'W'} 0.00m 1.00m 10000.00m 10.00m`;
}

/** pickclosest over candidates; see closest.ts for the documented fallbacks. */
export function pickClosest(env: HostEnv, candidates: string[]): string {
  if (candidates.length === 0) throw new Error('The IP list cannot be empty');
  const me = clientGeo(env);
  const c = env.ctx();
  if (me?.lat !== undefined && me.lon !== undefined) {
    const locs = candidates.map((a) => {
      const g = env.geo.lookup(a);
      return g?.lat !== undefined && g.lon !== undefined ? { lat: g.lat, lon: g.lon } : undefined;
    });
    const i = closestIndex({ lat: me.lat, lon: me.lon }, locs);
    if (i >= 0) return candidates[i]!;
  }
  c.deps.address = true;
  return P.pickHashed(c.bestwho, candidates);
}

export function geoFunctions(env: HostEnv): Record<string, HostFunction> {
  return {
    country: ([v]) => matchesAny(v ?? null, clientPlace(env)?.country),
    // lower case, as PowerDNS's geoip backend returns them ("gb", "eu", "eng"): zones compare against these
    countryCode: () => clientPlace(env)?.country?.toLowerCase() ?? '--',
    continent: ([v]) => matchesAny(v ?? null, clientPlace(env)?.continent),
    continentCode: () => clientPlace(env)?.continent?.toLowerCase() ?? '--',
    region: ([v]) => matchesAny(v ?? null, clientGeo(env)?.region),
    regionCode: () => clientGeo(env)?.region?.toLowerCase() ?? '--',
    asnum: ([v]) => { const a = clientGeo(env)?.asn; return matchesAny(v ?? null, a === undefined ? undefined : String(a)); },
    latlon: () => { const g = clientGeo(env); return `${f6(g?.lat ?? 0)} ${f6(g?.lon ?? 0)}`; },
    latlonloc: () => { const g = clientGeo(env); return locText(g?.lat ?? 0, g?.lon ?? 0); },
    pickclosest: ([v]) => pickClosest(env, strList(v ?? null, 'pickclosest').map((a) => address(a, 'pickclosest'))),
    closestMagic: () => { env.ctx().deps.qname = true; return pickClosest(env, R.magicCandidates(env.ctx().client.qname)); },
    geoiplookup: ([a, attr]) => geoipLookup(env, String(a ?? ''), Number(attr ?? -1)),
  };
}

function geoipLookup(env: HostEnv, addr: string, attr: number): string {
  env.ctx().deps.geoDatabase = true;
  const g = env.geo.lookup(addr);
  const v = [g?.asn, g?.city, g?.continent?.toLowerCase(), g?.country?.toLowerCase(), g?.country?.toLowerCase(), g?.asOrg, g?.region?.toLowerCase(),
    g?.lat !== undefined ? `${f6(g.lat)} ${f6(g.lon!)}` : undefined][attr];
  return v === undefined ? 'unknown' : String(v);
}

// ---- picks, views, reverse ----------------------------------------------

export function pickFunctions(env: HostEnv): Record<string, HostFunction> {
  const dep = (k: 'random' | 'address' | 'qname') => { env.ctx().deps[k] = true; };
  return {
    pickrandom: ([v]) => { dep('random'); return P.pickRandom(strList(v ?? null, 'pickrandom'), env.rand); },
    pickrandomsample: ([n, v]) => { dep('random'); return new LuaTableFrom(P.pickRandomSample(Number(n), strList(v ?? null, 'pickrandomsample'), env.rand)); },
    pickhashed: ([v]) => { dep('address'); return P.pickHashed(env.ctx().bestwho, strList(v ?? null, 'pickhashed')); },
    pickwrandom: ([v]) => { dep('random'); return P.pickWeightedRandom(weighted(v ?? null, 'pickwrandom'), env.rand); },
    pickwhashed: ([v]) => { dep('address'); return P.pickWeightedHashed(env.ctx().bestwho, weighted(v ?? null, 'pickwhashed')); },
    pickchashed: ([v]) => { dep('address'); return P.pickConsistentHashed(env.ctx().bestwho, weighted(v ?? null, 'pickchashed')); },
    picknamehashed: ([v]) => { dep('qname'); return P.pickWeightedNameHashed(env.ctx().client.qname, weighted(v ?? null, 'picknamehashed')); },
    all: ([v]) => { const l = strList(v ?? null, 'all'); if (l.length === 0) throw new Error('The IP list cannot be empty'); return new LuaTableFrom(l); },
    netmask: ([v]) => { dep('address'); return inMasks(env.ctx().bestwho, strList(v ?? null, 'netmask')); },
    view: ([v]) => view(env, v ?? null),
    createReverse: ([f, ex]) => { dep('qname'); return R.createReverse(env.ctx().client.qname, String(f ?? ''), exceptions(ex)); },
    createReverse6: ([f, ex]) => { dep('qname'); return R.createReverse6(env.ctx().client.qname, String(f ?? ''), exceptions(ex)); },
    createForward: () => { dep('qname'); return R.createForward(env.ctx().client.qname, env.ctx().record.zone); },
    createForward6: () => { dep('qname'); return R.createForward6(env.ctx().client.qname, env.ctx().record.zone); },
    filterForward: ([a, masks, fallback]) => filterForward(String(a ?? ''), masks ?? null, fallback),
  };
}

export class LuaTableFrom extends LuaTable {
  constructor(items: string[]) { super(); this.list.push(...items); }
}

function exceptions(v: LuaValue | undefined): Map<string, string> | undefined {
  return v instanceof LuaTable ? new Map([...v.map].map(([k, x]) => [k, String(x)])) : undefined;
}

export function inMasks(addr: string, masks: string[]): boolean {
  const a = parseAddress(addr);
  if (!a) return false;
  return masks.some((m) => {
    const nm = parseNetmask(m);
    if (!nm) throw new Error(`not a netmask: ${m}`);
    return netmaskMatch(nm, a);
  });
}

/** view({ {{masks…}, {results…}}, … }): first rule whose netmask holds bestwho; a random result of it. */
function view(env: HostEnv, v: LuaValue): string {
  if (!(v instanceof LuaTable)) throw new Error('view: expected a table of {netmasks, results} rules');
  const c = env.ctx();
  c.deps.address = true;
  for (const rule of v.list) {
    if (!(rule instanceof LuaTable) || rule.list.length < 2) throw new Error('view: each rule is {netmasks, results}');
    if (!inMasks(c.bestwho, strList(rule.list[0]!, 'view netmasks'))) continue;
    const dest = strList(rule.list[1]!, 'view results');
    if (dest.length === 0) throw new Error('The IP list cannot be empty (for view rule)');
    if (dest.length > 1) c.deps.random = true;
    return dest[env.rand(dest.length)]!;
  }
  return '';
}

function filterForward(addr: string, masks: LuaValue, fallback: LuaValue | undefined): LuaTable {
  const a = address(addr, 'filterForward');
  if (inMasks(a, strList(masks, 'filterForward masks'))) return new LuaTableFrom([a]);
  if (fallback !== undefined && fallback !== null) return new LuaTableFrom(String(fallback) === '' ? [] : [String(fallback)]);
  return new LuaTableFrom([a.includes(':') ? '::' : '0.0.0.0']);
}
