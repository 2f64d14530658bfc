// Rectify as SQL on one zone inside the caller's transaction (the plans are
// pure, in rectify.ts): auth flags, empty non-terminal rows and, when the zone
// has an active key, order names.
import type { DbSession } from './db.js';
import { planOrderNames, planRectify, type OrderMode } from './rectify.js';
import { orderModeOf } from './dnssec-state.js';

/** auth, empty non-terminals and, in a zone with an active key, order names (rectify.ts). */
export async function rectifyRows(s: DbSession, id: number, apex: string): Promise<void> {
  await s.execute('DELETE FROM records WHERE domain_id = ? AND type IS NULL', [id]);
  // Like PowerDNS's rectify, disabled rows neither make names nor cuts.
  const rows = await s.query<{ name: string; type: string }>('SELECT DISTINCT name, type FROM records WHERE domain_id = ? AND disabled = 0', [id]);
  const plan = planRectify({ apex, rows });
  await s.execute('UPDATE records SET auth = 1, ordername = NULL WHERE domain_id = ?', [id]);
  const nonAuth = [...plan.nonAuth];
  for (let i = 0; i < nonAuth.length; i += 500) {
    const chunk = nonAuth.slice(i, i + 500);
    await s.execute(`UPDATE records SET auth = 0 WHERE domain_id = ? AND type <> 'DS' AND name IN (${chunk.map(() => '?').join(',')})`, [id, ...chunk]);
  }
  const ents = [...plan.ents];
  for (let i = 0; i < ents.length; i += 500) {
    const chunk = ents.slice(i, i + 500);
    await s.execute(`INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, ordername, auth) VALUES ${chunk.map(() => '(?, ?, NULL, NULL, NULL, NULL, 0, NULL, ?)').join(', ')}`,
      chunk.flatMap(([name, auth]) => [id, name, auth ? 1 : 0]));
  }
  const mode = await orderModeOf(s, id);
  if (mode) await writeOrderNames(s, id, apex, rows, plan, mode);
}

async function writeOrderNames(s: DbSession, id: number, apex: string, rows: Array<{ name: string; type: string }>, plan: ReturnType<typeof planRectify>, mode: OrderMode): Promise<void> {
  const order = planOrderNames({ apex, rows }, plan, mode);
  const named = [...order.orderNames].filter(([, o]) => o !== null) as Array<[string, string]>;
  for (let i = 0; i < named.length; i += 500) {
    const chunk = named.slice(i, i + 500);
    await s.execute(
      `UPDATE records SET ordername = CASE name ${chunk.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE domain_id = ? AND name IN (${chunk.map(() => '?').join(',')})`,
      [...chunk.flat(), id, ...chunk.map(([n]) => n)]);
  }
  for (const [names, types] of [[[...order.glue], "('A', 'AAAA')"], [[...order.optOutNs], "('NS')"]] as const) {
    for (let i = 0; i < names.length; i += 500) {
      const chunk = names.slice(i, i + 500);
      await s.execute(`UPDATE records SET ordername = NULL, auth = 0 WHERE domain_id = ? AND type IN ${types} AND name IN (${chunk.map(() => '?').join(',')})`, [id, ...chunk]);
    }
  }
}

