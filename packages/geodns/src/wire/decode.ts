// A full message decoder (RFC 1035 §4.1, OPT per RFC 6891 §6.1.2, ECS per
// RFC 7871 §6) for tests and the test client. Not on the serving path: it
// allocates freely, but it bounds-checks everything and never throws on input —
// garbage yields { ok: false, error }. Every record consumes ≥ 11 octets and
// pointers must go backwards, so no input can make it loop.
import type { RR } from '@geoedge/dnsdata';
import type { Ecs } from './types.js';
import { readName, type NameOut } from './name.js';
import { readRdata } from './rdata.js';
import { OPTION_ECS, parseEcs } from './ecs.js';
import { TYPE_OPT } from './query.js';

export interface DecodedQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DecodedOpt {
  payload: number;
  extendedRcode: number;
  version: number;
  dnssecOk: boolean;
  options: { code: number; data: Buffer }[];
  ecs?: Ecs;
}

export interface DecodedMessage {
  id: number;
  flags: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** Full rcode: header low 4 bits | OPT extended rcode << 4. */
  rcode: number;
  questions: DecodedQuestion[];
  answer: RR[];
  authority: RR[];
  /** Additional records without the OPT (that is in `opt`). */
  additional: RR[];
  opt?: DecodedOpt;
}

export type DecodeResult = { ok: true; message: DecodedMessage } | { ok: false; error: string };

const nameOut: NameOut = { name: '', end: 0 };

export function decodeMessage(buf: Buffer): DecodeResult {
  if (buf.length < 12) return { ok: false, error: `message is ${buf.length} octets, shorter than the 12-octet header` };
  const flags = buf.readUInt16BE(2);
  const m: DecodedMessage = {
    id: buf.readUInt16BE(0),
    flags,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    questions: [],
    answer: [],
    authority: [],
    additional: [],
  };
  let p = 12;
  for (let i = buf.readUInt16BE(4); i > 0; i--) {
    const bad = readName(buf, p, false, true, nameOut);
    if (bad !== null) return { ok: false, error: `question: ${bad}` };
    p = nameOut.end;
    if (p + 4 > buf.length) return { ok: false, error: 'question: type/class run past the end' };
    m.questions.push({ name: nameOut.name, type: buf.readUInt16BE(p), class: buf.readUInt16BE(p + 2) });
    p += 4;
  }
  const sections: [RR[], number][] = [
    [m.answer, buf.readUInt16BE(6)],
    [m.authority, buf.readUInt16BE(8)],
    [m.additional, buf.readUInt16BE(10)],
  ];
  for (const [list, count] of sections) {
    for (let i = 0; i < count; i++) {
      const r = readRR(buf, p, m, list);
      if (typeof r === 'string') return { ok: false, error: r };
      p = r;
    }
  }
  if (m.opt) m.rcode |= m.opt.extendedRcode << 4;
  return { ok: true, message: m };
}

/** Reads one RR at buf[p] into `list` (or m.opt); returns the next offset or an error. */
function readRR(buf: Buffer, p: number, m: DecodedMessage, list: RR[]): number | string {
  const bad = readName(buf, p, false, true, nameOut);
  if (bad !== null) return `record owner: ${bad}`;
  const name = nameOut.name;
  p = nameOut.end;
  if (p + 10 > buf.length) return 'record header runs past the end';
  const type = buf.readUInt16BE(p);
  const cls = buf.readUInt16BE(p + 2);
  const ttl = buf.readUInt32BE(p + 4);
  const len = buf.readUInt16BE(p + 8);
  const off = p + 10;
  if (off + len > buf.length) return `record data (${len} octets) runs past the end`;
  if (type === TYPE_OPT) {
    if (list !== m.additional) return 'OPT record outside the additional section';
    if (m.opt) return 'more than one OPT record';
    if (name !== '.') return 'OPT record not owned by the root';
    const opt = readOpt(buf, off, len, cls, ttl);
    if (typeof opt === 'string') return opt;
    m.opt = opt;
    return off + len;
  }
  const data = readRdata(buf, off, len, type);
  if (typeof data === 'string') return `record ${name} type ${type}: ${data}`;
  list.push({ name, type, class: cls, ttl, data });
  return off + len;
}

function readOpt(buf: Buffer, off: number, len: number, cls: number, ttl: number): DecodedOpt | string {
  const opt: DecodedOpt = {
    payload: cls,
    extendedRcode: ttl >>> 24,
    version: (ttl >>> 16) & 0xff,
    dnssecOk: (ttl & 0x8000) !== 0,
    options: [],
  };
  const end = off + len;
  for (let p = off; p < end; ) {
    if (p + 4 > end) return 'EDNS option header truncated';
    const code = buf.readUInt16BE(p);
    const olen = buf.readUInt16BE(p + 2);
    if (p + 4 + olen > end) return 'EDNS option data truncated';
    opt.options.push({ code, data: Buffer.from(buf.subarray(p + 4, p + 4 + olen)) });
    if (code === OPTION_ECS) {
      const ecs = parseEcs(buf, p + 4, olen, false);
      if (typeof ecs === 'string') return ecs;
      opt.ecs = ecs;
    }
    p += 4 + olen;
  }
  return opt;
}
