// Types whose data holds domain names or a URI, with no Rdata variant of their
// own (kept as 'raw' wire octets; names uncompressed, RFC 3597 §4):
//   RP   mbox-dname txt-dname                      RFC 1183 §2.2
//   URI  priority weight "target"                  RFC 7553 §4.4 (target: the rest of the RDATA, not a character-string)
// plus the name helpers SVCB/HTTPS use. DNAME (RFC 6672) and PowerDNS's ALIAS
// hold one name and use the 'name' variant.
import type { Cursor } from './rdata-cursor.js';
import { labelsToName, nameToLabels } from './name.js';
import { decodeCharString, encodeCharString } from './tokenizer.js';

export const RP = 17;
export const URI = 256;

/** Uncompressed wire form of an absolute presentation name. */
export function nameToWire(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const l of nameToLabels(name)) parts.push(Buffer.from([l.length]), l);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** An uncompressed name at b[off..]; undefined if it runs out or uses compression. */
export function readWireName(b: Buffer, off: number): { name: string; end: number } | undefined {
  const labels: Buffer[] = [];
  let total = 1;
  for (;;) {
    if (off >= b.length) return undefined;
    const len = b[off]!;
    if (len === 0) return { name: labelsToName(labels), end: off + 1 };
    if (len > 63 || off + 1 + len > b.length) return undefined;
    total += len + 1;
    if (total > 255) return undefined;
    labels.push(b.subarray(off + 1, off + 1 + len));
    off += 1 + len;
  }
}

function shown(name: string, noDot: boolean): string {
  return noDot && name !== '.' ? name.slice(0, -1) : name;
}

/** Wire octets for RP or URI text; undefined for any other type. */
export function parseNamesText(type: number, c: Cursor): Buffer | undefined {
  switch (type) {
    case RP: return Buffer.concat([nameToWire(c.name('mailbox')), nameToWire(c.name('TXT name'))]);
    case URI: {
      const head = Buffer.alloc(4);
      head.writeUInt16BE(c.uint('priority', 0xffff), 0);
      head.writeUInt16BE(c.uint('weight', 0xffff), 2);
      const t = c.token('target');
      if (!t.quoted) throw new Error(`URI target "${t.text}" must be quoted`);
      const target = decodeCharString(t.text);
      if (target.length === 0) throw new Error('URI target is empty');
      return Buffer.concat([head, target]);
    }
    default: return undefined;
  }
}

/** The text of RP or URI wire octets (names without the trailing dot if `noDot`, as PowerDNS stores them). */
export function formatNamesText(type: number, b: Buffer, noDot: boolean): string | undefined {
  switch (type) {
    case RP: {
      const a = readWireName(b, 0);
      const t = a && readWireName(b, a.end);
      return a && t && t.end === b.length ? `${shown(a.name, noDot)} ${shown(t.name, noDot)}` : undefined;
    }
    case URI:
      return b.length > 4 ? `${b.readUInt16BE(0)} ${b.readUInt16BE(2)} ${encodeCharString(b.subarray(4))}` : undefined;
    default: return undefined;
  }
}
