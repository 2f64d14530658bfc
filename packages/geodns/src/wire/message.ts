// Response encoding, RFC 1035 §4.1:
//     +---------------------+
//     |        Header       |  ID, flags, QDCOUNT ANCOUNT NSCOUNT ARCOUNT
//     +---------------------+
//     |       Question      |  copied verbatim from the query (case kept)
//     +---------------------+
//     |        Answer       |
//     +---------------------+
//     |      Authority      |
//     +---------------------+
//     |      Additional     |  ... then our OPT last (RFC 6891 §6.1.1)
//     +---------------------+
// Over maxSize: header + question (+ OPT) with TC=1 and no records at all,
// so a partial RRset is never sent (RFC 2181 §9); the client retries on TCP.
import type { RR } from '@geoedge/dnsdata';
import type { ResponseMessage } from './types.js';
import { Encoder } from './writer.js';
import { writeRdata } from './rdata.js';
import { ecsLength, writeEcs } from './ecs.js';
import { TYPE_OPT } from './query.js';
import { OPTION_COOKIE } from './cookie.js';

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_CD = 0x0010;

export type OptOut = NonNullable<ResponseMessage['opt']>;

const enc = new Encoder();

/** The response as bytes; a TC=1 stub when it would exceed maxSize (≤ 65535) octets. */
export function encodeResponse(msg: ResponseMessage, maxSize: number): Buffer {
  const e = enc;
  e.reset();
  const limit = Math.min(maxSize, 0xffff) - (msg.opt ? optLength(msg.opt) : 0);
  writeHeader(e, msg.id, msg.flags, msg, msg.answer.length, msg.authority.length, msg.additional.length);
  if (msg.question) {
    e.bytes(msg.question);
    e.register(12, e.pos - 4);
  }
  if (!writeSection(e, msg.answer, limit) || !writeSection(e, msg.authority, limit) || !writeSection(e, msg.additional, limit)) {
    return encodeTruncated(msg);
  }
  if (msg.opt) e.pos = writeOpt(e.buf, e.pos, msg.opt);
  return copyOut(e);
}

/** Header + question (+ OPT), TC=1, no records. */
export function encodeTruncated(msg: ResponseMessage): Buffer {
  const e = enc;
  e.reset();
  writeHeader(e, msg.id, msg.flags | FLAG_TC, msg, 0, 0, 0);
  if (msg.question) e.bytes(msg.question);
  if (msg.opt) e.pos = writeOpt(e.buf, e.pos, msg.opt);
  return copyOut(e);
}

function writeHeader(e: Encoder, id: number, flags: number, msg: ResponseMessage, an: number, ns: number, ar: number): void {
  e.u16(id);
  e.u16(flags);
  e.u16(msg.question ? 1 : 0);
  e.u16(an);
  e.u16(ns);
  e.u16(ar + (msg.opt ? 1 : 0));
}

/** False as soon as the message passes `limit` octets. */
function writeSection(e: Encoder, rrs: RR[], limit: number): boolean {
  for (let i = 0; i < rrs.length; i++) {
    const rr = rrs[i];
    e.name(rr.name, true);
    e.u16(rr.type);
    e.u16(rr.class);
    e.u32(rr.ttl);
    writeRdata(e, rr.type, rr.data);
    if (e.pos > limit) return false;
  }
  return true;
}

function copyOut(e: Encoder): Buffer {
  const out = Buffer.allocUnsafe(e.pos);
  e.buf.copy(out, 0, 0, e.pos);
  return out;
}

/** Octets our OPT record takes. */
export function optLength(opt: OptOut): number {
  return 11 + (opt.ecs ? ecsLength(opt.ecs) : 0) + (opt.cookie ? 4 + opt.cookie.length : 0);
}

/**
 * Our OPT pseudo-RR, RFC 6891 §6.1.2-3: owner root, CLASS = the payload size
 * we accept, TTL = extended RCODE (upper 8 bits of the 12-bit rcode) | version 0
 * | DO. The ECS option is echoed with the scope we chose (RFC 7871 §7.2.1),
 * then the COOKIE option if the query had one (RFC 7873 §5.2).
 */
export function writeOpt(buf: Buffer, pos: number, opt: OptOut): number {
  buf[pos] = 0;
  buf.writeUInt16BE(TYPE_OPT, pos + 1);
  buf.writeUInt16BE(opt.payload, pos + 3);
  buf[pos + 5] = opt.extendedRcode;
  buf[pos + 6] = 0;
  buf[pos + 7] = opt.dnssecOk ? 0x80 : 0;
  buf[pos + 8] = 0;
  let end = opt.ecs ? writeEcs(buf, pos + 11, opt.ecs, opt.ecs.scopePrefix) : pos + 11;
  if (opt.cookie) {
    // RFC 7873 §5.2: the client cookie and our server cookie.
    buf.writeUInt16BE(OPTION_COOKIE, end);
    buf.writeUInt16BE(opt.cookie.length, end + 2);
    buf.set(opt.cookie, end + 4);
    end += 4 + opt.cookie.length;
  }
  buf.writeUInt16BE(end - pos - 11, pos + 9);
  return end;
}
