// LUA stage: turns RRsets holding PowerDNS LUA records into plain records for
// one query, and keeps track of what the evaluations read so the chain can
// cache the answer (per GeoIP network, per client address, or for everyone)
// and set the ECS scope to what the answer really depends on.
// Not reentrant by design: the chain calls begin() then resolve() then deps(),
// all synchronously within one query.
import { CLASS_IN, TYPE, parseRdata, type RR, type RRset, type Rdata } from '@geoedge/dnsdata';
import type { Logger } from '@geoedge/shared';
import type { Zone } from '../zones/types.js';
import type { LuaClient, LuaEvaluator, Deps } from '../lua/types.js';

/** What one query's answer depends on, merged over every evaluation it made. */
export interface AnswerDeps {
  cacheable: boolean;
  /** The GeoIP network every evaluation's data was constant on. */
  geo?: { network: string; prefix: number };
  /** Read the client address itself (or geo data that the databases lack for it). */
  address: boolean;
  /** Health checks read: the answer changes when one of them does. */
  health: boolean;
  /** Read records of other names (include()), possibly in other zones. */
  crossZone: boolean;
  /**
   * The evaluations' results in order: with the zone (its generation) and the
   * question, they determine the whole answer, so equal ones share one compiled
   * answer and a cache miss whose answer is already stored compiles nothing.
   */
  sig: string;
}

export interface LuaStage {
  begin(client: LuaClient): void;
  expand(rrset: RRset, zone: Zone): RR[] | null;
  deps(): AnswerDeps;
  /** An evaluation read other records (include()): the answer depends on more than its zone. */
  readOtherRecords(): void;
}

export function createLuaStage(rt: LuaEvaluator, log: Logger): LuaStage {
  let client: LuaClient | undefined;
  let acc: AnswerDeps = { cacheable: true, address: false, health: false, crossZone: false, sig: '' };
  return {
    begin(c) {
      client = c;
      acc = { cacheable: true, address: false, health: false, crossZone: false, sig: '' };
    },
    deps: () => acc,
    readOtherRecords() {
      acc.crossZone = true;
    },
    expand(rrset, zone) {
      if (!client) return null;
      const out: RR[] = [];
      for (const d of rrset.records) {
        if (d.kind !== 'lua') {
          out.push({ name: rrset.name, type: rrset.type, class: CLASS_IN, ttl: rrset.ttl, data: d });
          continue;
        }
        const r = rt.evaluate({ owner: rrset.name, zone: zone.origin, innerType: d.innerType, code: d.code }, client);
        if (r.kind === 'error') {
          log.warn({ qname: client.qname, record: rrset.name, zone: zone.origin, err: r.message }, 'LUA record failed: SERVFAIL');
          acc.cacheable = false;
          return null;
        }
        merge(acc, r.deps);
        acc.sig += `${r.contents.join('\u0001')}\u0002`;
        for (const text of r.contents) {
          const data = toRdata(d.innerType, text);
          if (!data) {
            log.warn({ qname: client.qname, record: rrset.name, content: text }, 'LUA record returned content that does not parse: SERVFAIL');
            acc.cacheable = false;
            return null;
          }
          out.push({ name: rrset.name, type: rrset.type, class: CLASS_IN, ttl: rrset.ttl, data });
        }
      }
      return out;
    },
  };
}

function merge(acc: AnswerDeps, d: Deps): void {
  // Randomness, the transport address and per-query flags make every query its own answer.
  if (d.random || d.transport || d.query) acc.cacheable = false;
  if (d.address) acc.address = true;
  // A script that asked GeoIP about a client the databases don't know has no
  // network to share: key such answers on the address itself.
  if (d.geoDatabase && !d.geo) acc.address = true;
  if (d.geo) acc.geo = d.geo;
  if (d.health.length > 0) acc.health = true;
}

function toRdata(type: number, text: string): Rdata | undefined {
  // PowerDNS quotes each TXT entry itself: the script returns the text, not zone syntax.
  if (type === TYPE.TXT) {
    const b = Buffer.from(text, 'utf8');
    const strings: Buffer[] = [];
    for (let i = 0; i < b.length || i === 0; i += 255) strings.push(b.subarray(i, i + 255));
    return { kind: 'txt', strings };
  }
  try {
    // PowerDNS parses the content with no origin: every name in it is absolute,
    // with or without the trailing dot (createReverse's 'ip-%5%.example.com').
    return parseRdata(type, text, '.');
  } catch {
    return undefined;
  }
}

/** The address LUA functions see as bestwho: the ECS subnet when it says anything, else the source. */
export function bestWho(c: LuaClient): string {
  return c.ecswho !== undefined && (c.ecsPrefix ?? 1) > 0 ? unmap(c.ecswho) : unmap(c.who);
}

export function unmap(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
