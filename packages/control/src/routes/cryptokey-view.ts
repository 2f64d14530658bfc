// Stored keys → PowerDNS's Cryptokey objects (ws-auth.cc apiZoneCryptokeysGET,
// 4.7), fields in PowerDNS's (alphabetical) order:
//   {active, algorithm, bits, cds?, dnskey, ds?, flags, id, keytype, privatekey?, published, type: "Cryptokey"}
// Listed in PowerDNS's order (ZSKs and CSKs by id, then KSKs by id); keytype is PowerDNS's role (ksk/zsk/csk, decided per algorithm); `ds` (SHA-1,
// SHA-256, SHA-384) only for KSKs and CSKs; `cds` only when the PUBLISH-CDS
// metadata names digest types; `privatekey` only for a single key.
// A key whose stored text does not parse is listed with `error` and no DNSKEY,
// so an operator can see and delete it (PowerDNS fails the whole listing).
import {
  dnskeyRdata, dnskeyText, dsRdata, dsText, keyTypes, parsePrivateKey, DS_DIGESTS, type DsDigestType, type KeyType,
} from '@geoedge/dnsdata';
import type { CryptokeyRow, MetadataRow } from '@geoedge/zonedb';

export interface ApiCryptokey {
  active: boolean;
  algorithm: string;
  bits: number;
  cds?: string[];
  dnskey: string;
  ds?: string[];
  error?: string;
  flags: number;
  id: number;
  keytype: KeyType;
  privatekey?: string;
  published: boolean;
  type: 'Cryptokey';
}

/** The digest types PUBLISH-CDS names ("2", "2, 4"); undefined when it names none (no CDS, as PowerDNS with an empty value). */
export function cdsDigests(meta: MetadataRow[]): DsDigestType[] | undefined {
  const row = meta.find((m) => m.kind === 'PUBLISH-CDS');
  if (!row) return undefined;
  const out: DsDigestType[] = [];
  for (const part of row.content.split(/[\s,]+/)) if (part in DS_DIGESTS) out.push(Number(part) as DsDigestType);
  return out.length ? out : undefined;
}

// Parsing a key checks it by signing (and RSA's arithmetic): done once per stored
// text, not per listing. Bounded; the oldest entries go first.
const parsedKeys = new Map<string, ReturnType<typeof parsePrivateKey>>();
const PARSED_MAX = 2000;

function parseCached(content: string): ReturnType<typeof parsePrivateKey> {
  let r = parsedKeys.get(content);
  if (!r) {
    r = parsePrivateKey(content);
    if (parsedKeys.size >= PARSED_MAX) parsedKeys.delete(parsedKeys.keys().next().value as string);
    parsedKeys.set(content, r);
  }
  return r;
}

/** Every key of a zone as PowerDNS lists it (`withPrivate`: the text too, for a single-key GET). */
export function cryptokeyObjects(zoneFqdn: string, rows: CryptokeyRow[], meta: MetadataRow[], withPrivate = false): ApiCryptokey[] {
  const parsed = rows.map((r) => parseCached(r.content));
  const types = keyTypes(rows.map((r, i) => {
    const p = parsed[i]!;
    return { flags: r.flags, active: r.active, algorithm: p.ok ? p.key.algorithm.number : -1 };
  }));
  const cds = cdsDigests(meta);
  const objects = rows.map((r, i): ApiCryptokey => {
    const p = parsed[i]!;
    const keytype = types[i]!;
    const base = { active: r.active, flags: r.flags, id: r.id, keytype, published: r.published, type: 'Cryptokey' as const };
    if (!p.ok) return { ...base, algorithm: 'unknown', bits: 0, dnskey: '', error: p.error };
    const rdata = dnskeyRdata(r.flags, p.key);
    const signing = keytype !== 'zsk';
    return {
      active: r.active,
      algorithm: p.key.algorithm.mnemonic,
      bits: p.key.bits,
      ...(signing && cds ? { cds: cds.map((d) => dsText(dsRdata(zoneFqdn, rdata, d))) } : {}),
      dnskey: dnskeyText(rdata),
      ...(signing ? { ds: ([1, 2, 4] as const).map((d) => dsText(dsRdata(zoneFqdn, rdata, d))) } : {}),
      flags: r.flags,
      id: r.id,
      keytype,
      ...(withPrivate ? { privatekey: r.content } : {}),
      published: r.published,
      type: 'Cryptokey',
    };
  });
  // DNSSECKeeper::getKeys sorts by (!keyType, id), with KSK = 0 in its enum: every
  // ZSK and CSK by id, then the KSKs by id.
  return objects.sort((a, b) => Number(a.keytype === 'ksk') - Number(b.keytype === 'ksk') || a.id - b.id);
}
