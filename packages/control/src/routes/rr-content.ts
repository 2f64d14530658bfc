// Record content between the PowerDNS API form and the gmysql storage form.
//   API:     "10 mail.example.org."   names absolute with the trailing dot
//   stored:  content "mail.example.org", prio 10   (MX and SRV keep their
//            priority in the prio column; other types store prio 0)
// Like PowerDNS (ws-auth.cc checkNewRecords), content must already be in its
// canonical form: "unquoted" TXT or a name without its trailing dot is refused
// with the form it would have been read as. AAAA is canonicalised instead.
import { checkRdata, formatRdata, typeCode, TYPE, type Rdata } from '@geoedge/dnsdata';

export type StoredContent = { ok: true; content: string; prio: number; data: Rdata } | { ok: false; error: string };

export function toStored(type: string, content: string): StoredContent {
  const code = typeCode(type);
  if (code === undefined) return { ok: false, error: 'unknown type given' };
  const parsed = checkRdata(code, content, '.');
  if (!parsed.ok) return { ok: false, error: `Parsing record content (try 'pdnsutil check-zone'): ${parsed.error}` };
  const canonical = formatRdata(code, parsed.data);
  if (code !== TYPE.AAAA && canonical.toLowerCase() !== content.toLowerCase()) {
    return { ok: false, error: `Not in expected format (parsed as '${canonical}')` };
  }
  return { ok: true, ...storageForm(code, parsed.data), data: parsed.data };
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
    default: return { content: formatRdata(code, d), prio: 0 };
  }
}

/** API content of a stored row; a row that does not parse is shown as stored. */
export function toApi(type: string, content: string, prio: number | null): string {
  const code = typeCode(type);
  if (code === undefined) return content;
  const text = (code === TYPE.MX || code === TYPE.SRV) && prio !== null ? `${prio} ${content}` : content;
  const parsed = checkRdata(code, text, '.');
  return parsed.ok ? formatRdata(code, parsed.data) : content;
}
