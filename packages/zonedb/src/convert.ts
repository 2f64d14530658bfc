// PowerDNS gmysql rows → the suite's RR objects, following what PowerDNS's
// GSQLBackend::extractRecord does with the same rows:
//   - names are stored without the trailing dot ("www.example.com", "" for the
//     root) and record content names are absolute without it too, so both are
//     read against the root origin ".";
//   - MX and SRV: PowerDNS serves `prio + " " + content`; a NULL prio leaves
//     the content as written (rows whose content already holds the priority);
//   - a NULL ttl is PowerDNS's default-ttl (3600);
//   - disabled=1 rows are hidden; type NULL rows are empty non-terminals
//     (written by pdnsutil rectify-zone), returned as names, not records;
//   - auth=0 rows (delegation NS below the apex and glue) are kept: the zone
//     builder finds the cut itself;
//   - LUA rows (`A "pickclosest(...)"`) become kind 'lua' records.
// A row that cannot be served (bad name, name outside its zone, unknown type,
// content that does not parse) is returned as a problem naming the record id.
import { checkRdata, isSubdomain, lowerName, parseName, typeCode, TYPE, CLASS_IN, type RR } from '@geoedge/dnsdata';

/** The records columns zonedb reads, in SELECT order (see RECORD_COLUMNS). */
export type RecordRow = [
  id: number, domainId: number | null, name: string | null, type: string | null, content: string | null,
  ttl: number | null, prio: number | null, disabled: number | null, auth: number | null,
];
export const RECORD_COLUMNS = 'id, domain_id, name, type, content, ttl, prio, disabled, auth';

export const DEFAULT_TTL = 3600;

export type RowProblemKind = 'bad-name' | 'outside-zone' | 'unknown-type' | 'bad-content' | 'no-zone';

export interface RowProblem {
  recordId: number;
  domainId: number | null;
  kind: RowProblemKind;
  message: string;
}

export type ConvertResult =
  | { kind: 'record'; rr: RR; auth: boolean }
  | { kind: 'ent'; name: string }
  | { kind: 'hidden' }
  | { kind: 'problem'; problem: RowProblem };

/** "example.com" → "example.com."; "" → "."; throws on a name that does not parse. */
export function storedNameToFqdn(stored: string): string {
  if (stored === '' || stored === '.') return '.';
  const withDot = stored.endsWith('.') && !stored.endsWith('\\.') ? stored : `${stored}.`;
  return parseName(withDot, '.');
}

/** Converts one records row of the zone whose apex is `origin` (lower-case FQDN). */
export function convertRecord(row: RecordRow, origin: string, defaultTtl = DEFAULT_TTL): ConvertResult {
  const [id, domainId, storedName, storedType, content, ttl, prio, disabled, auth] = row;
  if (disabled === 1) return { kind: 'hidden' };
  const problem = (kind: RowProblemKind, message: string): ConvertResult => ({
    kind: 'problem',
    problem: { recordId: id, domainId, kind, message: `record id ${id} (${storedName ?? 'NULL'} ${storedType ?? 'NULL'}) in ${origin}: ${message}` },
  });
  let name: string;
  try {
    name = storedNameToFqdn(storedName ?? '');
  } catch (err) {
    return problem('bad-name', `name does not parse: ${(err as Error).message}`);
  }
  if (!isSubdomain(name, origin)) return problem('outside-zone', `name ${name} is outside the zone`);
  if (storedType === null || storedType === '') return { kind: 'ent', name };
  const type = typeCode(storedType);
  if (type === undefined) return problem('unknown-type', `unknown record type "${storedType}"`);
  const text = contentText(type, content ?? '', prio);
  const parsed = checkRdata(type, text, '.');
  if (!parsed.ok) return problem('bad-content', `content "${clip(content ?? '')}" does not parse: ${parsed.error}`);
  const rr: RR = { name, type, class: CLASS_IN, ttl: ttl === null || ttl < 0 ? defaultTtl : ttl, data: parsed.data };
  return { kind: 'record', rr, auth: auth !== 0 };
}

// PowerDNS's SOA defaults (fillSOAData) for content that stops early.
const SOA_DEFAULTS = ['a.misconfigured.dns.server.invalid', 'hostmaster', '0', '10800', '3600', '604800', '3600'];

function contentText(type: number, content: string, prio: number | null): string {
  if ((type === TYPE.MX || type === TYPE.SRV) && prio !== null) return `${prio} ${content}`;
  // Empty TXT/SPF content (written by SQL: the API refuses it): PowerDNS serves one empty string.
  if ((type === TYPE.TXT || type === TYPE.SPF) && content === '') return '""';
  if (type === TYPE.SOA) {
    const fields = content.trim().split(/\s+/).filter((f) => f !== '');
    if (fields.length >= 2 && fields.length < 7) return [...fields, ...SOA_DEFAULTS.slice(fields.length)].join(' ');
  }
  return content;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The zone apex for a domains.name value, lower-case FQDN. */
export function domainOrigin(storedName: string): string {
  return lowerName(storedNameToFqdn(storedName));
}
