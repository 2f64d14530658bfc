// A zone's DNSSEC material, from PowerDNS's tables as pdnsutil and the API
// leave them: `cryptokeys` rows (flags, active, published, the private key in
// PowerDNS's text format) and the domainmetadata kinds PRESIGNED, NSEC3PARAM,
// NSEC3NARROW, PUBLISH-CDS, PUBLISH-CDNSKEY. Gives the records the apex gets
// (DNSKEY of every published key, CDS / CDNSKEY when asked, NSEC3PARAM) and
// the keys that sign.
//
// A row that cannot be used (content that does not parse, an algorithm other
// than 8, 13, 15, flags other than 256/257) is skipped with a problem naming
// its id; a zone left with no active usable key is served unsigned. Roles
// follow PowerDNS's DNSSECKeeper (dnsdata keyTypes): per algorithm, KSK+ZSK
// when both kinds are active, else every key of it is a CSK.
import { createHash } from 'node:crypto';
import {
  CLASS_IN, TYPE, dnskeyRdata, dsRdata, keyTag, keyTypes, parseNsec3Param, parsePrivateKey, type KeyResult, type RR,
} from '@geoedge/dnsdata';
import type { Nsec3Params, SigningKey, ZoneSigning } from './types.js';

/** RFC 8078 §4: CDS "0 0 0 00" and CDNSKEY "0 3 0 AA==", the parent's cue to delete the DS. */
const CDS_DELETE = Buffer.from([0, 0, 0, 0, 0]);
const CDNSKEY_DELETE = Buffer.from([0, 0, 3, 0, 0]);

/** One `cryptokeys` row (or a key file, zones/key-dir.ts). */
export interface KeyRow {
  id: number | string;
  flags: number;
  active: boolean;
  published: boolean;
  content: string;
}

export interface ZoneKeys {
  /** Undefined: serve the zone unsigned (no active usable key, or PRESIGNED). */
  signing: ZoneSigning | undefined;
  /** DNSKEY / CDS / CDNSKEY / NSEC3PARAM records for the apex. */
  records: RR[];
  /** One line per skipped key or bad metadata. */
  problems: string[];
}

const CDS = 59, CDNSKEY = 60, NSEC3PARAM = 51;

// Parsing checks each key by signing (milliseconds for RSA): a reload of an
// unchanged zone reuses the parsed key. Bounded by clearing; keys are few.
const parsed = new Map<string, { r: KeyResult; uid: string }>();

function parseCached(content: string): { r: KeyResult; uid: string } {
  let p = parsed.get(content);
  if (p === undefined) {
    if (parsed.size > 10_000) parsed.clear();
    p = { r: parsePrivateKey(content), uid: createHash('sha256').update(content).digest('base64').slice(0, 16) };
    parsed.set(content, p);
  }
  return p;
}

/** The keys and apex records of zone `origin`; `ttl` is the TTL DNSKEY and friends get (the SOA minimum, as PowerDNS). */
export function zoneKeys(origin: string, rows: readonly KeyRow[], metadata: ReadonlyMap<string, readonly string[]>, ttl: number): ZoneKeys {
  const problems: string[] = [];
  const meta = (kind: string) => metadata.get(kind)?.[0]?.trim();
  if (rows.length === 0) return { signing: undefined, records: [], problems };
  const usable: { row: KeyRow; key: SigningKey }[] = [];
  for (const row of rows) {
    if (row.flags !== 256 && row.flags !== 257) {
      problems.push(`key ${row.id}: flags ${row.flags} is neither 256 (ZSK) nor 257 (KSK); key skipped`);
      continue;
    }
    const { r, uid } = parseCached(row.content);
    if (!r.ok) {
      problems.push(`key ${row.id}: ${r.error}; key skipped`);
      continue;
    }
    const dnskey = dnskeyRdata(row.flags, r.key);
    usable.push({ row, key: { algorithm: r.key.algorithm.number, flags: row.flags, tag: keyTag(dnskey), key: r.key, dnskey, uid } });
  }
  const rr = (type: number, bytes: Buffer): RR => ({ name: origin, type, class: CLASS_IN, ttl, data: { kind: 'raw', bytes } });
  const records: RR[] = [];
  const published = usable.filter((u) => u.row.published);
  for (const u of published) records.push(rr(TYPE.DNSKEY, u.key.dnskey));
  const sep = published.filter((u) => u.row.flags === 257);
  const cdnskey = meta('PUBLISH-CDNSKEY');
  // "0" (pdnsutil set-publish-cdnskey ZONE delete, set-publish-cds ZONE 0): RFC 8078 §4's
  // delete records, asking the parent to remove the DS (before turning DNSSEC off).
  if (cdnskey === '0') records.push(rr(CDNSKEY, CDNSKEY_DELETE));
  else if (cdnskey === '1') for (const u of sep) records.push(rr(CDNSKEY, u.key.dnskey));
  const digests = (meta('PUBLISH-CDS') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (digests.includes('0')) records.push(rr(CDS, CDS_DELETE));
  else for (const d of digests) {
    if (d !== '2' && d !== '4') { problems.push(`PUBLISH-CDS digest type "${d}" is not 0 (delete), 2 (SHA-256) or 4 (SHA-384); skipped`); continue; }
    for (const u of sep) records.push(rr(CDS, dsRdata(origin, u.key.dnskey, Number(d) as 2 | 4)));
  }
  const nsec3 = nsec3Params(meta('NSEC3PARAM'), problems);
  if (nsec3) records.push(rr(NSEC3PARAM, Buffer.concat([Buffer.from([1, 0, nsec3.iterations >> 8, nsec3.iterations & 0xff, nsec3.salt.length]), nsec3.salt])));
  const active = usable.filter((u) => u.row.active);
  const presigned = meta('PRESIGNED') === '1';
  if (active.length === 0 || presigned) {
    if (!presigned) problems.push(active.length === 0 && usable.length > 0 ? 'no active usable key: zone served unsigned' : 'no usable key: zone served unsigned');
    return { signing: undefined, records: presigned ? [] : records, problems };
  }
  const roles = keyTypes(active.map((u) => ({ flags: u.row.flags, active: true, algorithm: u.key.algorithm })));
  const zsks = active.filter((_, i) => roles[i] !== 'ksk').map((u) => u.key);
  const ksks = active.filter((_, i) => roles[i] !== 'zsk').map((u) => u.key);
  return { signing: { zsks, ksks, nsec3 }, records, problems };
}

/** NSEC3PARAM metadata "1 0 0 -" (dnsdata parseNsec3Param); a bad one is logged and NSEC served. */
function nsec3Params(text: string | undefined, problems: string[]): Nsec3Params | undefined {
  if (text === undefined || text === '') return undefined;
  const r = parseNsec3Param(text);
  if (!r.ok) {
    problems.push(`${r.error}; serving NSEC instead`);
    return undefined;
  }
  return { flags: r.value.flags & 1, iterations: r.value.iterations, salt: r.value.salt };
}
