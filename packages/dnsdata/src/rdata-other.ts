// Types with a text form but no Rdata variant of their own: their text is
// turned into wire octets (kept as kind 'raw') and shown back in the same
// text form PowerDNS uses, so zones and API rows holding them still load.
//   HINFO  cpu os                                 RFC 1035 §3.3.2  (two character-strings)
//   SSHFP  algorithm fp-type fingerprint(hex)     RFC 4255 §3.1
//   TLSA / SMIMEA  usage selector mtype data(hex) RFC 6698 §2.1, RFC 8162
//   DNSKEY / CDNSKEY  flags protocol algorithm key(base64)  RFC 4034 §2, RFC 7344
//   OPENPGPKEY  key(base64)                       RFC 7929 §2.3
//   LOC  rdata-loc.ts | SVCB HTTPS  rdata-svcb.ts | RP URI  rdata-names.ts
// CDS shares DS's shape (RFC 7344 §3.1) and so uses the 'ds' variant.
import { TYPE } from './types.js';
import type { Cursor } from './rdata-cursor.js';
import { encodeCharString } from './tokenizer.js';
import { parseLoc, formatLoc } from './rdata-loc.js';
import { parseSvcb, formatSvcb } from './rdata-svcb.js';
import { parseNamesText, formatNamesText } from './rdata-names.js';

const LOC = 29;

export const CDS = 59;
const SMIMEA = 53, CDNSKEY = 60, OPENPGPKEY = 61;

/** Wire octets for the text of one of the types above; undefined for any other type. */
export function parseOtherText(type: number, c: Cursor): Buffer | undefined {
  const u8 = (field: string) => Buffer.from([c.uint(field, 255)]);
  switch (type) {
    case TYPE.HINFO: {
      const cpu = c.charString('cpu');
      const os = c.charString('os');
      return Buffer.concat([Buffer.from([cpu.length]), cpu, Buffer.from([os.length]), os]);
    }
    case TYPE.SSHFP: return Buffer.concat([u8('algorithm'), u8('fingerprint type'), c.hex('fingerprint')]);
    case TYPE.TLSA: case SMIMEA:
      return Buffer.concat([u8('usage'), u8('selector'), u8('matching type'), c.hex('certificate data')]);
    case TYPE.DNSKEY: case CDNSKEY: {
      const flags = Buffer.alloc(2);
      flags.writeUInt16BE(c.uint('flags', 0xffff));
      return Buffer.concat([flags, u8('protocol'), u8('algorithm'), c.base64('public key')]);
    }
    case OPENPGPKEY: return c.base64('public key');
    case LOC: return parseLoc(c);
    case TYPE.SVCB: case TYPE.HTTPS: return parseSvcb(c);
    default: return parseNamesText(type, c);
  }
}

/**
 * The text form of wire octets of one of the types above; undefined if another
 * type or malformed. `noDot`: names without their trailing dot (PowerDNS's stored form).
 */
export function formatOtherText(type: number, b: Buffer, noDot = false): string | undefined {
  switch (type) {
    case TYPE.HINFO: {
      const l1 = b[0];
      if (b.length < 2 || 1 + l1 >= b.length || 2 + l1 + b[1 + l1] !== b.length) return undefined;
      return `${encodeCharString(b.subarray(1, 1 + l1))} ${encodeCharString(b.subarray(2 + l1))}`;
    }
    case TYPE.SSHFP:
      return b.length > 2 ? `${b[0]} ${b[1]} ${b.subarray(2).toString('hex')}` : undefined;
    case TYPE.TLSA: case SMIMEA:
      return b.length > 3 ? `${b[0]} ${b[1]} ${b[2]} ${b.subarray(3).toString('hex')}` : undefined;
    case TYPE.DNSKEY: case CDNSKEY:
      return b.length > 4 ? `${b.readUInt16BE(0)} ${b[2]} ${b[3]} ${b.subarray(4).toString('base64')}` : undefined;
    case OPENPGPKEY:
      return b.length > 0 ? b.toString('base64') : undefined;
    case LOC: return formatLoc(b);
    case TYPE.SVCB: case TYPE.HTTPS: return formatSvcb(b, noDot);
    default: return formatNamesText(type, b, noDot);
  }
}
