// Writes of a zone's DNSSEC keys (control's cryptokeys API), each one
// transaction under the zone lock, recorded in the change history with the
// keys' public parts only (flags, state, DNSKEY), never the private key text.
// Like PowerDNS, adding or (de)activating a key does not rectify: order names
// follow on the next change or PUT …/rectify.
import type { Db, DbSession } from './db.js';
import { insertCryptokey, keysForHistory, type NewCryptokey } from './dnssec-state.js';
import { recordChange, type Audit } from './history.js';
import { inTransaction, lockZone, Refusal, type WriteOutcome } from './write.js';
import { rectifyRows } from './rectify-write.js';

/** Runs `change` on a locked zone and records the keys before and after. */
function keyChange<T>(db: Db, name: string, display: string, audit: Audit | undefined, now: Date, change: (s: DbSession, id: number) => Promise<T>): Promise<WriteOutcome<T>> {
  return inTransaction(db, async (s) => {
    const id = await lockZone(s, name, display);
    const before = audit ? await keysForHistory(s, id) : [];
    const out = await change(s, id);
    if (audit) await recordChange(s, name, audit, 'cryptokeys', { cryptokeys: before }, { cryptokeys: await keysForHistory(s, id) }, now);
    return out;
  });
}

/** POST …/cryptokeys: adds a key; resolves with its id. */
export function addCryptokey(db: Db, name: string, display: string, key: NewCryptokey, audit?: Audit, now = new Date()): Promise<WriteOutcome<{ id: number }>> {
  return keyChange(db, name, display, audit, now, async (s, domainId) => ({ id: await insertCryptokey(s, domainId, key) }));
}

async function ownKey(s: DbSession, domainId: number, keyId: number): Promise<void> {
  const rows = await s.query('SELECT id FROM cryptokeys WHERE id = ? AND domain_id = ? FOR UPDATE', [keyId, domainId]);
  // PowerDNS answers a key of another zone, or none, with a bare "Not Found".
  if (rows.length === 0) throw new Refusal(404, 'Not Found');
}

/** PUT …/cryptokeys/{id}: (de)activates and (un)publishes; `published` absent leaves it. */
export function setCryptokey(db: Db, name: string, display: string, keyId: number, state: { active: boolean; published?: boolean }, audit?: Audit, now = new Date()): Promise<WriteOutcome> {
  return keyChange(db, name, display, audit, now, async (s, domainId) => {
    await ownKey(s, domainId, keyId);
    await s.execute('UPDATE cryptokeys SET active = ? WHERE id = ?', [state.active ? 1 : 0, keyId]);
    if (state.published !== undefined) await s.execute('UPDATE cryptokeys SET published = ? WHERE id = ?', [state.published ? 1 : 0, keyId]);
    return null;
  });
}

/** DELETE …/cryptokeys/{id}. */
export function deleteCryptokey(db: Db, name: string, display: string, keyId: number, audit?: Audit, now = new Date()): Promise<WriteOutcome> {
  return keyChange(db, name, display, audit, now, async (s, domainId) => {
    await ownKey(s, domainId, keyId);
    await s.execute('DELETE FROM cryptokeys WHERE id = ?', [keyId]);
    return null;
  });
}

/** PUT …/rectify: order names and auth as pdnsutil rectify-zone writes them; the serial is left alone. */
export function rectifyZone(db: Db, name: string, display: string): Promise<WriteOutcome> {
  return inTransaction(db, async (s) => {
    const id = await lockZone(s, name, display);
    await rectifyRows(s, id, name);
    return null;
  });
}
