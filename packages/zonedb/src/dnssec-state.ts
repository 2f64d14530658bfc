// A zone's DNSSEC state as PowerDNS keeps it in gmysql: keys in `cryptokeys`
// (flags 256/257, active, published, PowerDNS's private-key text), NSEC3 in the
// NSEC3PARAM / NSEC3NARROW metadata. A zone is "secured" (the API's `dnssec`
// field, rectify writing order names) when it has at least one ACTIVE key, as
// DNSSECKeeper::isSecuredZone decides.
import { dnskeyRdata, dnskeyText, nsec3Hash, parseNsec3Param, parsePrivateKey } from '@geoedge/dnsdata';
import type { DbSession } from './db.js';
import type { OrderMode } from './rectify.js';
import type { HistoryKey } from './history.js';

export interface CryptokeyRow {
  id: number;
  flags: number;
  active: boolean;
  published: boolean;
  content: string;
}

export interface NewCryptokey {
  flags: number;
  active: boolean;
  published: boolean;
  /** PowerDNS's private-key text, already checked by the caller. */
  content: string;
}

export async function insertCryptokey(s: DbSession, domainId: number, k: NewCryptokey): Promise<number> {
  const r = await s.execute('INSERT INTO cryptokeys (domain_id, flags, active, published, content) VALUES (?, ?, ?, ?, ?)',
    [domainId, k.flags, k.active ? 1 : 0, k.published ? 1 : 0, k.content]);
  return r.insertId;
}

/** A zone's keys in id order. */
export async function domainCryptokeys(s: DbSession, domainId: number): Promise<CryptokeyRow[]> {
  const rows = await s.query<{ id: number; flags: number; active: number | null; published: number | null; content: string | null }>(
    'SELECT id, flags, active, published, content FROM cryptokeys WHERE domain_id = ? ORDER BY id', [domainId]);
  return rows.map((r) => ({ id: Number(r.id), flags: Number(r.flags), active: Number(r.active) === 1, published: r.published === null || Number(r.published) === 1, content: r.content ?? '' }));
}

/** Ids of the zones with an active key (one query, for the zone list). */
export async function securedDomainIds(s: DbSession): Promise<Set<number>> {
  const rows = await s.query<{ domain_id: number }>('SELECT DISTINCT domain_id FROM cryptokeys WHERE active = 1');
  return new Set(rows.map((r) => Number(r.domain_id)));
}

export async function isSecured(s: DbSession, domainId: number): Promise<boolean> {
  const rows = await s.query('SELECT 1 FROM cryptokeys WHERE domain_id = ? AND active = 1 LIMIT 1', [domainId]);
  return rows.length > 0;
}

/**
 * How rectify orders names in this zone: undefined without an active key (no
 * order names), NSEC3 when NSEC3PARAM parses, else NSEC (PowerDNS ignores an
 * NSEC3PARAM it cannot parse the same way: the zone falls back to NSEC).
 */
export async function orderModeOf(s: DbSession, domainId: number): Promise<OrderMode | undefined> {
  if (!(await isSecured(s, domainId))) return undefined;
  const meta = await s.query<{ kind: string; content: string }>(
    "SELECT kind, content FROM domainmetadata WHERE domain_id = ? AND kind IN ('NSEC3PARAM', 'NSEC3NARROW') ORDER BY id", [domainId]);
  const param = meta.find((m) => m.kind === 'NSEC3PARAM');
  const parsed = param ? parseNsec3Param(param.content) : undefined;
  if (!parsed?.ok) return { kind: 'nsec' };
  const p = parsed.value;
  return {
    kind: 'nsec3',
    narrow: meta.some((m) => m.kind === 'NSEC3NARROW' && m.content === '1'),
    optOut: (p.flags & 1) === 1,
    hash: (stored) => nsec3Hash(stored === '' ? '.' : `${stored}.`, p),
  };
}

/** The history's view of the zone's keys. */
export async function keysForHistory(s: DbSession, domainId: number): Promise<HistoryKey[]> {
  return (await domainCryptokeys(s, domainId)).map(publicPart);
}

function publicPart(k: CryptokeyRow): HistoryKey {
  const parsed = parsePrivateKey(k.content);
  const dnskey = parsed.ok ? dnskeyText(dnskeyRdata(k.flags, parsed.key)) : `unreadable: ${parsed.error}`;
  return { id: k.id, flags: k.flags, active: k.active, published: k.published, dnskey };
}

