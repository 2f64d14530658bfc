// Record content between the PowerDNS API form and the gmysql storage form.
//   API:     "10 mail.example.org."   names absolute with the trailing dot
//   stored:  content "mail.example.org", prio 10   (MX and SRV keep their
//            priority in the prio column; other types store prio 0)
// Like PowerDNS (ws-auth.cc checkNewRecords), content must already be in its
// canonical form: "unquoted" TXT or a name without its trailing dot is refused
// with the form it would have been read as. AAAA is canonicalised instead.
// TXT, SPF and LUA keep PowerDNS's text form (pdns-text.ts): stored and shown as
// written, escapes and all (a LUA type word in upper case).
import { checkRdata, formatRdata, typeCode, typeName, TYPE, type Rdata } from '@geoedge/dnsdata';
import { readLuaText, readTextStrings, type TextForm } from './pdns-text.js';

export type StoredContent = { ok: true; content: string; prio: number; data: Rdata } | { ok: false; error: string };

export function toStored(type: string, content: string): StoredContent {
  const code = typeCode(type);
  if (code === undefined) return { ok: false, error: 'unknown type given' };
  const text = textForm(code, content);
  if (text) return storedText(code, content, text);
  const parsed = checkRdata(code, content, '.');
  if (!parsed.ok) return { ok: false, error: `Parsing record content (try 'pdnsutil check-zone'): ${parsed.error}` };
  const canonical = formatRdata(code, parsed.data);
  if (code !== TYPE.AAAA && canonical.toLowerCase() !== content.toLowerCase()) {
    return { ok: false, error: `Not in expected format (parsed as '${canonical}')` };
  }
  return { ok: true, ...storageForm(code, parsed.data), data: parsed.data };
}

/** PowerDNS's kept text form for the types that have one, else undefined. */
function textForm(code: number, content: string): TextForm | undefined {
  if (code === TYPE.TXT || code === TYPE.SPF) return readTextStrings(content);
  if (code === TYPE.LUA) {
    return readLuaText(content, (w) => {
      const c = typeCode(w);
      return c === undefined ? undefined : typeName(c);
    });
  }
  return undefined;
}

function storedText(code: number, content: string, text: TextForm): StoredContent {
  const prefix = `Parsing record content (try 'pdnsutil check-zone'): `;
  if (!text.ok) return { ok: false, error: prefix + text.error };
  if (text.canonical.toLowerCase() !== content.toLowerCase()) return { ok: false, error: `Not in expected format (parsed as '${text.canonical}')` };
  const parsed = checkRdata(code, text.parseable, '.');
  if (!parsed.ok) return { ok: false, error: prefix + parsed.error };
  // The canonical form, as PowerDNS stores it: the content itself but for a LUA type's case.
  return { ok: true, content: text.canonical, prio: 0, data: parsed.data };
}

function noDot(name: string): string {
  return name === '.' ? '.' : name.replace(/\.$/, '');
}

function storageForm(code: number, d: Rdata): { content: string; prio: number } {
  switch (d.kind) {
    case 'name': return { content: noDot(d.target), prio: 0 };
    case 'mx': return { content: noDot(d.exchange), prio: d.preference };
    case 'srv': return { content: `${d.weight} ${d.port} ${noDot(d.target)}`, prio: d.priority };
    case 'soa': return { content: formatRdata(code, { ...d, mname: noDot(d.mname), rname: noDot(d.rname) }), prio: 0 };
    case 'naptr': return { content: formatRdata(code, { ...d, replacement: noDot(d.replacement) }), prio: 0 };
    default: return { content: formatRdata(code, d, true), prio: 0 };
  }
}

/** API content of a stored row; a row that does not parse is shown as stored. */
export function toApi(type: string, content: string, prio: number | null): string {
  const code = typeCode(type);
  if (code === undefined) return content;
  const kept = textForm(code, content);
  if (kept) return kept.ok ? kept.canonical : content;
  const text = (code === TYPE.MX || code === TYPE.SRV) && prio !== null ? `${prio} ${content}` : content;
  const parsed = checkRdata(code, text, '.');
  return parsed.ok ? formatRdata(code, parsed.data) : content;
}
