// EDNS Client Subnet option, RFC 7871 §6.
//
//                 +0 (MSB)                            +1 (LSB)
//       +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//    0: |                          OPTION-CODE (8)                      |
//       +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//    2: |                         OPTION-LENGTH                         |
//       +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//    4: |                            FAMILY                             |
//       +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//    6: |     SOURCE PREFIX-LENGTH      |     SCOPE PREFIX-LENGTH       |
//       +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//    8: |                           ADDRESS...                          /
//       +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//
// ADDRESS holds exactly ceil(SOURCE PREFIX-LENGTH / 8) octets and every bit
// past the source prefix must be zero; in a query SCOPE must be 0 (§7.1.1);
// each violation gets FORMERR (§7.1.1).
import type { Ecs } from './types.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './addr.js';

export const OPTION_ECS = 8;

/**
 * Reads the option data (after code and length) at buf[off..off+len).
 * Returns the option or why it is malformed. `query` enforces SCOPE = 0.
 */
export function parseEcs(buf: Buffer, off: number, len: number, query: boolean): Ecs | string {
  if (len < 4) return 'ECS option shorter than 4 octets';
  const family = buf.readUInt16BE(off);
  const source = buf[off + 2];
  const scope = buf[off + 3];
  if (family !== 1 && family !== 2) return `ECS family ${family} is not 1 (IPv4) or 2 (IPv6)`;
  const max = family === 1 ? 32 : 128;
  if (source > max) return `ECS source prefix ${source} is longer than ${max}`;
  if (scope > max) return `ECS scope prefix ${scope} is longer than ${max}`;
  if (query && scope !== 0) return `ECS scope prefix must be 0 in a query, got ${scope}`;
  const n = (source + 7) >> 3;
  if (len - 4 !== n) return `ECS address is ${len - 4} octets, source prefix ${source} needs ${n}`;
  if (n > 0 && source % 8 !== 0) {
    const mask = 0xff >> (source % 8);
    if ((buf[off + 4 + n - 1] & mask) !== 0) return `ECS address has bits set beyond the source prefix /${source}`;
  }
  const full = new Uint8Array(family === 1 ? 4 : 16);
  for (let i = 0; i < n; i++) full[i] = buf[off + 4 + i];
  const address = family === 1 ? formatIPv4(full, 0) : formatIPv6(full, 0);
  return { family, sourcePrefix: source, scopePrefix: scope, address };
}

/** Octets the option takes on the wire, header included. */
export function ecsLength(ecs: Ecs): number {
  return 8 + ((ecs.sourcePrefix + 7) >> 3);
}

/**
 * Writes the whole option (code, length, data) at buf[pos] with the given
 * scope; returns the offset after it. Address bits past the source prefix are
 * cleared. Throws on an address that does not parse: Ecs values come from
 * parseEcs, so that is a bug.
 */
const full = new Uint8Array(16);

export function writeEcs(buf: Buffer, pos: number, ecs: Ecs, scope: number): number {
  const ok = ecs.family === 1 ? parseIPv4(ecs.address, full, 0) : parseIPv6(ecs.address, full, 0);
  if (!ok) throw new Error(`ECS address "${ecs.address}" is not family ${ecs.family} text`);
  const n = (ecs.sourcePrefix + 7) >> 3;
  buf.writeUInt16BE(OPTION_ECS, pos);
  buf.writeUInt16BE(4 + n, pos + 2);
  buf.writeUInt16BE(ecs.family, pos + 4);
  buf[pos + 6] = ecs.sourcePrefix;
  buf[pos + 7] = scope;
  for (let i = 0; i < n; i++) buf[pos + 8 + i] = full[i];
  if (ecs.sourcePrefix % 8 !== 0) buf[pos + 8 + n - 1] &= 0xff00 >> (ecs.sourcePrefix % 8);
  return pos + 8 + n;
}
