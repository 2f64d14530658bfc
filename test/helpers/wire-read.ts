// Reading DNS responses byte by byte (RFC 1035 §4.1, names with §4.1.4
// compression; OPT per RFC 6891 §6.1.2). Tolerates nothing: a malformed
// response throws, which fails the test that got it.

export interface WireRR { name: string; type: number; class: number; ttl: number; rdata: Buffer; rdataOffset: number }

export interface WireMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** 12-bit rcode: header low bits plus the OPT extended bits. */
  rcode: number;
  counts: [number, number, number, number];
  question?: { name: string; type: number; class: number };
  answer: WireRR[];
  authority: WireRR[];
  additional: WireRR[];    // without OPT
  opt?: { payload: number; version: number; dnssecOk: boolean; options: { code: number; data: Buffer }[] };
  size: number;
}

export function readName(buf: Buffer, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = start;
  let end = -1;
  for (let jumps = 0; ; ) {
    if (pos >= buf.length) throw new Error(`name runs past the end at ${pos}`);
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (++jumps > 64) throw new Error('compression loop');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (len & 0xc0) throw new Error(`bad label type at ${pos}`);
    if (len === 0) break;
    labels.push(buf.subarray(pos + 1, pos + 1 + len).toString('latin1'));
    pos += 1 + len;
  }
  return { name: labels.length ? labels.join('.') + '.' : '.', end: end < 0 ? pos + 1 : end };
}

function readRR(buf: Buffer, pos: number): { rr: WireRR; end: number } {
  const { name, end } = readName(buf, pos);
  if (end + 10 > buf.length) throw new Error('RR header runs past the end');
  const rdlen = buf.readUInt16BE(end + 8);
  if (end + 10 + rdlen > buf.length) throw new Error('RDATA runs past the end');
  const rr = { name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2), ttl: buf.readUInt32BE(end + 4), rdata: buf.subarray(end + 10, end + 10 + rdlen), rdataOffset: end + 10 };
  return { rr, end: end + 10 + rdlen };
}

function readOpt(rr: WireRR): NonNullable<WireMessage['opt']> {
  const options: { code: number; data: Buffer }[] = [];
  for (let p = 0; p + 4 <= rr.rdata.length; ) {
    const len = rr.rdata.readUInt16BE(p + 2);
    options.push({ code: rr.rdata.readUInt16BE(p), data: rr.rdata.subarray(p + 4, p + 4 + len) });
    p += 4 + len;
  }
  return { payload: rr.class, version: (rr.ttl >>> 16) & 0xff, dnssecOk: (rr.ttl & 0x8000) !== 0, options };
}

export function parseMessage(buf: Buffer): WireMessage {
  if (buf.length < 12) throw new Error(`message of ${buf.length} bytes`);
  const flags = buf.readUInt16BE(2);
  const counts: [number, number, number, number] = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  const msg: WireMessage = {
    id: buf.readUInt16BE(0), qr: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, aa: (flags & 0x400) !== 0,
    tc: (flags & 0x200) !== 0, rd: (flags & 0x100) !== 0, ra: (flags & 0x80) !== 0, rcode: flags & 0xf,
    counts, answer: [], authority: [], additional: [], size: buf.length,
  };
  let pos = 12;
  for (let i = 0; i < counts[0]; i++) {
    const q = readName(buf, pos);
    if (q.end + 4 > buf.length) throw new Error('question runs past the end');
    if (i === 0) msg.question = { name: q.name, type: buf.readUInt16BE(q.end), class: buf.readUInt16BE(q.end + 2) };
    pos = q.end + 4;
  }
  const sections = [msg.answer, msg.authority, msg.additional];
  sections.forEach((into, s) => {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const { rr, end } = readRR(buf, pos);
      pos = end;
      if (rr.type === 41 && s === 2) {
        msg.opt = readOpt(rr);
        msg.rcode |= (rr.ttl >>> 24) << 4;
      } else into.push(rr);
    }
  });
  if (pos !== buf.length) throw new Error(`${buf.length - pos} trailing bytes after the message`);
  return msg;
}
