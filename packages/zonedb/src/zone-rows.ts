// Reads for the zone API (control): one zone's domains row, records (disabled
// ones too), comments and metadata, in PowerDNS's storage form. Names are
// stored names (no trailing dot); control turns them into API objects.
import type { DbSession } from './db.js';

export interface DomainRow {
  id: number;
  name: string;
  type: string;
  master: string | null;
  last_check: number | null;
  notified_serial: number | null;
  account: string | null;
  catalog: string | null;
}

export interface StoredRecord {
  id: number;
  name: string;
  type: string;
  content: string;
  ttl: number | null;
  prio: number | null;
  disabled: number;
  auth: number;
}

export interface StoredComment {
  name: string;
  type: string;
  modified_at: number;
  account: string | null;
  comment: string;
}

export interface MetadataRow {
  kind: string;
  content: string;
}

const DOMAIN_COLUMNS = 'id, name, type, master, last_check, notified_serial, account, catalog';

/** The zone stored as `name` (case-insensitive, as PowerDNS's lookup). */
export async function findDomain(s: DbSession, name: string): Promise<DomainRow | undefined> {
  const rows = await s.query<DomainRow>(`SELECT ${DOMAIN_COLUMNS} FROM domains WHERE name = ?`, [name]);
  return rows[0];
}

export async function listDomains(s: DbSession): Promise<DomainRow[]> {
  return s.query<DomainRow>(`SELECT ${DOMAIN_COLUMNS} FROM domains ORDER BY id`);
}

/** Records with a type (empty non-terminals left out), in PowerDNS's list order: name, type, then id. */
export async function domainRecords(s: DbSession, domainId: number, filter: { name?: string; type?: string } = {}): Promise<StoredRecord[]> {
  let sql = 'SELECT id, name, type, content, ttl, prio, disabled, auth FROM records WHERE domain_id = ? AND type IS NOT NULL';
  const params: unknown[] = [domainId];
  if (filter.name !== undefined) { sql += ' AND name = ?'; params.push(filter.name); }
  if (filter.type !== undefined) { sql += ' AND type = ?'; params.push(filter.type); }
  const rows = await s.query<StoredRecord>(`${sql} ORDER BY name, type, id`, params);
  return rows.map((r) => ({ ...r, id: Number(r.id), content: r.content ?? '' }));
}

export async function domainComments(s: DbSession, domainId: number): Promise<StoredComment[]> {
  return s.query<StoredComment>('SELECT name, type, modified_at, account, comment FROM comments WHERE domain_id = ? ORDER BY name, type, id', [domainId]);
}

export async function domainMetadata(s: DbSession, domainId: number, kind?: string): Promise<MetadataRow[]> {
  if (kind !== undefined) {
    return s.query<MetadataRow>('SELECT kind, content FROM domainmetadata WHERE domain_id = ? AND kind = ? ORDER BY id', [domainId, kind]);
  }
  return s.query<MetadataRow>('SELECT kind, content FROM domainmetadata WHERE domain_id = ? ORDER BY kind, id', [domainId]);
}

/** The SOA content and serial of a zone's (first) SOA row, if any. */
export async function domainSoa(s: DbSession, domainId: number): Promise<{ id: number; content: string } | undefined> {
  const rows = await s.query<{ id: number; content: string }>("SELECT id, content FROM records WHERE domain_id = ? AND type = 'SOA' ORDER BY id LIMIT 1", [domainId]);
  return rows[0] ? { id: Number(rows[0].id), content: rows[0].content ?? '' } : undefined;
}

/** Every zone's SOA content and metadata in two queries (the zone list), keyed by domain id. */
export async function allSoasAndMetadata(s: DbSession): Promise<{ soa: Map<number, string>; meta: Map<number, MetadataRow[]> }> {
  const soaRows = await s.query<{ domain_id: number; content: string }>("SELECT domain_id, content FROM records WHERE type = 'SOA' ORDER BY id");
  const soa = new Map<number, string>();
  for (const r of soaRows) if (!soa.has(Number(r.domain_id))) soa.set(Number(r.domain_id), r.content ?? '');
  const metaRows = await s.query<{ domain_id: number; kind: string; content: string }>('SELECT domain_id, kind, content FROM domainmetadata ORDER BY kind, id');
  const meta = new Map<number, MetadataRow[]>();
  for (const r of metaRows) {
    const list = meta.get(Number(r.domain_id)) ?? [];
    list.push({ kind: r.kind, content: r.content });
    meta.set(Number(r.domain_id), list);
  }
  return { soa, meta };
}
