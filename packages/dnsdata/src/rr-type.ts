// RR type mnemonics <-> codes (IANA "Resource Record (RR) TYPEs" registry),
// plus RFC 3597 §5's TYPEnnn form for any code, and PowerDNS's LUA.
import { TYPE } from './types.js';

const EXTRA: Record<string, number> = {
  MB: 7, MG: 8, MR: 9, NULL: 10, WKS: 11, MINFO: 14, RP: 17, AFSDB: 18, KEY: 25, LOC: 29,
  NAPTR: 35, KX: 36, CERT: 37, DNAME: 39, APL: 42, IPSECKEY: 45, DHCID: 49, NSEC3: 50,
  NSEC3PARAM: 51, SMIMEA: 53, HIP: 55, CDS: 59, CDNSKEY: 60, OPENPGPKEY: 61, CSYNC: 62,
  ZONEMD: 63, EUI48: 108, EUI64: 109, TKEY: 249, TSIG: 250, URI: 256, DLV: 32769,
};

const BY_NAME = new Map<string, number>();
const BY_CODE = new Map<number, string>();
for (const [name, code] of [...Object.entries(TYPE), ...Object.entries(EXTRA)]) {
  BY_NAME.set(name, code);
  if (!BY_CODE.has(code)) BY_CODE.set(code, name);
}

/** Types that only appear in queries or transport (RFC 6895 §3.1): never record data. */
export const META_TYPES: ReadonlySet<number> = new Set([TYPE.OPT, TYPE.AXFR, TYPE.IXFR, TYPE.ANY, 249, 250, 0]);

/** The code for a mnemonic ("A", "aaaa", "TYPE123", "LUA"), case-insensitive; undefined if unknown. */
export function typeCode(name: string): number | undefined {
  const known = BY_NAME.get(name) ?? BY_NAME.get(name.toUpperCase());
  if (known !== undefined) return known;
  if (/^TYPE[0-9]{1,5}$/i.test(name)) {
    const n = Number(name.slice(4));
    if (n <= 0xffff) return n;
  }
  return undefined;
}

/** The mnemonic for a code, or "TYPEnnn" (RFC 3597 §5) when it has none. */
export function typeName(code: number): string {
  return BY_CODE.get(code) ?? `TYPE${code}`;
}
