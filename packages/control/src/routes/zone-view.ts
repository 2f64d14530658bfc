// Stored rows → PowerDNS API objects (Zone, RRSet, Record, Comment, Metadata)
// and zone-file export text, in the shapes and orders PowerDNS 4.7 uses:
//   - RRsets sorted as ws-auth.cc fillZone does: by name, then type code,
//     both descending, where names compare as DNSName::operator< (the wire
//     form read backwards, ASCII case-insensitive);
//   - comment-only RRsets appear with records [] and ttl 0;
//   - export lines "name.\tttl\tIN\ttype\tcontent" in the backend's list order.
import { typeCode } from '@geoedge/dnsdata';
import { editSerial, soaSerialOf, type DomainRow, type MetadataRow, type StoredComment, type StoredRecord } from '@geoedge/zonedb';
import { toApi } from './rr-content.js';
import { zoneIdOf } from './zone-id.js';

export interface ApiRRset {
  comments: Array<{ account: string; content: string; modified_at: number }>;
  name: string;
  records: Array<{ content: string; disabled: boolean }>;
  ttl: number;
  type: string;
}

const KINDS: Record<string, string> = { NATIVE: 'Native', MASTER: 'Master', SLAVE: 'Slave', PRODUCER: 'Producer', CONSUMER: 'Consumer' };

function fqdnOf(stored: string): string {
  return stored === '' ? '.' : `${stored}.`;
}

function metaValue(meta: MetadataRow[], kind: string): string {
  return meta.find((m) => m.kind === kind)?.content ?? '';
}

/** The fields of a zone in the zone list (GET …/zones); `secured`: it has an active DNSSEC key. */
export function zoneSummary(d: DomainRow, soaContent: string | undefined, meta: MetadataRow[], secured: boolean) {
  const fqdn = fqdnOf(d.name);
  const id = zoneIdOf(fqdn);
  const serial = soaContent === undefined ? 0 : soaSerialOf(soaContent) ?? 0;
  const soaEdit = metaValue(meta, 'SOA-EDIT');
  return {
    account: d.account ?? '',
    catalog: d.catalog ? fqdnOf(d.catalog) : '',
    dnssec: secured,
    edited_serial: soaEdit === '' ? serial : editSerial(serial, soaEdit, new Date()),
    id,
    kind: KINDS[d.type.toUpperCase()] ?? d.type,
    last_check: d.last_check ?? 0,
    masters: (d.master ?? '').split(/[,\s]+/).filter((m) => m !== ''),
    name: fqdn,
    notified_serial: d.notified_serial ?? 0,
    serial,
    url: `/api/v1/servers/localhost/zones/${id}`,
  };
}

/** The full Zone object (GET …/zones/{id}); `rrsets` undefined leaves the key out (?rrsets=false). */
export function zoneDetail(d: DomainRow, soaContent: string | undefined, meta: MetadataRow[], secured: boolean, rrsets?: ApiRRset[]) {
  return {
    ...zoneSummary(d, soaContent, meta, secured),
    api_rectify: metaValue(meta, 'API-RECTIFY') === '1',
    master_tsig_key_ids: [],
    nsec3narrow: metaValue(meta, 'NSEC3NARROW') === '1',
    nsec3param: metaValue(meta, 'NSEC3PARAM'),
    ...(rrsets ? { rrsets } : {}),
    slave_tsig_key_ids: [],
    soa_edit: metaValue(meta, 'SOA-EDIT'),
    soa_edit_api: metaValue(meta, 'SOA-EDIT-API'),
  };
}

/** Groups records and comments into RRsets, sorted as PowerDNS sorts them. */
export function buildRRsets(records: StoredRecord[], comments: StoredComment[]): ApiRRset[] {
  const sets = new Map<string, ApiRRset>();
  const get = (name: string, type: string): ApiRRset => {
    const key = `${name.toLowerCase()}\0${type}`;
    let s = sets.get(key);
    if (!s) {
      s = { comments: [], name: fqdnOf(name), records: [], ttl: 0, type };
      sets.set(key, s);
    }
    return s;
  };
  for (const r of records) {
    const s = get(r.name, r.type);
    s.records.push({ content: toApi(r.type, r.content, r.prio), disabled: r.disabled === 1 });
    s.ttl = r.ttl ?? 3600;
  }
  for (const c of comments) get(c.name, c.type).comments.push({ account: c.account ?? '', content: c.comment, modified_at: Number(c.modified_at) });
  // Sort keys computed once per RRset, not per comparison.
  const keyed = [...sets.values()].map((set) => ({ set, wire: Buffer.from(wireBackwards(set.name)), code: typeCode(set.type) ?? 0 }));
  keyed.sort((a, b) => Buffer.compare(b.wire, a.wire) || b.code - a.code);
  return keyed.map((k) => k.set);
}

/** DNSName::operator< compares the wire form read backwards, ASCII case folded: this is that key. */
function wireBackwards(fqdn: string): number[] {
  const labels = fqdn === '.' ? [] : fqdn.toLowerCase().replace(/\.$/, '').split(/(?<!\\)\./);
  const out: number[] = [];
  for (const l of labels) {
    const bytes = Buffer.from(l.replace(/\\(\d{3}|.)/g, (_m, e: string) => (e.length === 3 ? String.fromCharCode(Number(e)) : e)), 'latin1');
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  return out.reverse();
}

/** Zone-file text as GET …/export returns it (enabled records, list order). */
export function exportText(records: StoredRecord[]): string {
  return records
    .filter((r) => r.disabled !== 1)
    .map((r) => `${fqdnOf(r.name)}\t${r.ttl ?? 3600}\tIN\t${r.type}\t${toApi(r.type, r.content, r.prio)}\n`)
    .join('');
}

/** Metadata rows grouped per kind, as PowerDNS's Metadata objects. */
export function metadataObjects(rows: MetadataRow[]) {
  const byKind = new Map<string, string[]>();
  for (const r of rows) {
    const list = byKind.get(r.kind) ?? [];
    list.push(r.content);
    byKind.set(r.kind, list);
  }
  return [...byKind].map(([kind, metadata]) => ({ kind, metadata, type: 'Metadata' }));
}
