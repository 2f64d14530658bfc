// ALIAS records (PowerDNS's `expand-alias=yes` with `resolver=`): an A or AAAA
// query at a name holding an ALIAS gets the target's addresses, asked of the
// configured resolver(s) and kept in a short cache.
//
// The query path never waits and does no I/O (ARCHITECTURE.md §5): it reads
// this cache synchronously (stages/resolve.ts). An entry asked for after its
// refresh time, or not there yet, starts one background fetch; meanwhile a
// stale entry is still served for up to STALE_MS, and a missing one answers
// SERVFAIL (as PowerDNS does when the target cannot be resolved). Every ALIAS
// target of a newly loaded snapshot is fetched at once (prefetch), so the
// first client rarely sees that SERVFAIL.
//
// Served TTL: the resolver's TTL minus the entry's age (PowerDNS serves the
// resolved records' TTL, not the ALIAS record's). Refresh: after
// min(TTL, maxCacheSeconds). Target NXDOMAIN, SERVFAIL, REFUSED or no reply
// from any resolver: a failure, cached for FAIL_MS, answered SERVFAIL (PowerDNS
// documents the same). Bounded: maxEntries entries (oldest dropped first) and
// MAX_INFLIGHT fetches at a time (beyond that a miss is retried by a later query).
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { TYPE, type Rdata } from '@geoedge/dnsdata';
import type { Logger, Service } from '@geoedge/shared';
import { buildQuery } from '../wire/query-builder.js';
import { decodeMessage } from '../wire/decode.js';
import type { ZoneSet } from '../zones/types.js';

export type AliasAnswer = { ok: true; records: Rdata[]; ttl: number } | { ok: false };

/** What the query path sees: the target's records of `qtype` (A or AAAA), a failure, or nothing yet. */
export type AliasLookup = (target: string, qtype: number) => AliasAnswer | undefined;

export interface AliasOptions {
  resolvers: Array<{ host: string; port: number }>;
  timeoutMs: number;
  maxCacheSeconds: number;
  maxEntries: number;
  log: Logger;
  now?: () => number;
  /** Called once per finished fetch: 'ok', 'nodata' or 'fail'. */
  onFetch?: (result: 'ok' | 'nodata' | 'fail') => void;
}

interface Entry { answer: AliasAnswer; fetchedAt: number; refreshAt: number; ttl: number }

const STALE_MS = 30_000;
const FAIL_MS = 5_000;
const NODATA_TTL = 30;
const MAX_INFLIGHT = 32;

export interface AliasResolver extends Service {
  lookup: AliasLookup;
  /** Fetches every ALIAS target of a new snapshot (A and AAAA) that is not cached yet. */
  prefetch(zs: ZoneSet): void;
}

export function createAliasResolver(o: AliasOptions): AliasResolver {
  const now = o.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const inflight = new Set<string>();
  let closed = false;

  const fetch = (target: string, qtype: number): void => {
    const key = `${qtype} ${target}`;
    if (closed || inflight.has(key) || inflight.size >= MAX_INFLIGHT) return;
    inflight.add(key);
    void ask(o, target, qtype).then((answer) => {
      inflight.delete(key);
      if (closed) return;
      const t = now();
      const ttl = answer.ok ? answer.ttl : 0;
      const refreshIn = answer.ok ? Math.min(ttl, o.maxCacheSeconds) * 1000 : FAIL_MS;
      entries.delete(key); // re-inserted last: Map order is then oldest-first
      if (entries.size >= o.maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { answer, fetchedAt: t, refreshAt: t + refreshIn, ttl });
      o.onFetch?.(!answer.ok ? 'fail' : answer.records.length ? 'ok' : 'nodata');
      if (!answer.ok) o.log.warn({ target, qtype: qtype === TYPE.A ? 'A' : 'AAAA' }, 'ALIAS target could not be resolved: answering SERVFAIL');
    });
  };

  return {
    name: 'alias-resolver',
    async start() { /* sockets are per query */ },
    async close() { closed = true; },
    lookup(target, qtype) {
      const t = now();
      const e = entries.get(`${qtype} ${target}`);
      if (e === undefined || t >= e.refreshAt) fetch(target, qtype);
      if (e === undefined || t >= e.refreshAt + STALE_MS) return undefined;
      if (!e.answer.ok) return e.answer;
      const age = Math.floor((t - e.fetchedAt) / 1000);
      return { ok: true, records: e.answer.records, ttl: Math.max(0, e.ttl - age) };
    },
    prefetch(zs) {
      for (const z of zs.zones.values()) {
        for (const target of (z as { aliasTargets?: readonly string[] }).aliasTargets ?? []) {
          for (const qtype of [TYPE.A, TYPE.AAAA]) if (!entries.has(`${qtype} ${target}`)) fetch(target, qtype);
        }
      }
    },
  };
}

/** One question to the resolvers in turn (UDP, RD set); the first usable reply wins. */
async function ask(o: AliasOptions, target: string, qtype: number): Promise<AliasAnswer> {
  for (const r of o.resolvers) {
    const reply = await udpQuery(r.host, r.port, target, qtype, o.timeoutMs);
    if (reply === undefined) continue;
    const d = decodeMessage(reply.msg);
    if (!d.ok || d.message.id !== reply.id || !d.message.qr) continue;
    const m = d.message;
    if (m.rcode !== 0) return { ok: false }; // NXDOMAIN, SERVFAIL, REFUSED: PowerDNS answers SERVFAIL
    const rrs = m.answer.filter((rr) => rr.type === qtype); // after any CNAME chain the resolver followed
    if (rrs.length === 0) {
      const soa = m.authority.find((rr) => rr.type === TYPE.SOA);
      return { ok: true, records: [], ttl: Math.min(soa?.ttl ?? NODATA_TTL, NODATA_TTL) };
    }
    return { ok: true, records: rrs.map((rr) => rr.data), ttl: Math.min(...rrs.map((rr) => rr.ttl)) };
  }
  return { ok: false };
}

function udpQuery(host: string, port: number, qname: string, qtype: number, timeoutMs: number): Promise<{ msg: Buffer; id: number } | undefined> {
  const id = randomInt(0x10000);
  const query = buildQuery({ id, qname, qtype, flags: 0x0100, edns: { payload: 1232 } });
  return new Promise((done) => {
    const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const finish = (v: { msg: Buffer; id: number } | undefined) => {
      clearTimeout(timer);
      sock.close();
      done(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('error', () => finish(undefined));
    // Only the resolver's own address and port may answer (no spoofed replies from elsewhere).
    sock.on('message', (msg, rinfo) => {
      if (rinfo.port === port && msg.length >= 2 && msg.readUInt16BE(0) === id) finish({ msg, id });
    });
    sock.send(query, port, host, (err) => { if (err) finish(undefined); });
  });
}
