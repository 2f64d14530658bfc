// LUA stage: turns RRsets holding PowerDNS LUA records into plain records for
// one query, and keeps track of what the evaluations read so the chain can
// cache the answer (per GeoIP network, per client address, or for everyone)
// and set the ECS scope to what the answer really depends on.
// Not reentrant by design: the chain calls begin() then resolve() then deps(),
// all synchronously within one query.
import { CLASS_IN, TYPE, parseRdata, type RR, type RRset, type Rdata } from '@geoedge/dnsdata';
import type { LabeledCounter, Logger } from '@geoedge/shared';
import type { Zone } from '../zones/types.js';
import type { LuaClient, LuaEvaluator, Deps, LimitKind } from '../lua/types.js';

/** What one query's answer depends on, merged over every evaluation it made. */
export interface AnswerDeps {
  cacheable: boolean;
  /** The GeoIP data records every evaluation read (GeoSpot.record) and the client's network prefix. */
  geo?: { prefix: number; record: number | string };
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

/**
 * Room an answer's records may take: a DNS message is at most 65,535 octets
 * (TCP length field), less the header, question and OPT. A script can produce
 * more (string.rep, many TXT strings); such an answer is SERVFAIL, not a message
 * the encoder refuses (which dropped the UDP query and closed the TCP connection).
 */
const MAX_ANSWER_OCTETS = 65535 - 600;

export function createLuaStage(rt: LuaEvaluator, log: Logger, limits?: LabeledCounter): LuaStage {
  let client: LuaClient | undefined;
  const report = createFailureLog(log, limits);
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
      let octets = 0;
      for (const d of rrset.records) {
        if (d.kind !== 'lua') {
          out.push({ name: rrset.name, type: rrset.type, class: CLASS_IN, ttl: rrset.ttl, data: d });
          continue;
        }
        const r = rt.evaluate({ owner: rrset.name, zone: zone.origin, innerType: d.innerType, code: d.code }, client);
        if (r.kind === 'error') {
          report(client.qname, rrset.name, zone.origin, r.message, r.limit);
          acc.cacheable = false;
          return null;
        }
        merge(acc, r.deps);
        acc.sig += `${r.contents.join('\u0001')}\u0002`;
        for (const text of r.contents) {
          const data = toRdata(d.innerType, text);
          if (!data) {
            report(client.qname, rrset.name, zone.origin, `content that does not parse: ${text.slice(0, 200)}`);
            acc.cacheable = false;
            return null;
          }
          octets += rrOctets(rrset.name, data, text);
          if (octets > MAX_ANSWER_OCTETS) {
            report(client.qname, rrset.name, zone.origin, `answer larger than a DNS message (over ${MAX_ANSWER_OCTETS} octets)`, 'answer-size');
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

/**
 * Logs a failing LUA record once per record per minute (a record queried 1,000
 * times a second must not write 1,000 lines), with how many failures the line
 * stands for; counts limit hits every time.
 */
function createFailureLog(log: Logger, limits: LabeledCounter | undefined) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (qname: string, record: string, zone: string, err: string, limit?: LimitKind): void => {
    if (limit) limits?.inc([limit]);
    const key = `${zone}\u0000${record}`;
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.at < 60_000) { seen.suppressed++; return; }
    if (last.size >= 10_000) for (const [k, v] of last) if (now - v.at >= 60_000) last.delete(k);
    last.set(key, { at: now, suppressed: 0 });
    const fields = { qname, record, zone, err, ...(limit ? { limit } : {}), ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}) };
    log.warn(fields, limit ? 'LUA record hit a limit: SERVFAIL' : 'LUA record failed: SERVFAIL');
  };
}

/** Upper bound of the octets one record adds to a message (owner, fixed fields, rdata). */
function rrOctets(owner: string, data: Rdata, text: string): number {
  let rdata: number;
  if (data.kind === 'txt') rdata = data.strings.reduce((n, s) => n + 1 + s.length, 0) || 1;
  else rdata = text.length + 16; // names and numbers: never longer on the wire than as text, plus length octets
  return owner.length + 2 + 10 + rdata;
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
