// Rectify as SQL on one zone inside the caller's transaction (the plans are
// pure, in rectify.ts): auth flags, empty non-terminal rows and, when the zone
// has an active key, order names. The zone's rows are read once and only the
// rows whose auth or ordername must change are written (ENT rows likewise), so
// a one-record PATCH in a large signed zone writes a handful of rows, not all.
import type { DbSession } from './db.js';
import { planOrderNames, planRectify, type OrderPlan, type RectifyPlan } from './rectify.js';
import { orderModeOf } from './dnssec-state.js';

interface Row { id: number; name: string; type: string | null; disabled: number; auth: number | null; ordername: string | null }

/** auth, empty non-terminals and, in a zone with an active key, order names (rectify.ts). */
export async function rectifyRows(s: DbSession, id: number, apex: string): Promise<void> {
  const all = await s.query<Row>('SELECT id, name, type, disabled, auth, ordername FROM records WHERE domain_id = ?', [id]);
  // Like PowerDNS's rectify, disabled rows neither make names nor cuts.
  const pairs = new Map<string, { name: string; type: string }>();
  for (const r of all) if (r.type !== null && Number(r.disabled) === 0) pairs.set(`${r.name}\0${r.type}`, { name: r.name, type: r.type });
  const rows = [...pairs.values()];
  const plan = planRectify({ apex, rows });
  const mode = await orderModeOf(s, id);
  const order = mode ? planOrderNames({ apex, rows }, plan, mode) : undefined;
  const changed: Array<[number, number, string | null]> = [];
  for (const r of all) {
    if (r.type === null) continue;
    const [auth, ord] = wanted(r.name, r.type, plan, order);
    if (Number(r.auth) !== auth || r.ordername !== ord) changed.push([Number(r.id), auth, ord]);
  }
  for (let i = 0; i < changed.length; i += 500) {
    const chunk = changed.slice(i, i + 500);
    const when = chunk.map(() => 'WHEN ? THEN ?').join(' ');
    await s.execute(`UPDATE records SET auth = CASE id ${when} END, ordername = CASE id ${when} END WHERE id IN (${chunk.map(() => '?').join(',')})`,
      [...chunk.flatMap(([rid, auth]) => [rid, auth]), ...chunk.flatMap(([rid, , ord]) => [rid, ord]), ...chunk.map(([rid]) => rid)]);
  }
  await rectifyEnts(s, id, all.filter((r) => r.type === null), plan, order);
}

/** The auth flag and ordername a row of (name, type) must have. */
function wanted(name: string, type: string, plan: RectifyPlan, order: OrderPlan | undefined): [number, string | null] {
  const auth = plan.nonAuth.has(name) && type !== 'DS' ? 0 : 1;
  if (!order) return [auth, null];
  if ((order.glue.has(name) && (type === 'A' || type === 'AAAA')) || (order.optOutNs.has(name) && type === 'NS')) return [0, null];
  return [auth, order.orderNames.get(name) ?? null];
}

/** Keeps ENT rows that are right, deletes the others and inserts the missing ones. */
async function rectifyEnts(s: DbSession, id: number, existing: Row[], plan: RectifyPlan, order: OrderPlan | undefined): Promise<void> {
  const want = new Map<string, [number, string | null]>();
  for (const [name, auth] of plan.ents) want.set(name, [auth ? 1 : 0, order?.orderNames.get(name) ?? null]);
  const stale: number[] = [];
  const kept = new Set<string>();
  for (const r of existing) {
    const w = want.get(r.name);
    if (w && !kept.has(r.name) && Number(r.auth) === w[0] && r.ordername === w[1] && Number(r.disabled) === 0) kept.add(r.name);
    else stale.push(Number(r.id));
  }
  for (let i = 0; i < stale.length; i += 500) {
    const chunk = stale.slice(i, i + 500);
    await s.execute(`DELETE FROM records WHERE id IN (${chunk.map(() => '?').join(',')})`, chunk);
  }
  const missing = [...want].filter(([name]) => !kept.has(name));
  for (let i = 0; i < missing.length; i += 500) {
    const chunk = missing.slice(i, i + 500);
    await s.execute(`INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, ordername, auth) VALUES ${chunk.map(() => '(?, ?, NULL, NULL, NULL, NULL, 0, ?, ?)').join(', ')}`,
      chunk.flatMap(([name, [auth, ord]]) => [id, name, ord, auth]));
  }
}
