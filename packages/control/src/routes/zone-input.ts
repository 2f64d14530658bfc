// Request bodies of the zone API → zonedb writes, with PowerDNS's checks and
// error texts (ws-auth.cc patchZone/createZone, 4.7–4.9):
//   "DNS Name 'x' is not canonical"              names must end with a dot
//   "RRset x IN T: Name is out of zone"          names inside the zone
//   "RRset x IN T: unknown type given"           type mnemonics only
//   "Changetype not understood"                  REPLACE DELETE EXTEND PRUNE
//   "Key 'ttl' not an Integer or not present"    REPLACE with records needs a ttl
//   "Record x/T 'c': …"                          content must parse (and be canonical)
//   "Duplicate record in RRset x IN T with content \"c\""
//   "Duplicate RRset x IN T with changetype: C"  (PowerDNS ≥ 4.8)
//   "Exactly one record should be provided for PRUNE or EXTEND operation" (≥ 4.9)
// LUA contents are also compiled as Lua (PowerDNS 4.7 stores broken Lua and
// fails at query time; we refuse it up front). Everything is checked before
// anything is written, so a refused request writes nothing.
import { checkName, isSubdomain, typeCode, typeName, META_TYPES, type Rdata } from '@geoedge/dnsdata';
import type { ChangeType, CommentWrite, RecordWrite, RRsetWrite } from '@geoedge/zonedb';
import { checkLuaSyntax } from '../lua-syntax.js';
import { toStored } from './rr-content.js';
import { storedName, type ZoneRef } from './zone-id.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const CHANGETYPES = new Set<ChangeType>(['REPLACE', 'DELETE', 'EXTEND', 'PRUNE']);
const MAX_TTL = 0x7fffffff;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(o: Record<string, unknown>, key: string): Checked<string> {
  const v = o[key];
  return typeof v === 'string' ? { ok: true, value: v } : { ok: false, error: `Key '${key}' not present or not a String` };
}

/** A canonical (dot-terminated) absolute name → its parsed form. */
export function canonicalName(text: string): Checked<string> {
  if (!text.endsWith('.')) return { ok: false, error: `DNS Name '${text}' is not canonical` };
  const parsed = checkName(text, '.');
  return parsed.ok ? { ok: true, value: parsed.name } : { ok: false, error: `Unable to parse DNS Name '${text}'` };
}

/** The `rrsets` of a PATCH (or POST) body, checked against the zone. `defaultType` fills a missing changetype (POST). */
export async function checkRRsets(list: unknown, zone: ZoneRef, defaultType?: ChangeType): Promise<Checked<RRsetWrite[]>> {
  if (!Array.isArray(list)) return { ok: false, error: 'No rrsets given in update request' };
  // (PowerDNS reports a non-object item by its first missing key, changetype.)
  const out: RRsetWrite[] = [];
  const seen = new Set<string>();
  for (const item of list) {
    const r = await checkRRset(item, zone, defaultType);
    if (!r.ok) return r;
    const key = `${r.value.name}\0${r.value.type}\0${r.value.changetype}`;
    if (seen.has(key)) return { ok: false, error: `Duplicate RRset ${shown(r.value.name)} IN ${r.value.type} with changetype: ${r.value.changetype}` };
    seen.add(key);
    out.push(r.value);
  }
  return { ok: true, value: out };
}

function shown(stored: string): string {
  return stored === '' ? '.' : `${stored}.`;
}

async function checkRRset(item: unknown, zone: ZoneRef, defaultType?: ChangeType): Promise<Checked<RRsetWrite>> {
  const head = checkHead(isObject(item) ? item : {}, zone, defaultType);
  if (!head.ok || head.value.changetype === 'DELETE') return head;
  return checkBody(item as Record<string, unknown>, head.value);
}

/** PowerDNS's record-name rule: labels of letters, digits, '-', '_' and '/', or a leading '*' label. */
export function hostnameLike(fqdn: string): boolean {
  if (fqdn === '.') return true;
  return fqdn.slice(0, -1).split('.').every((l, i) => /^[A-Za-z0-9_/-]+$/.test(l) || (i === 0 && l === '*'));
}

/** changetype, name and type, checked in PowerDNS's order. */
function checkHead(item: Record<string, unknown>, zone: ZoneRef, defaultType?: ChangeType): Checked<RRsetWrite> {
  const ct = item.changetype ?? defaultType;
  if (typeof ct !== 'string') return { ok: false, error: "Key 'changetype' not present or not a String" };
  const changetype = ct.toUpperCase() as ChangeType;
  if (!CHANGETYPES.has(changetype)) return { ok: false, error: 'Changetype not understood' };
  const nameText = str(item, 'name');
  if (!nameText.ok) return nameText;
  const typeText = str(item, 'type');
  if (!typeText.ok) return typeText;
  const name = canonicalName(nameText.value);
  if (!name.ok) return name;
  const code = typeCode(typeText.value);
  const known = code !== undefined && !META_TYPES.has(code);
  const type = known ? typeName(code) : typeText.value;
  const label = `RRset ${name.value} IN ${type}`;
  if (!known) return { ok: false, error: `${label}: unknown type given` };
  if (!isSubdomain(name.value, zone.fqdn)) return { ok: false, error: `${label}: Name is out of zone` };
  if (!hostnameLike(name.value)) return { ok: false, error: `Name '${nameText.value}' contains unsupported characters` };
  const stored = storedName(name.value);
  if (type === 'SOA' && stored !== zone.stored) return { ok: false, error: `Record ${name.value} IN SOA is only allowed at apex` };
  return { ok: true, value: { name: stored, type, changetype } };
}

/** ttl, records and comments of a REPLACE, EXTEND or PRUNE. */
async function checkBody(item: Record<string, unknown>, out: RRsetWrite): Promise<Checked<RRsetWrite>> {
  const fqdn = shown(out.name);
  const hasRecords = Array.isArray(item.records);
  if (!hasRecords && !Array.isArray(item.comments)) return { ok: false, error: `No change for RRset ${fqdn} IN ${out.type}` };
  const ttl = item.ttl;
  if (ttl !== undefined || (out.changetype === 'REPLACE' && hasRecords)) {
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) return { ok: false, error: "Key 'ttl' not an Integer or not present" };
    out.ttl = ttl;
  }
  // PowerDNS 4.9, whose EXTEND/PRUNE we follow (4.7 has neither), takes exactly one record.
  if ((out.changetype === 'EXTEND' || out.changetype === 'PRUNE') && (!hasRecords || (item.records as unknown[]).length !== 1)) {
    return { ok: false, error: 'Exactly one record should be provided for PRUNE or EXTEND operation' };
  }
  if (hasRecords) {
    const records = await checkRecords(item.records, fqdn, out.type);
    if (!records.ok) return records;
    out.records = records.value;
  }
  if (Array.isArray(item.comments)) {
    const comments = checkComments(item.comments);
    if (!comments.ok) return comments;
    out.comments = comments.value;
  }
  return { ok: true, value: out };
}

async function checkRecords(list: unknown, fqdn: string, type: string): Promise<Checked<RecordWrite[]>> {
  if (!Array.isArray(list)) return { ok: false, error: "Key 'records' is not an array" };
  const out: RecordWrite[] = [];
  const seen = new Set<string>();
  for (const rec of list) {
    if (!isObject(rec)) return { ok: false, error: 'Record is not a JSON object' };
    const content = str(rec, 'content');
    if (!content.ok) return content;
    if (rec.disabled !== undefined && typeof rec.disabled !== 'boolean') return { ok: false, error: "Key 'disabled' not present or not a Bool" };
    const where = `Record ${fqdn}/${type} '${content.value}'`;
    const stored = toStored(type, content.value);
    if (!stored.ok) return { ok: false, error: stored.error === 'unknown type given' ? `RRset ${fqdn} IN ${type}: unknown type given` : `${where}: ${stored.error}` };
    const target = hostTarget(type, stored.data);
    if (target !== undefined && !/^(?:[A-Za-z0-9_-]+\.)*$/.test(target === '.' ? '' : target)) {
      return { ok: false, error: `RRset ${fqdn} IN ${type} non-hostname content ${target}` };
    }
    const lua = await checkLua(stored.data);
    if (!lua.ok) return { ok: false, error: `${where}: ${lua.error}` };
    // Text is case-sensitive (two ACME tokens may differ only in case); names are not.
    const textual = stored.data.kind === 'txt' || stored.data.kind === 'lua';
    const key = `${stored.prio} ${textual ? stored.content : stored.content.toLowerCase()}`;
    if (seen.has(key)) return { ok: false, error: `Duplicate record in RRset ${fqdn} IN ${type} with content "${content.value}"` };
    seen.add(key);
    out.push({ content: stored.content, prio: stored.prio, disabled: rec.disabled === true });
  }
  return { ok: true, value: out };
}

/** NS, MX and SRV point at hosts: PowerDNS wants hostnames there. */
function hostTarget(type: string, d: Rdata): string | undefined {
  if (type === 'NS' && d.kind === 'name') return d.target;
  if (d.kind === 'mx') return d.exchange;
  if (d.kind === 'srv') return d.target;
  return undefined;
}

async function checkLua(data: Rdata): Promise<Checked<null>> {
  if (data.kind !== 'lua') return { ok: true, value: null };
  const r = await checkLuaSyntax(data.code);
  return r.ok ? { ok: true, value: null } : { ok: false, error: `Lua syntax error: ${r.error}` };
}

function checkComments(list: unknown): Checked<CommentWrite[]> {
  if (!Array.isArray(list)) return { ok: false, error: "Key 'comments' is not an array" };
  const out: CommentWrite[] = [];
  for (const c of list) {
    if (!isObject(c)) return { ok: false, error: 'Comment is not a JSON object' };
    const content = str(c, 'content');
    if (!content.ok) return content;
    const account = str(c, 'account');
    if (!account.ok) return account;
    if (account.value.length > 40) return { ok: false, error: 'Comment account is longer than 40 characters' };
    if (Buffer.byteLength(content.value) > 65535) return { ok: false, error: 'Comment is longer than 65535 bytes' };
    const m = c.modified_at;
    if (m !== undefined && (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m > MAX_TTL)) return { ok: false, error: "Key 'modified_at' is not an Integer" };
    out.push({ content: content.value, account: account.value, modifiedAt: typeof m === 'number' ? m : 0 });
  }
  return { ok: true, value: out };
}
