// Rows in PowerDNS's own storage form, for tests and benchmarks: names without
// the trailing dot, MX/SRV priority in the prio column, as pdnsutil writes them.
import type { DbSession } from '../db.js';

export interface RowSpec {
  name: string;
  type: string | null;
  content?: string | null;
  ttl?: number | null;
  prio?: number | null;
  disabled?: 0 | 1;
  auth?: 0 | 1;
}

/** Inserts a domain and its records; returns the domain id and each record's id (in order). */
export async function insertZone(db: DbSession, name: string, rows: RowSpec[], kind = 'NATIVE'): Promise<{ domainId: number; recordIds: number[] }> {
  const { insertId: domainId } = await db.execute('INSERT INTO domains (name, type) VALUES (?, ?)', [name, kind]);
  const recordIds: number[] = [];
  for (const r of rows) recordIds.push(await insertRecord(db, domainId, r));
  return { domainId, recordIds };
}

export async function insertRecord(db: DbSession, domainId: number, r: RowSpec): Promise<number> {
  const { insertId } = await db.execute(
    'INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [domainId, r.name, r.type, r.content ?? null, r.ttl === undefined ? 3600 : r.ttl, r.prio ?? null, r.disabled ?? 0, r.auth ?? 1],
  );
  return insertId;
}

/** A small zone exercising what PowerDNS stores: SOA, NS, A, MX with prio, TXT. */
export function basicZone(apex: string, serial = 1): RowSpec[] {
  return [
    { name: apex, type: 'SOA', content: `ns1.${apex} hostmaster.${apex} ${serial} 10800 3600 604800 3600` },
    { name: apex, type: 'NS', content: `ns1.${apex}` },
    { name: `ns1.${apex}`, type: 'A', content: '192.0.2.53' },
    { name: `www.${apex}`, type: 'A', content: '192.0.2.10' },
    { name: apex, type: 'MX', content: `mail.${apex}`, prio: 10 },
    { name: apex, type: 'TXT', content: '"v=spf1 -all"' },
  ];
}
