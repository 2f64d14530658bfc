// Query parsing: the first thing every packet meets, so it allocates nothing
// beyond the Query, its qname string and the question slice (plus the Edns /
// Ecs objects when the query has them).
//
// Header, RFC 1035 §4.1.1:
//                                     1  1  1  1  1  1
//       0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//     |                      ID                       |
//     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//     |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
//     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//     |          QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT |
//     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
// Question, §4.1.2: QNAME (labels), QTYPE (16), QCLASS (16).
// OPT pseudo-RR, RFC 6891 §6.1.2 / §6.1.3 (in the additional section):
//     NAME = root (0) | TYPE = 41 | CLASS = requester's UDP payload size |
//     TTL = EXTENDED-RCODE (8) VERSION (8) DO (1) Z (15) | RDLEN | {code, len, data}*
// Rules: more than one OPT, or an OPT not owned by the root → FORMERR
// (§6.1.1); VERSION > 0 → BADVERS (§6.1.3); payload < 512 counts as 512 (§6.2.3).
// TSIG (RFC 8945 §4.2, type 250) must be the last record of the additional
// section (§5.1: else FORMERR); we hold no keys, so a signed query is 'badkey'.
import type { Ecs, Edns, ParseResult, Query } from './types.js';
import { readName, skipName, type NameOut } from './name.js';
import { OPTION_ECS, parseEcs } from './ecs.js';
import { OPTION_COOKIE } from './cookie.js';

export const TYPE_OPT = 41;
export const TYPE_TSIG = 250;

// Scan state, reused across calls (the server parses one packet at a time).
const nameOut: NameOut = { name: '', end: 0 };
const st = {
  qEnd: 0, // offset after the question, 0 if not read
  qtype: 0,
  qclass: 0,
  optAt: -1, // offset of the OPT's TYPE field
  tsigAt: -1, // offset of the TSIG record's owner name
  tsigEnd: 0,
  error: '',
  cookieAt: 0, // the first COOKIE option's data, length 0 if none
  cookieLen: 0,
};

export function parseQuery(buf: Buffer): ParseResult {
  if (buf.length < 12) return { kind: 'drop', reason: 'shorter than a DNS header' };
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return { kind: 'drop', reason: 'a response (QR=1), not a query' };
  const id = buf.readUInt16BE(0);
  const opcode = (flags >> 11) & 0xf;
  const qdcount = buf.readUInt16BE(4);
  scan(buf, qdcount);
  const question = st.qEnd > 0 ? buf.subarray(12, st.qEnd) : undefined;
  const hasOpt = st.optAt >= 0;
  if (opcode !== 0) return { kind: 'notimp', id, flags, question, edns: hasOpt };
  if (st.error !== '') return { kind: 'formerr', id, flags, question, edns: hasOpt, reason: st.error };
  if (qdcount !== 1) return { kind: 'formerr', id, flags, edns: hasOpt, reason: `QDCOUNT is ${qdcount}, not 1` };
  const query: Query = {
    id,
    flags,
    opcode,
    qname: nameOut.name,
    qtype: st.qtype,
    qclass: st.qclass,
    question: question!,
    edns: undefined,
  };
  if (!hasOpt) return signed(buf, query);
  const version = buf[st.optAt + 5];
  const edns: Edns = {
    payload: Math.max(512, buf.readUInt16BE(st.optAt + 2)),
    version,
    dnssecOk: (buf[st.optAt + 6] & 0x80) !== 0,
    ecs: undefined,
    cookieAt: 0,
    cookieLen: 0,
  };
  query.edns = edns;
  if (version > 0) return { kind: 'badvers', query };
  const ecs = readOptions(buf, st.optAt + 10, buf.readUInt16BE(st.optAt + 8));
  if (typeof ecs === 'string') return { kind: 'formerr', id, flags, question, edns: true, reason: ecs };
  edns.ecs = ecs;
  // Its length is judged by the cookie stage (chain.ts): a server without cookies ignores the option.
  edns.cookieAt = st.cookieAt;
  edns.cookieLen = st.cookieLen;
  return signed(buf, query);
}

/** A well-formed query; 'badkey' if it carries a TSIG record (copied: `buf` is reused by the UDP batch). */
function signed(buf: Buffer, query: Query): ParseResult {
  if (st.tsigAt < 0) return { kind: 'ok', query };
  return { kind: 'badkey', query, tsig: Buffer.from(buf.subarray(st.tsigAt, st.tsigEnd)) };
}

/** Walks the sections, filling `st`; st.error says what was wrong, if anything. */
function scan(buf: Buffer, qdcount: number): void {
  st.qEnd = 0;
  st.optAt = -1;
  st.tsigAt = -1;
  st.error = '';
  let p = 12;
  if (qdcount === 1) {
    const bad = readName(buf, 12, true, false, nameOut);
    if (bad !== null) return fail(`question: ${bad}`);
    p = nameOut.end;
    if (p + 4 > buf.length) return fail('question: QTYPE/QCLASS run past the end');
    st.qtype = buf.readUInt16BE(p);
    st.qclass = buf.readUInt16BE(p + 2);
    st.qEnd = p += 4;
  } else {
    for (let i = 0; i < qdcount; i++) {
      p = skipName(buf, p);
      if (p < 0 || (p += 4) > buf.length) return fail('question section truncated');
    }
  }
  const skip = buf.readUInt16BE(6) + buf.readUInt16BE(8);
  const total = skip + buf.readUInt16BE(10);
  for (let i = 0; i < total; i++) {
    const owner = p;
    p = skipName(buf, p);
    if (p < 0 || p + 10 > buf.length) return fail('resource record truncated');
    const end = p + 10 + buf.readUInt16BE(p + 8);
    if (end > buf.length) return fail('resource record data truncated');
    if (i >= skip && buf.readUInt16BE(p) === TYPE_OPT) {
      if (st.optAt >= 0) return fail('more than one OPT record');
      st.optAt = p;
      if (p !== owner + 1 || buf[owner] !== 0) return fail('OPT record not owned by the root');
    } else if (i >= skip && buf.readUInt16BE(p) === TYPE_TSIG) {
      if (i !== total - 1) return fail('TSIG record is not the last record (RFC 8945 §5.1)');
      st.tsigAt = owner;
      st.tsigEnd = end;
    }
    p = end;
  }
}

function fail(reason: string): void {
  st.error = reason;
}

/** EDNS options in the OPT rdata: returns the ECS option (if any) or why the options are bad; notes the COOKIE in `st`. */
function readOptions(buf: Buffer, off: number, len: number): Ecs | undefined | string {
  const end = off + len;
  let ecs: Ecs | undefined;
  st.cookieAt = 0;
  st.cookieLen = 0;
  for (let p = off; p < end; ) {
    if (p + 4 > end) return 'EDNS option header truncated';
    const code = buf.readUInt16BE(p);
    const olen = buf.readUInt16BE(p + 2);
    if (p + 4 + olen > end) return 'EDNS option data truncated';
    if (code === OPTION_ECS) {
      if (ecs !== undefined) return 'more than one ECS option';
      const r = parseEcs(buf, p + 4, olen, true);
      if (typeof r === 'string') return r;
      ecs = r;
    } else if (code === OPTION_COOKIE && st.cookieAt === 0) {
      st.cookieAt = p + 4;
      st.cookieLen = olen;
    }
    p += 4 + olen;
  }
  return ecs;
}
