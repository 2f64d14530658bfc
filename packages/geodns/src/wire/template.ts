// Precompiled answers. A static answer (same records for every client) is
// encoded once per zone snapshot; serving it is then a copy plus a few patches:
//
//   offset 0   ID        ← the query's ID
//   offset 2   flags     ← RD and CD copied from the query (RFC 1035 §4.1.1, RFC 4035 §3.2.2)
//   offset 10  ARCOUNT   ← +1 when we append our OPT
//   offset 12  question  ← the query's own question bytes (same length, only
//                          ASCII case can differ, so compression pointers into
//                          it stay valid and the case is echoed as sent)
//   end        OPT       ← appended per query: the ECS echo differs per client
//
// If the copy would exceed the client's size limit, a precompiled
// header + question with TC=1 is used instead (RFC 2181 §9).
import type { Query, ResponseMessage } from './types.js';
import { encodeResponse, encodeTruncated, optLength, writeOpt, FLAG_CD, FLAG_RD, type OptOut } from './message.js';

export interface Template {
  /** The whole response, ID 0, no OPT. */
  readonly full: Buffer;
  /** Header + question, TC=1, no OPT. */
  readonly truncated: Buffer;
  /** Octets of the question section. */
  readonly questionLength: number;
}

const COPIED = FLAG_RD | FLAG_CD;

/** Encodes `msg` (without opt; question lower-cased) once. Throws like encodeResponse on bad rdata. */
export function makeTemplate(msg: ResponseMessage): Template {
  const base: ResponseMessage = { ...msg, id: 0, opt: undefined };
  return {
    full: encodeResponse(base, 0xffff),
    truncated: encodeTruncated(base),
    questionLength: msg.question ? msg.question.length : 0,
  };
}

/** The template answered to `q`: its ID, RD/CD, question case, and our OPT if `opt`. */
export function renderTemplate(t: Template, q: Query, opt: OptOut | undefined, maxSize: number): Buffer {
  return renderStored(t.full, 0, t.full.length, t.truncated, 0, t.truncated.length, t.questionLength, q, opt, maxSize);
}

/**
 * renderTemplate over bytes stored anywhere (stages/answer-arena.ts keeps many
 * answers in one Buffer): the full answer at full[fullAt, +fullLen), its TC=1
 * stub at trunc[truncAt, +truncLen).
 */
export function renderStored(
  full: Buffer, fullAt: number, fullLen: number, trunc: Buffer, truncAt: number, truncLen: number,
  questionLength: number, q: Query, opt: OptOut | undefined, maxSize: number,
): Buffer {
  const extra = opt ? optLength(opt) : 0;
  let src = full, at = fullAt, len = fullLen;
  if (len + extra > maxSize) { src = trunc; at = truncAt; len = truncLen; }
  const out = Buffer.allocUnsafe(len + extra);
  src.copy(out, 0, at, at + len);
  out.writeUInt16BE(q.id, 0);
  out.writeUInt16BE((out.readUInt16BE(2) & ~COPIED) | (q.flags & COPIED), 2);
  // A different length would mean a template for another name: keep ours.
  if (q.question.length === questionLength) q.question.copy(out, 12);
  if (opt) {
    writeOpt(out, len, opt);
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  }
  return out;
}
