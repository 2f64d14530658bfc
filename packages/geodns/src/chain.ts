// The query path of geodns, in order. Everything a query goes through is listed
// here; each stage is a plain function in stages/ or wire/.
//
//   observe   (metrics + optional query log, wrapped around everything below)
//   parse     wire/query.ts: bytes → Query, or FORMERR / NOTIMP / BADVERS / drop;
//             a TSIG-signed query → NOTAUTH + BADKEY (wire/tsig.ts: we hold no keys)
//   cookie    wire/cookie.ts: RFC 7873 COOKIE judged (malformed → FORMERR), ours made
//   sanity    class IN only, no zone transfers here
//   cache     stages/answer-arena.ts: compiled static answers, patched per query;
//             stale per zone (stages/zone-epochs.ts) when that zone changes
//   zone      stages/resolve.ts: lookup, CNAME chase, referral, negative answers
//   lua       stages/lua.ts: LUA records evaluated for this client (inside zone),
//             cached by stages/dynamic-cache.ts per what the script read
//   sign      stages/sign.ts: with DO and a zone that has keys, RRSIGs and
//             NSEC/NSEC3 denial added online (cached apart from unsigned answers)
//   respond   wire/message.ts (encode) or wire/template.ts (compile + render)
//   rrl       stages/rrl.ts: UDP responses rate limited per source prefix, kind
//             and name (send, drop, or slip TC=1 / BADCOOKIE); a client with a
//             good server cookie is exempt
//
// The chain is built once at start; the zone snapshot is read through
// `snapshot()` so a reload swaps it without touching the chain, and only the
// cached answers of the zones that changed go stale.
import { TYPE } from '@geoedge/dnsdata';
import type { Logger } from '@geoedge/shared';
import { parseQuery } from './wire/query.js';
import { encodeResponse } from './wire/message.js';
import { badKeyRecord, appendAdditional } from './wire/tsig.js';
import { makeTemplate, renderTemplate, type Template } from './wire/template.js';
import { RCODE, type Query, type ResponseMessage } from './wire/types.js';
import type { ZoneSet } from './zones/types.js';
import { resolve, type ResolveOptions } from './stages/resolve.js';
import { AnswerCache } from './stages/answer-cache.js';
import { SeenFilter } from './stages/seen-filter.js';
import { AnswerArena } from './stages/answer-arena.js';
import { qtypeLabel, rcodeLabel } from './stages/names.js';
import { bestWho, type LuaStage } from './stages/lua.js';
import { DynamicCache, type Epochs } from './stages/dynamic-cache.js';
import { ZoneEpochs, ANY_ZONE } from './stages/zone-epochs.js';
import type { GeoLookup } from './geo/types.js';
import type { AliasLookup } from './alias/resolver.js';
import type { GeodnsMetrics } from './metrics.js';
import type { Handler, Peer } from './server.js';
import { COOKIE, type CookieSigner } from './wire/cookie.js';
import { imputedName, type ResponseRateLimiter } from './stages/rrl.js';
import { Signer } from './stages/sign.js';

export interface ChainDeps {
  snapshot: () => ZoneSet;
  log: Logger;
  metrics: GeodnsMetrics;
  logQueries: boolean;
  ednsPayload: number;
  chainLimit: number;
  /** Compiled answers kept, about (two generations of half each); default 1,000,000. */
  answerCacheEntries?: number;
  /** ALIAS expansion (alias.resolver); without it ALIAS names answer NODATA for A/AAAA. */
  alias?: AliasLookup;
  /** LUA records; without it they answer SERVFAIL. `epochs` move on health changes and GeoIP swaps. */
  lua?: { stage: LuaStage; geo: GeoLookup; epochs: Epochs };
  /** DNS Cookies (RFC 7873); without it the COOKIE option is ignored, as by a server that lacks them. */
  cookies?: CookieSigner;
  /** Response rate limiting of UDP answers; without it every answer is sent. */
  rrl?: ResponseRateLimiter;
  /** Online DNSSEC signing (stages/sign.ts); without it DO is echoed and nothing is signed. */
  signer?: Signer;
}

const COOKIE_RESULT = [[''], ['client_only'], ['bad'], ['good'], ['malformed']];

/** A cached LUA answer: its template, rcode and RRL account name (rrl.ts imputedName; 0: the QNAME). */
type DynValue = { t: Template; rcode: number; imputed: number };

const QR = 0x8000, AA = 0x0400, RD = 0x0100, CD = 0x0010;
const TCP_MAX = 65535;

export function buildChain(deps: ChainDeps): Handler {
  let cacheFor: ZoneSet | undefined;
  // Two generations (answer-arena.ts): each holds half, so up to `entries` are kept.
  const generation = Math.max(500, Math.floor((deps.answerCacheEntries ?? 1_000_000) / 2));
  // Bytes per generation: room for answers of 320 octets on average (an A answer is ~60).
  const arenaBytes = Math.max(1 << 20, generation * 320);
  const zones = new ZoneEpochs();
  const cache = new AnswerArena(generation, arenaBytes, zones);
  // (name, type) keys whose name holds LUA records: their answers live in the
  // dynamic cache. A hint only (a stale one costs one Map lookup), so it outlives snapshots.
  const dynamicNames = new AnswerCache<true>(generation);
  // Questions asked before: an answer is compiled and stored only when its question comes back.
  const seen = new SeenFilter(2 * generation);
  const lua = deps.lua;
  // Equal answers for one name (5 PoPs, 20,000 networks) share one stored copy.
  const dynCache = new DynamicCache<DynValue>(zones, lua?.epochs ?? { health: () => 0, geo: () => 0 }, deps.answerCacheEntries ?? 1_000_000);
  const counts = deps.metrics.answerCache;
  const staticOpts: ResolveOptions = { chainLimit: deps.chainLimit, minimalAny: true, dynamic: lua ? (s, z) => lua.stage.expand(s, z) : undefined, alias: deps.alias };
  const tcpOpts: ResolveOptions = { ...staticOpts, minimalAny: false };
  const { cookies, rrl, signer } = deps;
  // The signature window the cached signed answers were made in: a new one makes them all stale.
  let signWindow = signer?.window();
  // This query's COOKIE verdict and the option data to answer with (cookies.reply, or none).
  let cookieState: number = COOKIE.NONE;
  let cookieOut: Uint8Array | undefined;
  // This query's RRL account name when its answer came from a wildcard (rrl.ts imputedName), else 0.
  let imputed = 0;

  return function handle(msg: Buffer, peer: Peer): Buffer | null {
    const t0 = performance.now();
    const p = parseQuery(msg);
    let out: Buffer | null;
    let rcode: number;
    let q: Query | undefined;
    cookieState = COOKIE.NONE;
    cookieOut = undefined;
    imputed = 0;
    switch (p.kind) {
      case 'drop':
        return null;
      case 'formerr':
      case 'notimp':
        rcode = p.kind === 'formerr' ? RCODE.FORMERR : RCODE.NOTIMP;
        out = rejection(p.id, p.flags, rcode, p.question, p.edns);
        if (deps.logQueries) deps.log.info({ client: peer.address, rcode: rcodeLabel(rcode), reason: p.kind === 'formerr' ? p.reason : 'opcode' }, 'query rejected');
        break;
      case 'badkey': {
        // RFC 8945 §5.2: a key we do not know (we know none) → NOTAUTH + unsigned TSIG with BADKEY.
        q = p.query;
        const rr = badKeyRecord(p.tsig);
        rcode = typeof rr === 'string' ? RCODE.FORMERR : RCODE.NOTAUTH;
        out = rejection(q.id, q.flags, rcode, q.question, q.edns !== undefined);
        if (typeof rr !== 'string') out = appendAdditional(out, rr);
        if (deps.logQueries) deps.log.info({ client: peer.address, rcode: rcodeLabel(rcode), reason: typeof rr === 'string' ? rr : 'TSIG key unknown (BADKEY)' }, 'query rejected');
        break;
      }
      case 'badvers':
        q = p.query;
        rcode = RCODE.BADVERS;
        out = encodeResponse({
          id: q.id, flags: QR | (q.flags & RD), question: q.question, answer: [], authority: [], additional: [],
          opt: { payload: deps.ednsPayload, extendedRcode: RCODE.BADVERS >> 4, dnssecOk: q.edns!.dnssecOk },
        }, 512);
        break;
      case 'ok': {
        q = p.query;
        if (cookies !== undefined && q.edns !== undefined && q.edns.cookieLen > 0) {
          cookieState = cookies.check(msg, q.edns.cookieAt, q.edns.cookieLen, peer.ip, peer.ipAt, peer.ipLen, Math.floor(Date.now() / 1000));
          deps.metrics.cookies.inc(COOKIE_RESULT[cookieState]!);
          if (cookieState === COOKIE.MALFORMED) {
            // RFC 7873 §5.2.2: a COOKIE option of a length no cookie can have.
            rcode = RCODE.FORMERR;
            out = error(q, RCODE.FORMERR, { payload: deps.ednsPayload, extendedRcode: 0, dnssecOk: q.edns.dnssecOk });
            break;
          }
          cookieOut = cookies.reply;
        }
        const zs = deps.snapshot();
        if (zs !== cacheFor) { cacheFor = zs; zones.update(zs); }
        [out, rcode] = answer(q, peer, zs);
        break;
      }
    }
    // A good server cookie proves the client receives at its address: nothing to limit.
    if (rrl !== undefined && out !== null && peer.transport === 'udp' && cookieState !== COOKIE.GOOD) {
      out = rrl.limit(out, peer.ip, peer.ipAt, peer.ipLen, t0, cookieOut !== undefined, imputed);
    }
    const dt = performance.now() - t0;
    const qtype = q ? qtypeLabel(q.qtype) : 'none';
    deps.metrics.queries.inc([rcodeLabel(rcode), qtype, peer.transport]);
    deps.metrics.answerSeconds.observe(dt / 1000);
    if (deps.logQueries && q) {
      deps.log.info({ qname: q.qname, qtype, rcode: rcodeLabel(rcode), client: peer.address, transport: peer.transport, ecs: q.edns?.ecs ? `${q.edns.ecs.address}/${q.edns.ecs.sourcePrefix}` : undefined, duration_ms: +dt.toFixed(3) }, 'query');
    }
    return out;
  };

  /**
   * FORMERR / NOTIMP / NOTAUTH with the question if readable and no records.
   * RD is echoed for opcode QUERY only (RFC 1035 §4.1.1 copies it for queries;
   * for NOTIFY, UPDATE and unknown opcodes RD means nothing, and the ISC EDNS
   * compliance tester flags echoing it); the opcode is always echoed.
   */
  function rejection(id: number, flags: number, rcode: number, question: Buffer | undefined, edns: boolean | undefined): Buffer {
    const echo = (flags & 0x7800) === 0 ? RD : 0x7800;
    return encodeResponse({
      id, flags: QR | (flags & echo) | rcode, question, answer: [], authority: [], additional: [],
      opt: edns ? { payload: deps.ednsPayload, extendedRcode: 0, dnssecOk: false } : undefined,
    }, 512);
  }

  function answer(q: Query, peer: Peer, zs: ZoneSet): [Buffer, number] {
    const maxSize = peer.transport === 'tcp' ? TCP_MAX : q.edns ? Math.min(q.edns.payload, deps.ednsPayload) : 512;
    // RFC 7871 §7.2.1: an answer that does not depend on the client gets scope 0.
    const opt = q.edns
      ? { payload: deps.ednsPayload, extendedRcode: 0, dnssecOk: q.edns.dnssecOk, ecs: q.edns.ecs ? { ...q.edns.ecs, scopePrefix: 0 } : undefined, cookie: cookieOut }
      : undefined;
    const flagsIn = q.flags & (RD | CD);

    if (q.qclass !== 1 && q.qclass !== 255) return [error(q, RCODE.REFUSED, opt), RCODE.REFUSED];
    if (q.qtype === TYPE.AXFR || q.qtype === TYPE.IXFR) return [error(q, RCODE.REFUSED, opt), RCODE.REFUSED];

    const anyTcp = q.qtype === TYPE.ANY && peer.transport === 'tcp';
    // DO answers may carry signatures: cached apart (flag bit 2, key suffix).
    const dnssec = signer !== undefined && q.edns !== undefined && q.edns.dnssecOk;
    if (dnssec) {
      const w = signer.window();
      if (w.inception !== signWindow!.inception) { signWindow = w; zones.bumpAll(); }
    }
    const flag = (anyTcp ? 1 : 0) | (dnssec ? 2 : 0);
    if (cache.find(q.question, flag)) { counts.staticHit++; if (rrl !== undefined) imputed = cache.imputed; return [cache.render(q, opt, maxSize), cache.rcode]; }
    const key = (anyTcp ? `${q.qname}\u0000${q.qtype}\u0000t` : `${q.qname}\u0000${q.qtype}`) + (dnssec ? '\u0000d' : '');
    const dynamicName = dynamicNames.get(key) !== undefined;

    let who = '';
    if (lua) {
      const client = {
        who: peer.address, localwho: peer.localAddress, qname: q.qname, tcp: peer.transport === 'tcp',
        ecswho: q.edns?.ecs?.address, ecsPrefix: q.edns?.ecs?.sourcePrefix,
        dnssecOK: q.edns?.dnssecOk ?? false, ednsPKTSize: q.edns?.payload ?? 512,
      };
      who = bestWho(client);
      if (dynamicName) {
        const d = dynCache.get(key, who, lua.geo);
        if (d) { counts.luaHit++; if (rrl !== undefined) imputed = d.value.imputed; return [renderTemplate(d.value.t, q, scoped(opt, d.scope), maxSize), d.value.rcode]; }
      }
      lua.stage.begin(client);
    }
    const r = resolve(zs, q.qname, q.qtype, anyTcp ? tcpOpts : staticOpts);
    // Only the limiter reads it (and a chain has it or not for its whole life).
    if (rrl !== undefined && r.wildcard !== undefined) imputed = imputedName(r.wildcard, q.qtype);
    if (dnssec) signer.sign(q.qname, r, zs, signWindow!);
    const resp: ResponseMessage = {
      id: q.id,
      flags: QR | flagsIn | (r.aa ? AA : 0) | r.rcode,
      question: q.question,
      answer: r.answer, authority: r.authority, additional: r.additional,
    };
    if (r.volatile) return [encodeResponse({ ...resp, opt }, maxSize), r.rcode];
    const compile = () => makeTemplate({ ...resp, question: lowerAscii(q.question) });
    const slot = r.crossZone || r.zone === undefined ? ANY_ZONE : zones.slot(r.zone.origin);
    if (r.static) {
      counts.staticMiss++;
      // cache.lastHash: this question's, from the find() above (-1: the arena cannot store it).
      if (cache.lastHash < 0 || !seen.seenBefore(cache.lastHash)) {
        return [encodeResponse({ ...resp, opt }, maxSize), r.rcode];
      }
      const t = compile();
      cache.set(q.question, flag, r.rcode, t, slot, imputed);
      return [renderTemplate(t, q, opt, maxSize), r.rcode];
    }
    if (lua) counts.luaMiss++;
    if (lua && r.rcode !== RCODE.SERVFAIL) {
      if (!dynamicName) dynamicNames.set(key, true);
      const answerDeps = lua.stage.deps();
      if (answerDeps.cacheable) {
        // Same zone, question and evaluation results: the same answer (lua.ts `sig`).
        const d = dynCache.set(key, who, answerDeps, `${r.rcode}\u0000${answerDeps.sig}`, () => ({ t: compile(), rcode: r.rcode, imputed }), answerDeps.crossZone ? ANY_ZONE : slot)!;
        return [renderTemplate(d.value.t, q, scoped(opt, d.scope), maxSize), r.rcode];
      }
      // Not cacheable: the answer depends on this very query; scope = its source prefix.
      return [encodeResponse({ ...resp, opt: scoped(opt, undefined) }, maxSize), r.rcode];
    }
    return [encodeResponse({ ...resp, opt }, maxSize), r.rcode];
  }

  function error(q: Query, rcode: number, opt: ResponseMessage['opt']): Buffer {
    return encodeResponse({ id: q.id, flags: QR | (q.flags & (RD | CD)) | rcode, question: q.question, answer: [], authority: [], additional: [], opt }, 512);
  }
}

/** The ECS option to send for an answer whose scope is `scope` (undefined: the query's source prefix, RFC 7871 §7.2.1). */
function scoped(opt: ResponseMessage['opt'], scope: number | undefined): ResponseMessage['opt'] {
  if (!opt?.ecs) return opt;
  return { ...opt, ecs: { ...opt.ecs, scopePrefix: scope ?? opt.ecs.sourcePrefix } };
}

/** The template's question is lower-case; renderTemplate copies the query's own case over it. */
function lowerAscii(b: Buffer): Buffer {
  const c = Buffer.from(b);
  // Only the name: the last 4 bytes are QTYPE/QCLASS, and label-length bytes are ≤ 63 < 'A'.
  for (let i = 0; i < c.length - 4; i++) if (c[i]! >= 0x41 && c[i]! <= 0x5a) c[i] = c[i]! | 0x20;
  return c;
}

