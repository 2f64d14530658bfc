// The only code that writes zones (control's PowerDNS-compatible API calls
// it). Each call is one transaction: the zone is locked (SELECT … FOR UPDATE
// on its domains row), changed, checked, rectified and its SOA serial bumped
// per SOA-EDIT-API, then committed; any refusal rolls everything back. Rows are
// written in PowerDNS's storage form, as its gmysql backend writes them:
// names lower-case without the trailing dot, content names without it too,
// MX/SRV priority in `prio` (0 for other types), `auth`/ENT rows as
// rectify-zone leaves a zone without DNSSEC, `ordername` NULL.
// Input is already validated and converted by the caller (control): this
// layer enforces what needs the stored state (zone exists, CNAME exclusivity).
// With an `audit` (who is changing), the change is also written to our history
// table in the same transaction (history.ts): before/after read under the lock.
import { DbError, type Db, type DbSession } from './db.js';
import { findDomain } from './zone-rows.js';
import { increaseSerial, soaSerialOf, withSerial } from './serial.js';
import { rectifyRows } from './rectify-write.js';
import { recordChange, recordsOf, type Audit, type HistorySide } from './history.js';
import { insertCryptokey, isSecured, keysForHistory, type NewCryptokey } from './dnssec-state.js';

export interface RecordWrite { content: string; prio: number; disabled: boolean }
export interface CommentWrite { content: string; account: string; modifiedAt: number }
export type ChangeType = 'REPLACE' | 'DELETE' | 'EXTEND' | 'PRUNE';

/** One RRset change. `name` is a stored name; `type` an upper-case type name. */
export interface RRsetWrite {
  name: string;
  type: string;
  changetype: ChangeType;
  ttl?: number;
  /** Absent: leave records alone (REPLACE of comments only). */
  records?: RecordWrite[];
  comments?: CommentWrite[];
}

export interface ZoneSpec {
  name: string;
  /** NATIVE, MASTER or SLAVE (as stored). */
  kind: string;
  masters: string[];
  account: string;
  soaEditApi: string;
  soaEdit: string;
  apiRectify?: boolean;
  catalog?: string;
  rrsets: RRsetWrite[];
  /** `"dnssec": true`: the keys to store (made by the caller), and NSEC3 if asked for. */
  dnssec?: ZoneDnssec;
}

export interface ZoneDnssec {
  keys: NewCryptokey[];
  /** NSEC3PARAM text as it is to be stored; absent: NSEC. */
  nsec3param?: string;
  nsec3narrow?: boolean;
}

export type ZoneFields = Partial<Pick<ZoneSpec, 'kind' | 'masters' | 'account' | 'soaEditApi' | 'soaEdit' | 'apiRectify' | 'catalog'>> & {
  /** true: store `newKeys` unless the zone already has an active key; false: delete every key and NSEC3 setting. */
  dnssec?: boolean;
  newKeys?: NewCryptokey[];
  /** '' removes NSEC3PARAM (and NSEC3NARROW); needs a secured zone otherwise. */
  nsec3param?: string;
  nsec3narrow?: boolean;
};

export type WriteOutcome<T = null> = { ok: true; value: T } | { ok: false; status: 404 | 409 | 422; error: string };

export class Refusal extends Error {
  constructor(readonly status: 404 | 409 | 422, message: string) { super(message); }
}

export async function inTransaction<T>(db: Db, fn: (s: DbSession) => Promise<T>): Promise<WriteOutcome<T>> {
  // db.transaction rolls back on any throw but reports it as a DbError, so the
  // refusal is kept aside to be returned as the outcome.
  let refused: Refusal | undefined;
  try {
    return {
      ok: true,
      value: await db.transaction(async (s) => {
        try {
          return await fn(s);
        } catch (err) {
          if (err instanceof Refusal) refused = err;
          throw err;
        }
      }),
    };
  } catch (err) {
    if (refused) return { ok: false, status: refused.status, error: refused.message };
    throw err;
  }
}

export async function lockZone(s: DbSession, name: string, display: string): Promise<number> {
  const rows = await s.query<{ id: number }>('SELECT id FROM domains WHERE name = ? FOR UPDATE', [name]);
  if (!rows[0]) throw new Refusal(404, `Could not find domain '${display}'`);
  return Number(rows[0].id);
}

/** Creates a zone with its SOA (from `rrsets` or PowerDNS's default-soa-content) and records; 409 if it exists. */
export async function createZone(db: Db, spec: ZoneSpec, display: string, now = new Date(), audit?: Audit): Promise<WriteOutcome<{ id: number }>> {
  return inTransaction(db, async (s) => {
    const created = await insertZone(s, spec, now);
    if (audit) {
      const after = { records: await recordsOf(s, created.id), ...(spec.dnssec ? { cryptokeys: await keysForHistory(s, created.id) } : {}) };
      await recordChange(s, spec.name, audit, 'create', { records: [] }, after, now);
    }
    return created;
  }).catch((err: unknown) => {
    // Two creations racing: the unique name index refuses the second one.
    if (err instanceof DbError && /Duplicate entry/i.test(err.message)) return { ok: false, status: 409, error: 'Conflict' } as const;
    throw err;
  });
}

async function insertZone(s: DbSession, spec: ZoneSpec, now: Date): Promise<{ id: number }> {
  if (await findDomain(s, spec.name)) throw new Refusal(409, 'Conflict');
  const { insertId: id } = await s.execute(
    'INSERT INTO domains (name, master, type, account, catalog) VALUES (?, ?, ?, ?, ?)',
    [spec.name, spec.masters.join(', '), spec.kind, spec.account, spec.catalog ? spec.catalog : null],
  );
  await setMeta(s, id, 'SOA-EDIT-API', spec.soaEditApi === '' ? [] : [spec.soaEditApi]);
  if (spec.soaEdit !== '') await setMeta(s, id, 'SOA-EDIT', [spec.soaEdit]);
  if (spec.apiRectify !== undefined) await setMeta(s, id, 'API-RECTIFY', [spec.apiRectify ? '1' : '0']);
  // A secondary gets its records by zone transfer: PowerDNS writes no SOA for it.
  if (spec.kind !== 'SLAVE' && !spec.rrsets.some((r) => r.type === 'SOA' && r.name === spec.name)) {
    // PowerDNS's default-soa-content: "a.misconfigured.dns.server.invalid hostmaster.@ 0 10800 3600 604800 3600".
    const soa = `a.misconfigured.dns.server.invalid hostmaster.${spec.name} 0 10800 3600 604800 3600`;
    await insertRecord(s, id, spec.name, 'SOA', 3600, { content: soa, prio: 0, disabled: false });
  }
  for (const change of spec.rrsets) await applyChange(s, id, change, now);
  if (spec.dnssec) await storeDnssec(s, id, spec.dnssec);
  await finish(s, id, spec.name, spec.rrsets, now);
  // PowerDNS rewrites the SOA after rectifying a new signed zone: its row has no order name.
  if (spec.dnssec) await s.execute("UPDATE records SET ordername = NULL WHERE domain_id = ? AND type = 'SOA'", [id]);
  return { id };
}

/** Deletes a zone with its records, comments and metadata. */
export async function deleteZone(db: Db, name: string, display: string, audit?: Audit, now = new Date()): Promise<WriteOutcome> {
  return inTransaction(db, async (s) => {
    const id = await lockZone(s, name, display);
    if (audit) await recordChange(s, name, audit, 'delete', { records: await recordsOf(s, id) }, { records: [] }, now);
    for (const table of ['records', 'comments', 'domainmetadata', 'cryptokeys']) {
      await s.execute(`DELETE FROM ${table} WHERE domain_id = ?`, [id]);
    }
    await s.execute('DELETE FROM domains WHERE id = ?', [id]);
    return null;
  });
}

/** Applies RRset changes in order, all or nothing; then CNAME check, rectify and serial bump. */
export async function patchZone(db: Db, name: string, display: string, changes: RRsetWrite[], now = new Date(), audit?: Audit): Promise<WriteOutcome> {
  return inTransaction(db, async (s) => {
    const id = await lockZone(s, name, display);
    // Only the RRsets the request names: the serial bump that follows is a consequence, not the change.
    const before = audit ? await recordsOf(s, id, changes) : [];
    for (const change of changes) await applyChange(s, id, change, now);
    await finish(s, id, name, changes, now);
    if (audit) await recordChange(s, name, audit, 'patch', { records: before }, { records: await recordsOf(s, id, changes) }, now);
    return null;
  });
}

/** PUT on a zone: kind, masters, account, catalog and the SOA-EDIT/API-RECTIFY metadata. */
export async function updateZone(db: Db, name: string, display: string, f: ZoneFields, audit?: Audit, now = new Date()): Promise<WriteOutcome> {
  return inTransaction(db, async (s) => {
    const id = await lockZone(s, name, display);
    const dnssecChange = f.dnssec !== undefined || f.nsec3param !== undefined;
    const before = audit ? await zoneFields(s, id, dnssecChange) : undefined;
    if (f.kind !== undefined) await s.execute('UPDATE domains SET type = ? WHERE id = ?', [f.kind, id]);
    if (f.masters !== undefined) await s.execute('UPDATE domains SET master = ? WHERE id = ?', [f.masters.join(', '), id]);
    if (f.account !== undefined) await s.execute('UPDATE domains SET account = ? WHERE id = ?', [f.account, id]);
    if (f.catalog !== undefined) await s.execute('UPDATE domains SET catalog = ? WHERE id = ?', [f.catalog === '' ? null : f.catalog, id]);
    if (f.soaEditApi !== undefined) await setMeta(s, id, 'SOA-EDIT-API', f.soaEditApi === '' ? [] : [f.soaEditApi]);
    if (f.soaEdit !== undefined) await setMeta(s, id, 'SOA-EDIT', f.soaEdit === '' ? [] : [f.soaEdit]);
    if (f.apiRectify !== undefined) await setMeta(s, id, 'API-RECTIFY', [f.apiRectify ? '1' : '0']);
    if (f.dnssec !== undefined || f.nsec3param !== undefined) await updateDnssec(s, id, name, display, f, now);
    if (audit && before) await recordChange(s, name, audit, 'zone', before, await zoneFields(s, id, dnssecChange), now);
    return null;
  });
}

/** What PUT …/zones/{id} can change, for the history. */
async function zoneFields(s: DbSession, id: number, withKeys: boolean): Promise<HistorySide> {
  const d = await s.query<{ type: string; master: string | null; account: string | null; catalog: string | null }>('SELECT type, master, account, catalog FROM domains WHERE id = ?', [id]);
  const meta = await s.query<{ kind: string; content: string }>("SELECT kind, content FROM domainmetadata WHERE domain_id = ? AND kind IN ('SOA-EDIT-API', 'SOA-EDIT', 'API-RECTIFY', 'NSEC3PARAM', 'NSEC3NARROW') ORDER BY kind, id", [id]);
  const zone = { ...d[0], ...Object.fromEntries(meta.map((m) => [m.kind, m.content])) };
  return withKeys ? { zone, cryptokeys: await keysForHistory(s, id) } : { zone };
}

/** ws-auth.cc updateDomainSettingsFromDocument's DNSSEC part: keys, then NSEC3, then rectify and a serial bump. */
async function updateDnssec(s: DbSession, id: number, name: string, display: string, f: ZoneFields, now: Date): Promise<void> {
  if (f.dnssec === true && !(await isSecured(s, id))) for (const k of f.newKeys ?? []) await insertCryptokey(s, id, k);
  if (f.dnssec === false) {
    await s.execute('DELETE FROM cryptokeys WHERE domain_id = ?', [id]);
    await setMeta(s, id, 'NSEC3PARAM', []);
    await setMeta(s, id, 'NSEC3NARROW', []);
  }
  if (f.nsec3param !== undefined && f.nsec3param !== '') {
    if (!(await isSecured(s, id))) throw new Refusal(422, `NSEC3PARAM value provided for zone '${display}', but zone is not DNSSEC secured.`);
    await setMeta(s, id, 'NSEC3PARAM', [f.nsec3param]);
    await setMeta(s, id, 'NSEC3NARROW', f.nsec3narrow ? ['1'] : []);
  } else if (f.nsec3param === '') {
    await setMeta(s, id, 'NSEC3PARAM', []);
    await setMeta(s, id, 'NSEC3NARROW', []);
  }
  await rectifyRows(s, id, name);
  // PowerDNS then rewrites the SOA with the next serial: the new row has no order name.
  if (await bumpSerial(s, id, now)) await s.execute("UPDATE records SET ordername = NULL WHERE domain_id = ? AND type = 'SOA'", [id]);
}

async function storeDnssec(s: DbSession, id: number, d: ZoneDnssec): Promise<void> {
  for (const k of d.keys) await insertCryptokey(s, id, k);
  if (d.nsec3param !== undefined) {
    await setMeta(s, id, 'NSEC3PARAM', [d.nsec3param]);
    if (d.nsec3narrow) await setMeta(s, id, 'NSEC3NARROW', ['1']);
  }
}

async function metaValues(s: DbSession, id: number, kind: string): Promise<Record<string, string[]>> {
  const rows = await s.query<{ content: string }>('SELECT content FROM domainmetadata WHERE domain_id = ? AND kind = ? ORDER BY id', [id, kind]);
  return { [kind]: rows.map((r) => r.content) };
}

/** PUT …/notify: PowerDNS records the serial it sends NOTIFYs for in notified_serial. */
export async function markNotified(db: Db, name: string, display: string): Promise<WriteOutcome> {
  return inTransaction(db, async (s) => {
    const id = await lockZone(s, name, display);
    const soa = await s.query<{ content: string }>("SELECT content FROM records WHERE domain_id = ? AND type = 'SOA' ORDER BY id LIMIT 1", [id]);
    const serial = soa[0] ? soaSerialOf(soa[0].content) : undefined;
    if (serial !== undefined) await s.execute('UPDATE domains SET notified_serial = ? WHERE id = ?', [serial, id]);
    return null;
  });
}

/** Replaces one metadata kind's values (an empty list deletes the kind). */
export async function putMetadata(db: Db, name: string, display: string, kind: string, values: string[], audit?: Audit, now = new Date()): Promise<WriteOutcome> {
  return inTransaction(db, async (s) => {
    const id = await lockZone(s, name, display);
    const before = audit ? await metaValues(s, id, kind) : {};
    await setMeta(s, id, kind, values);
    if (audit) await recordChange(s, name, audit, 'metadata', { metadata: before }, { metadata: await metaValues(s, id, kind) }, now);
    return null;
  });
}

/** Adds values to a metadata kind, keeping the ones there (POST …/metadata). */
export async function addMetadata(db: Db, name: string, display: string, kind: string, values: string[], audit?: Audit, now = new Date()): Promise<WriteOutcome> {
  return inTransaction(db, async (s) => {
    const id = await lockZone(s, name, display);
    const before = audit ? await metaValues(s, id, kind) : {};
    const have = await s.query<{ content: string }>('SELECT content FROM domainmetadata WHERE domain_id = ? AND kind = ?', [id, kind]);
    const known = new Set(have.map((r) => r.content));
    for (const v of values) if (!known.has(v)) await s.execute('INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, ?, ?)', [id, kind, v]);
    if (audit) await recordChange(s, name, audit, 'metadata', { metadata: before }, { metadata: await metaValues(s, id, kind) }, now);
    return null;
  });
}

async function setMeta(s: DbSession, id: number, kind: string, values: string[]): Promise<void> {
  await s.execute('DELETE FROM domainmetadata WHERE domain_id = ? AND kind = ?', [id, kind]);
  for (const v of values) await s.execute('INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, ?, ?)', [id, kind, v]);
}

async function insertRecord(s: DbSession, id: number, name: string, type: string, ttl: number, r: RecordWrite): Promise<void> {
  await s.execute(
    'INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, ordername, auth) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 1)',
    [id, name, type, r.content, ttl, r.prio, r.disabled ? 1 : 0],
  );
}

/** One multi-row INSERT per 500 records, in order (ids follow the order). */
async function insertRecords(s: DbSession, id: number, name: string, type: string, ttl: number, records: RecordWrite[]): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const chunk = records.slice(i, i + 500);
    await s.execute(
      `INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, ordername, auth) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, NULL, 1)').join(', ')}`,
      chunk.flatMap((r) => [id, name, type, r.content, ttl, r.prio, r.disabled ? 1 : 0]),
    );
  }
}

async function applyChange(s: DbSession, id: number, c: RRsetWrite, now: Date): Promise<void> {
  const key = [id, c.name, c.type];
  const where = 'domain_id = ? AND name = ? AND type = ?';
  // REPLACE with an empty record list deletes the RRset, comments included (as PowerDNS 4.7 does).
  const emptied = c.changetype === 'REPLACE' && c.records !== undefined && c.records.length === 0 && c.comments === undefined;
  if (c.changetype === 'DELETE' || emptied) {
    await s.execute(`DELETE FROM records WHERE ${where}`, key);
    await s.execute(`DELETE FROM comments WHERE ${where}`, key);
    return;
  }
  if (c.comments !== undefined && (c.changetype === 'REPLACE' || c.comments.length > 0)) {
    if (c.changetype === 'REPLACE') await s.execute(`DELETE FROM comments WHERE ${where}`, key);
    for (const cm of c.comments) {
      await s.execute('INSERT INTO comments (domain_id, name, type, modified_at, account, comment) VALUES (?, ?, ?, ?, ?, ?)',
        [id, c.name, c.type, cm.modifiedAt || Math.floor(now.getTime() / 1000), cm.account, cm.content]);
    }
  }
  if (c.records === undefined) return;
  if (c.changetype === 'REPLACE') {
    await s.execute(`DELETE FROM records WHERE ${where}`, key);
    await insertRecords(s, id, c.name, c.type, c.ttl ?? 3600, sortedLikePdns(c.type, c.records));
    return;
  }
  const existing = await s.query<{ id: number; content: string; prio: number | null; ttl: number | null }>(
    `SELECT id, content, prio, ttl FROM records WHERE ${where}`, key);
  const same = (r: RecordWrite, e: { content: string; prio: number | null }) => e.content === r.content && (e.prio ?? 0) === r.prio;
  if (c.changetype === 'PRUNE') {
    for (const e of existing) if (c.records.some((r) => same(r, e))) await s.execute('DELETE FROM records WHERE id = ?', [e.id]);
    return;
  }
  // EXTEND: add the records not there yet; a given ttl applies to the whole RRset.
  const ttl = c.ttl ?? existing[0]?.ttl;
  if (ttl === undefined || ttl === null) throw new Refusal(422, `RRset ${c.name}. IN ${c.type}: Key 'ttl' not an Integer or not present`);
  if (c.ttl !== undefined) await s.execute(`UPDATE records SET ttl = ? WHERE ${where}`, [c.ttl, ...key]);
  for (const r of c.records) if (!existing.some((e) => same(r, e))) await insertRecord(s, id, c.name, c.type, ttl, r);
}

/** PowerDNS sorts a replaced RRset by content text (with the priority in front) before inserting, so row order follows it. */
function sortedLikePdns(type: string, records: RecordWrite[]): RecordWrite[] {
  const text = (r: RecordWrite) => (type === 'MX' || type === 'SRV' ? `${r.prio} ${r.content}` : r.content);
  return [...records].sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
}

async function finish(s: DbSession, id: number, apex: string, changes: RRsetWrite[], now: Date): Promise<void> {
  await checkCnames(s, id, changes);
  await rectifyRows(s, id, apex);
  await bumpSerial(s, id, now);
}

// PowerDNS refuses a CNAME beside other data at the same name (RFC 1034 §3.6.2).
async function checkCnames(s: DbSession, id: number, changes: RRsetWrite[]): Promise<void> {
  const touched = new Map<string, string>();
  for (const c of changes) if (c.changetype !== 'DELETE') touched.set(c.name, c.type);
  for (const [name, type] of touched) {
    const rows = await s.query<{ type: string; n: number }>(
      'SELECT type, COUNT(*) AS n FROM records WHERE domain_id = ? AND name = ? AND type IS NOT NULL GROUP BY type', [id, name]);
    const cname = rows.find((r) => r.type === 'CNAME');
    if (!cname) continue;
    const display = `${name}.`;
    if (Number(cname.n) > 1) throw new Refusal(422, `RRset ${display} IN CNAME has more than one record`);
    const others = rows.filter((r) => !['CNAME', 'RRSIG', 'NSEC'].includes(r.type));
    if (others.length === 0) continue;
    throw new Refusal(422, `RRset ${display} IN ${type}: Conflicts with pre-existing RRset`);
  }
}

/** Resolves true if the serial changed. */
async function bumpSerial(s: DbSession, id: number, now: Date): Promise<boolean> {
  const meta = await s.query<{ kind: string; content: string }>(
    "SELECT kind, content FROM domainmetadata WHERE domain_id = ? AND kind IN ('SOA-EDIT-API', 'SOA-EDIT')", [id]);
  const api = meta.find((m) => m.kind === 'SOA-EDIT-API')?.content ?? '';
  if (api === '') return false;
  const soaEdit = meta.find((m) => m.kind === 'SOA-EDIT')?.content ?? '';
  const soa = await s.query<{ id: number; content: string }>("SELECT id, content FROM records WHERE domain_id = ? AND type = 'SOA' ORDER BY id LIMIT 1", [id]);
  if (!soa[0]) return false;
  const serial = soaSerialOf(soa[0].content);
  if (serial === undefined) return false;
  const next = increaseSerial(serial, api, soaEdit, now);
  if (next !== serial) await s.execute('UPDATE records SET content = ? WHERE id = ?', [withSerial(soa[0].content, next), soa[0].id]);
  return next !== serial;
}
