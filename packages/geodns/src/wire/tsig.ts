// The TSIG answer for a key we do not know, RFC 8945 §5.2 and §5.3.2: geodns
// holds no TSIG keys, so every signed request gets NOTAUTH with an unsigned
// TSIG record (MAC size 0) carrying error BADKEY.
//
// TSIG RR, RFC 8945 §4.2 (names never compressed):
//     NAME = key name | TYPE = 250 | CLASS = ANY (255) | TTL = 0 | RDLENGTH
//     RDATA:  Algorithm Name (name) | Time Signed (48) | Fudge (16)
//             MAC Size (16) | MAC | Original ID (16) | Error (16)
//             Other Len (16) | Other Data
// Time Signed and Fudge are copied from the request (as for BADTIME, §5.2.3,
// the client's own clock is what it can check against); Original ID too.

import { TYPE_TSIG } from './query.js';

export const TSIG_BADKEY = 17;
const CLASS_ANY = 255;

/** Offset after an uncompressed name at buf[off], or -1 (truncated, compressed, bad label). */
function plainNameEnd(buf: Buffer, off: number): number {
  for (let p = off, n = 0; p < buf.length && n < 128; n++) {
    const len = buf[p]!;
    if (len === 0) return p + 1;
    if (len > 63) return -1; // a compression pointer or a reserved label type
    p += 1 + len;
  }
  return -1;
}

/**
 * The unsigned BADKEY TSIG record answering the request's TSIG record `req`
 * (owner name to end of RDATA), or why it cannot be read (the caller answers FORMERR).
 */
export function badKeyRecord(req: Buffer): Buffer | string {
  const ownerEnd = plainNameEnd(req, 0);
  if (ownerEnd < 0 || ownerEnd + 10 > req.length) return 'TSIG key name unreadable or compressed';
  const rdata = ownerEnd + 10;
  const algEnd = plainNameEnd(req, rdata);
  if (algEnd < 0 || algEnd + 10 > req.length) return 'TSIG algorithm name unreadable or compressed';
  const macSize = req.readUInt16BE(algEnd + 8);
  const idAt = algEnd + 10 + macSize;
  if (idAt + 6 > req.length) return 'TSIG record truncated';
  const owner = req.subarray(0, ownerEnd);
  const alg = req.subarray(rdata, algEnd);
  const rdlen = alg.length + 6 + 2 + 2 + 2 + 2 + 2;
  const out = Buffer.alloc(owner.length + 10 + rdlen);
  let p = owner.copy(out, 0);
  p = out.writeUInt16BE(TYPE_TSIG, p);
  p = out.writeUInt16BE(CLASS_ANY, p);
  p = out.writeUInt32BE(0, p);
  p = out.writeUInt16BE(rdlen, p);
  p += alg.copy(out, p);
  p += req.copy(out, p, algEnd, algEnd + 8); // Time Signed + Fudge
  p = out.writeUInt16BE(0, p);               // MAC Size: unsigned (§5.3.2)
  p = out.writeUInt16BE(req.readUInt16BE(idAt), p);
  p = out.writeUInt16BE(TSIG_BADKEY, p);
  out.writeUInt16BE(0, p);                   // Other Len
  return out;
}

/** `msg` (an encoded response) with `rr` appended to its additional section. */
export function appendAdditional(msg: Buffer, rr: Buffer): Buffer {
  const out = Buffer.concat([msg, rr]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}
