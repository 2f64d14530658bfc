// Bodies of POST …/zones, PUT …/zones/{id} and the metadata routes, checked
// as PowerDNS checks them (ws-auth.cc apiServerZones / apiServerZoneDetail /
// apiZoneMetadata), before anything is written.
import { storedName, refOf, type ZoneRef } from './zone-id.js';
import { canonicalName, checkRRsets, hostnameLike, isObject, str, type Checked } from './zone-input.js';
import type { RRsetWrite, ZoneFields, ZoneSpec } from '@geoedge/zonedb';
import { formatNsec3Param, parseNsec3Param } from '@geoedge/dnsdata';
import { defaultZoneKeys } from './cryptokey-input.js';

const KINDS: Record<string, string> = {
  NATIVE: 'NATIVE', MASTER: 'MASTER', SLAVE: 'SLAVE', PRIMARY: 'MASTER', SECONDARY: 'SLAVE',
};

// pdns/dbdnsseckeeper.cc isValidMetadataKind: kinds the API may read and those it may also change.
const METADATA_KINDS = new Set([
  'ALLOW-AXFR-FROM', 'AXFR-SOURCE', 'ALLOW-DNSUPDATE-FROM', 'TSIG-ALLOW-DNSUPDATE', 'FORWARD-DNSUPDATE',
  'SOA-EDIT-DNSUPDATE', 'NOTIFY-DNSUPDATE', 'ALSO-NOTIFY', 'AXFR-MASTER-TSIG', 'GSS-ALLOW-AXFR-PRINCIPAL',
  'GSS-ACCEPTOR-PRINCIPAL', 'IXFR', 'LUA-AXFR-SCRIPT', 'NSEC3NARROW', 'NSEC3PARAM', 'PRESIGNED',
  'PUBLISH-CDNSKEY', 'PUBLISH-CDS', 'SLAVE-RENOTIFY', 'SOA-EDIT', 'TSIG-ALLOW-AXFR', 'TSIG-ALLOW-DNSUPDATE',
  // Ours: geodns enables LUA records per zone with it; PowerDNS 4.7 only sets it with pdnsutil.
  'ENABLE-LUA-RECORDS',
]);
const PROTECTED_KINDS = new Set(['API-RECTIFY', 'AXFR-MASTER-TSIG', 'NSEC3NARROW', 'NSEC3PARAM', 'PRESIGNED', 'LUA-AXFR-SCRIPT', 'TSIG-ALLOW-AXFR']);

export function checkMetadataKind(kind: unknown, readOnly: boolean): Checked<string> {
  if (typeof kind !== 'string' || kind === '') return { ok: false, error: "Key 'kind' not present or not a String" };
  const k = kind; // case matters, as in PowerDNS
  const known = k.startsWith('X-') || METADATA_KINDS.has(k);
  if (!known || (!readOnly && PROTECTED_KINDS.has(k)) || k.length > 32) return { ok: false, error: `Unsupported metadata kind '${kind}'` };
  return { ok: true, value: k };
}

export function checkMetadataValues(v: unknown): Checked<string[]> {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return { ok: false, error: "Key 'metadata' not present or not an array of Strings" };
  if (v.some((x) => Buffer.byteLength(x) > 65535)) return { ok: false, error: 'Metadata value is longer than 65535 bytes' };
  return { ok: true, value: v as string[] };
}

function optString(o: Record<string, unknown>, key: string, max: number): Checked<string | undefined> {
  if (o[key] === undefined || o[key] === null) return { ok: true, value: undefined };
  const v = str(o, key);
  if (!v.ok) return v;
  if (v.value.length > max) return { ok: false, error: `Key '${key}' is longer than ${max} characters` };
  return v;
}

function checkMasters(v: unknown): Checked<string[] | undefined> {
  if (v === undefined || v === null) return { ok: true, value: undefined };
  if (!Array.isArray(v)) return { ok: false, error: "Key 'masters' is not an array" };
  for (const m of v) {
    // IPv4, [IPv6] or IPv6, with an optional port: what ComboAddress accepts.
    if (typeof m !== 'string' || !/^(?:[0-9.]+(?::\d{1,5})?|\[?[0-9A-Fa-f:.]+\]?(?::\d{1,5})?)$/.test(m)) {
      return { ok: false, error: `Master (${String(m)}) is not an IP address: Unable to convert presentation address '${String(m)}'` };
    }
  }
  if ((v as string[]).join(',').length > 128) return { ok: false, error: 'Too many masters' };
  return { ok: true, value: v as string[] };
}

/** PUT …/zones/{id}: the fields PowerDNS lets a client change (`ref`: the zone, for DNSSEC messages). */
export async function checkZoneFields(body: unknown, ref: ZoneRef): Promise<Checked<ZoneFields>> {
  if (!isObject(body)) return { ok: false, error: 'Request body is not a JSON object' };
  const out: ZoneFields = {};
  // PowerDNS reads a kind it does not know as Native.
  if (typeof body.kind === 'string') out.kind = KINDS[body.kind.toUpperCase()] ?? 'NATIVE';
  const masters = checkMasters(body.masters);
  if (!masters.ok) return masters;
  if (masters.value) out.masters = masters.value;
  // PowerDNS stores any SOA-EDIT(-API) text; kinds it does not know leave the serial alone.
  for (const [key, max] of [['account', 40], ['soa_edit_api', 255], ['soa_edit', 255], ['catalog', 255]] as const) {
    const v = optString(body, key, max);
    if (!v.ok) return v;
    if (v.value === undefined) continue;
    if (key === 'account') out.account = v.value;
    if (key === 'soa_edit_api') out.soaEditApi = v.value;
    if (key === 'soa_edit') out.soaEdit = v.value;
    if (key === 'catalog') out.catalog = v.value === '' ? '' : storedName(v.value.endsWith('.') ? v.value : `${v.value}.`);
  }
  if (body.api_rectify !== undefined) {
    if (typeof body.api_rectify !== 'boolean') return { ok: false, error: "Key 'api_rectify' is not a Boolean" };
    out.apiRectify = body.api_rectify;
  }
  // PowerDNS reads dnssec and nsec3narrow only when they are booleans, nsec3param only when a string.
  if (typeof body.dnssec === 'boolean') {
    out.dnssec = body.dnssec;
    if (body.dnssec) out.newKeys = await defaultZoneKeys();
  }
  const nsec3 = checkNsec3(body, ref);
  if (!nsec3.ok) return nsec3;
  if (nsec3.value !== undefined) {
    out.nsec3param = nsec3.value;
    out.nsec3narrow = body.nsec3narrow === true;
  }
  return { ok: true, value: out };
}

/** The NSEC3PARAM text to store ('' removes it), or undefined when the body has none. */
function checkNsec3(body: Record<string, unknown>, ref: ZoneRef): Checked<string | undefined> {
  if (typeof body.nsec3param !== 'string') return { ok: true, value: undefined };
  if (body.nsec3param === '') return { ok: true, value: '' };
  const p = parseNsec3Param(body.nsec3param);
  if (!p.ok) return { ok: false, error: `NSEC3PARAMs provided for zone '${ref.fqdn}' are invalid. ${p.error}.` };
  return { ok: true, value: formatNsec3Param(p.value) };
}

/** POST …/zones: the new zone with its SOA/NS and rrsets. */
export async function checkZoneCreate(body: unknown): Promise<Checked<{ ref: ZoneRef; spec: ZoneSpec }>> {
  if (!isObject(body)) return { ok: false, error: 'Request body is not a JSON object' };
  const nameText = str(body, 'name');
  if (!nameText.ok) return nameText;
  const name = canonicalName(nameText.value);
  if (!name.ok) return name;
  if (!hostnameLike(name.value)) return { ok: false, error: `Name '${nameText.value}' contains unsupported characters` };
  const ref = refOf(name.value);
  if (ref.stored.length > 255) return { ok: false, error: 'Zone name is too long' };
  const kind = str(body, 'kind');
  if (!kind.ok) return kind;
  const fields = await checkZoneFields(body, ref);
  if (!fields.ok) return fields;
  const f = fields.value;
  if (f.nsec3param && f.dnssec !== true) return { ok: false, error: `NSEC3PARAM value provided for zone '${ref.fqdn}', but zone is not DNSSEC secured.` };
  const rrsets: RRsetWrite[] = [];
  if (body.rrsets !== undefined) {
    const checked = await checkRRsets(body.rrsets, ref, 'REPLACE');
    if (!checked.ok) return checked;
    rrsets.push(...checked.value);
  }
  const ns = await nameserverRRset(body.nameservers, ref);
  if (!ns.ok) return ns;
  if (ns.value) {
    if (rrsets.some((r) => r.type === 'NS' && r.name === ref.stored)) return { ok: false, error: 'Nameservers list MUST NOT be mixed with zone-level NS in rrsets' };
    rrsets.push(ns.value);
  }
  return {
    ok: true,
    value: {
      ref,
      spec: {
        name: ref.stored, kind: f.kind ?? 'NATIVE', masters: f.masters ?? [], account: f.account ?? '',
        soaEditApi: f.soaEditApi ?? 'DEFAULT', soaEdit: f.soaEdit ?? '', ...(f.apiRectify !== undefined ? { apiRectify: f.apiRectify } : {}),
        ...(f.catalog ? { catalog: f.catalog } : {}), rrsets,
        ...(f.dnssec && f.newKeys ? { dnssec: { keys: f.newKeys, ...(f.nsec3param ? { nsec3param: f.nsec3param, nsec3narrow: f.nsec3narrow === true } : {}) } } : {}),
      },
    },
  };
}

async function nameserverRRset(list: unknown, ref: ZoneRef): Promise<Checked<RRsetWrite | undefined>> {
  if (list === undefined || list === null) return { ok: true, value: undefined };
  if (!Array.isArray(list) || !list.every((n) => typeof n === 'string')) return { ok: false, error: 'Nameservers is not a list' };
  if (list.length === 0) return { ok: true, value: undefined };
  const checked = await checkRRsets([{
    name: ref.fqdn, type: 'NS', ttl: 3600, changetype: 'REPLACE',
    records: (list as string[]).map((content) => ({ content, disabled: false })),
  }], ref);
  if (!checked.ok) {
    const bad = (list as string[]).find((n) => !canonicalName(n).ok);
    return { ok: false, error: bad !== undefined ? `Nameserver is not canonical: '${bad}'` : checked.error };
  }
  return { ok: true, value: checked.value[0] };
}
