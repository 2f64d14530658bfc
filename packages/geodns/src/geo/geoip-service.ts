// GeoIP service: several .mmdb files (City, Country, ASN…) consulted in order,
// the first database with a value wins, field by field. The set of open
// databases is an immutable array swapped whole: a query reads `this.dbs` once
// and never sees a half-replaced set. Files are watched (the updater replaces
// them by atomic rename); a new file is opened and probed before the swap, and
// a corrupt or truncated one is logged and rejected while the old one stays.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { SuiteError, type Logger, type Service } from '@geoedge/shared';
import { openMmdb, type Located, type MmdbDatabase } from './maxmind.js';
import { formatMasked, parseAddress, parseDottedQuad } from './ip.js';
import type { GeoFields, GeoInfo, GeoLookup, GeoPlace, GeoSpot } from './types.js';
import { RECORDS_PER_LOCATION, toLocations, type GeoLocation } from './locations.js';

export interface GeoIpOptions {
  /** Database files in priority order. */
  files: string[];
  log: Logger;
  /** Watch the files for replacement (default true). */
  watch?: boolean;
  /** Quiet time after the last change event before reopening (default 250 ms). */
  debounceMs?: number;
}

export type ReloadResult = { kind: 'swapped'; path: string } | { kind: 'rejected'; path: string; message: string };

export interface GeoIpStatus {
  path: string;
  type?: string;
  buildEpoch?: string;
  loadedAt?: string;
  lastError?: string;
}

const FIELDS = ['country', 'continent', 'region', 'city', 'asn', 'asOrg'] as const;

export class GeoIpService implements Service, GeoLookup {
  readonly name = 'geoip';
  private dbs: ReadonlyArray<MmdbDatabase | undefined> = [];
  private readonly files: string[];
  private readonly status = new Map<string, GeoIpStatus>();
  private readonly watchers: FSWatcher[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly listeners: Array<(path: string) => void> = [];

  constructor(private readonly opts: GeoIpOptions) {
    this.files = opts.files.map((f) => resolve(f));
    for (const f of this.files) this.status.set(f, { path: f });
  }

  /** Opens every file; a file that cannot be opened at startup is a startup error. */
  async start(): Promise<void> {
    const dbs: MmdbDatabase[] = [];
    const problems: string[] = [];
    for (const f of this.files) {
      const r = await openMmdb(f);
      if (r.kind === 'ok') {
        dbs.push(r.db);
        this.markLoaded(r.db);
      } else {
        problems.push(r.message);
      }
    }
    if (problems.length > 0) throw new SuiteError('ERR_GEOIP_OPEN', problems.join('; '));
    this.dbs = dbs;
    for (const db of dbs) this.opts.log.info({ path: db.path, type: db.type, build: db.buildEpoch.toISOString() }, 'geoip database loaded');
    if (this.opts.watch !== false) this.startWatching();
  }

  async close(): Promise<void> {
    for (const w of this.watchers.splice(0)) w.close();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Called after a database was swapped (caches keyed on GeoIP data must be dropped). */
  onSwap(fn: (path: string) => void): void {
    this.listeners.push(fn);
  }

  lookup(ip: string): GeoInfo | undefined {
    const dbs = this.dbs; // one read: the whole lookup sees one snapshot
    // The client the chain has just located had no cached answer; the answer this
    // lookup leads to is what gets cached (stages/dynamic-cache.ts), so its
    // GeoInfo is not kept here: under a random-subnet flood each would be new
    // (a 100,000-entry map churned by every query for nothing).
    if (ip === this.located && dbs === this.locatedIn) return this.lookupUncached(dbs, ip);
    // repeated addresses (pickclosest candidates, busy resolvers) skip the tree walk;
    // the cache belongs to the snapshot, so a swap starts a fresh one
    const cache = this.cacheFor(dbs);
    let out = cache.get(ip);
    if (out === undefined) {
      out = this.lookupUncached(dbs, ip) ?? null;
      if (cache.size >= 100_000) cache.clear();
      cache.set(ip, out);
    }
    return out ?? undefined;
  }

  /**
   * lookup(ip)'s country and continent alone. For the client the chain has just
   * located (every cold LUA query) only those two fields of its data record are
   * read, not the city names and location: octoDNS's country()/continent()
   * scripts read nothing else, and on a record's first read that is half the
   * decoding (bench lua-cold-micro octo). Any other address: lookup's answer.
   */
  place(ip: string): GeoPlace | undefined {
    const dbs = this.dbs;
    let country: string | undefined, continent: string | undefined;
    if (ip !== this.located || dbs !== this.locatedIn) {
      const g = this.lookup(ip);
      return g && place(g.country, g.continent, g.prefix, g.record);
    }
    // this.located stays: a later lookup(ip) in the same evaluation reuses the walk.
    const pointers = this.pointers;
    for (let i = 0; i < dbs.length; i++) {
      const db = dbs[i];
      if (!db || pointers[i] === 0) continue;
      let f: GeoFields | undefined;
      try {
        f = db.place(pointers[i]!);
      } catch {
        continue; // as lookupUncached: this database has no answer here
      }
      if (!f) continue;
      // mergeFields: each field from the first database that has it
      if (country === undefined) country = f.country;
      if (continent === undefined) continent = f.continent;
    }
    return place(country, continent, this.spot.prefix, this.spot.record);
  }

  private cacheOwner: ReadonlyArray<MmdbDatabase | undefined> | undefined;
  /** GeoInfo by address text; null: no answer. */
  private cache = new Map<string, GeoInfo | null>();

  private cacheFor(dbs: ReadonlyArray<MmdbDatabase | undefined>): Map<string, GeoInfo | null> {
    if (this.cacheOwner !== dbs) {
      this.cacheOwner = dbs;
      this.cache = new Map();
    }
    return this.cache;
  }

  private lookupUncached(dbs: ReadonlyArray<MmdbDatabase | undefined>, ip: string): GeoInfo | undefined {
    // this.v4: scratch, read only within this call (as locate's)
    const addr = parseDottedQuad(ip, this.v4) ? this.v4 : parseAddress(ip);
    if (!addr || dbs.length === 0) return undefined;
    // The chain locates a client before evaluating its record: that walk holds.
    const spot = ip === this.located && dbs === this.locatedIn ? this.spot : this.walk(dbs, addr);
    this.located = undefined;
    let fields: GeoFields | undefined;
    let own = false; // fields is a copy of ours (not a database's cached object)
    for (let i = 0; i < dbs.length; i++) {
      const db = dbs[i];
      if (!db || this.pointers[i] === 0) continue;
      let f: GeoFields | undefined;
      try {
        f = db.fields(this.pointers[i]!);
      } catch {
        continue; // a corrupt spot the probe missed: this database just has no answer here
      }
      if (!f) continue;
      if (fields === undefined) { fields = f; continue; }
      if (!own) { fields = { ...fields }; own = true; }
      mergeFields(fields, f);
    }
    return geoInfo(fields, spot.prefix, formatMasked(addr, spot.prefix), spot.record);
  }

  // Scratch space of locate()/walk(): one query at a time.
  private readonly v4 = new Uint8Array(4);
  private readonly spot: GeoSpot = { record: 0, prefix: 0 };
  private readonly at: Located = { pointer: 0, prefix: 0 };
  private pointers: number[] = [];
  /** The address the last locate() walked to (this.spot, this.pointers), until the next walk. */
  private located: string | undefined;
  private locatedIn: ReadonlyArray<MmdbDatabase | undefined> | undefined;

  locate(ip: string): GeoSpot | undefined {
    const dbs = this.dbs;
    const addr = parseDottedQuad(ip, this.v4) ? this.v4 : parseAddress(ip);
    if (!addr || dbs.length === 0) return undefined;
    const spot = this.walk(dbs, addr);
    this.located = ip;
    this.locatedIn = dbs;
    return spot;
  }

  /** Each database's data pointer for addr (this.pointers), the longest prefix, and the record identity. */
  private walk(dbs: ReadonlyArray<MmdbDatabase | undefined>, addr: Uint8Array): GeoSpot {
    const spot = this.spot, at = this.at, pointers = this.pointers;
    this.located = undefined;
    pointers.length = dbs.length;
    let prefix = 0;
    for (let i = 0; i < dbs.length; i++) {
      const db = dbs[i];
      pointers[i] = 0;
      if (!db || (db.ipVersion === 4 && addr.length === 16)) continue;
      db.locate(addr, at);
      pointers[i] = at.pointer;
      if (at.prefix > prefix) prefix = at.prefix;
    }
    spot.prefix = prefix;
    spot.record = dbs.length === 1 ? pointers[0]! : pointers.join(',');
    return spot;
  }

  private sampleOwner: ReadonlyArray<MmdbDatabase | undefined> | undefined;
  private samples = new Map<number, Promise<{ database: MmdbDatabase; locations: GeoLocation[] } | undefined>>();

  /**
   * Up to `max` location cells of the first database with coordinates (locations.ts),
   * kept per snapshot and size: the first call walks the database (about a second
   * for GeoLite2 City, in slices between which queries are answered), later ones
   * are free. Undefined when no database has places.
   */
  async sampleLocations(max: number): Promise<{ database: GeoIpStatus; locations: GeoLocation[] } | undefined> {
    const dbs = this.dbs;
    if (this.sampleOwner !== dbs) {
      this.sampleOwner = dbs;
      this.samples = new Map();
    }
    let p = this.samples.get(max);
    if (!p) {
      p = (async () => {
        for (const db of dbs) {
          if (!db) continue;
          const locations = toLocations(await db.sampleRecords(max * RECORDS_PER_LOCATION), max);
          if (locations.length) return { database: db, locations };
        }
        return undefined;
      })();
      if (this.samples.size >= 8) this.samples.clear();
      this.samples.set(max, p);
    }
    const s = await p;
    return s ? { database: { ...this.status.get(s.database.path)! }, locations: s.locations } : undefined;
  }

  /** Reopens one file (or all) now; the old database stays if the new one is bad. */
  async reload(path?: string): Promise<ReloadResult[]> {
    const targets = path ? [resolve(path)] : this.files;
    const out: ReloadResult[] = [];
    for (const f of targets) out.push(await this.reloadOne(f));
    return out;
  }

  statuses(): GeoIpStatus[] {
    return this.files.map((f) => ({ ...this.status.get(f)! }));
  }

  private async reloadOne(path: string): Promise<ReloadResult> {
    const idx = this.files.indexOf(path);
    if (idx < 0) return { kind: 'rejected', path, message: 'not a configured database file' };
    const r = await openMmdb(path);
    if (r.kind === 'error') {
      this.status.get(path)!.lastError = r.message;
      this.opts.log.error({ path, err: r.message }, 'geoip database rejected, keeping the previous one');
      return { kind: 'rejected', path, message: r.message };
    }
    const next = [...this.dbs];
    next[idx] = r.db;
    this.dbs = next; // the swap: one assignment
    this.markLoaded(r.db);
    this.opts.log.info({ path, type: r.db.type, build: r.db.buildEpoch.toISOString() }, 'geoip database swapped');
    for (const fn of this.listeners) fn(path);
    return { kind: 'swapped', path };
  }

  private markLoaded(db: MmdbDatabase): void {
    this.status.set(db.path, { path: db.path, type: db.type, buildEpoch: db.buildEpoch.toISOString(), loadedAt: new Date().toISOString() });
  }

  /** Watch directories, not files: an atomic rename replaces the inode a file watch holds. */
  private startWatching(): void {
    const dirs = new Map<string, Set<string>>();
    for (const f of this.files) {
      const d = dirname(f);
      if (!dirs.has(d)) dirs.set(d, new Set());
      dirs.get(d)!.add(basename(f));
    }
    for (const [dir, names] of dirs) {
      try {
        const w = watch(dir, { persistent: false }, (_ev, name) => {
          if (name && names.has(name.toString())) this.schedule(resolve(dir, name.toString()));
        });
        w.on('error', (err) => this.opts.log.warn({ dir, err }, 'geoip watcher error'));
        this.watchers.push(w);
      } catch (err) {
        this.opts.log.warn({ dir, err }, 'cannot watch geoip directory; reload with SIGHUP');
      }
    }
  }

  private schedule(path: string): void {
    clearTimeout(this.timers.get(path));
    const t = setTimeout(() => {
      this.timers.delete(path);
      void this.reloadOne(path);
    }, this.opts.debounceMs ?? 250);
    t.unref();
    this.timers.set(path, t);
  }
}

/**
 * The GeoInfo of one lookup, its fields copied one by one, absent ones left
 * absent: an object spread of the databases' differently shaped field objects
 * took V8's slow generic path (bench lua-cold-micro octo: ~0.5 µs of a ~9 µs
 * cold query; the copy below is a few shape transitions).
 */
function geoInfo(f: GeoFields | undefined, prefix: number, network: string, record: number | string): GeoInfo {
  const o = {} as GeoInfo;
  if (f !== undefined) {
    if (f.country !== undefined) o.country = f.country;
    if (f.continent !== undefined) o.continent = f.continent;
    if (f.region !== undefined) o.region = f.region;
    if (f.city !== undefined) o.city = f.city;
    if (f.lat !== undefined) o.lat = f.lat;
    if (f.lon !== undefined) o.lon = f.lon;
    if (f.asn !== undefined) o.asn = f.asn;
    if (f.asOrg !== undefined) o.asOrg = f.asOrg;
  }
  o.prefix = prefix;
  o.network = network;
  o.record = record;
  return o;
}

/** A GeoPlace with absent fields left absent (as geoInfo). */
function place(country: string | undefined, continent: string | undefined, prefix: number, record: number | string): GeoPlace {
  const o = {} as GeoPlace;
  if (country !== undefined) o.country = country;
  if (continent !== undefined) o.continent = continent;
  o.prefix = prefix;
  o.record = record;
  return o;
}

function mergeFields(into: GeoFields, from: GeoFields): void {
  for (const k of FIELDS) if (into[k] === undefined && from[k] !== undefined) (into as Record<string, unknown>)[k] = from[k];
  // latitude and longitude travel together: never mix one database's lat with another's lon
  if (into.lat === undefined && from.lat !== undefined && from.lon !== undefined) {
    into.lat = from.lat;
    into.lon = from.lon;
  }
}

export function createGeoIpService(opts: GeoIpOptions): GeoIpService {
  return new GeoIpService(opts);
}
