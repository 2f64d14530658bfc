// A small DNS message builder and reader for byte-level tests (RFC 1035 §4.1).
// Tests use it to send what dig can't (bad ECS, QDCOUNT=2, odd opcodes) and
// to read answers exactly. Deliberately independent of the server's codec.
//
//    0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
//  |                      ID                       |
//  |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
//  |    QDCOUNT    |    ANCOUNT    |    NSCOUNT    |    ARCOUNT    |

export const QTYPE: Record<string, number> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35,
  OPT: 41, DS: 43, ANY: 255, CAA: 257,
};

export interface EdnsOption { code: number; data: Buffer }

export interface QueryOptions {
  id?: number;
  name: string;
  type?: number | string;
  qclass?: number;
  opcode?: number;
  rd?: boolean;
  /** Add an OPT record (RFC 6891 §6.1.2). */
  edns?: { payload?: number; version?: number; dnssecOk?: boolean; options?: EdnsOption[] };
}

export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (label === '') continue;
    const b = Buffer.from(label, 'latin1');
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function typeCode(t: number | string | undefined): number {
  if (t === undefined) return 1;
  if (typeof t === 'number') return t;
  const m = /^TYPE(\d+)$/i.exec(t);
  if (m) return Number(m[1]);
  const c = QTYPE[t.toUpperCase()];
  if (c === undefined) throw new Error(`unknown type ${t}`);
  return c;
}

export function optRecord(e: NonNullable<QueryOptions['edns']>): Buffer {
  const opts = Buffer.concat((e.options ?? []).map((o) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(o.code, 0);
    h.writeUInt16BE(o.data.length, 2);
    return Buffer.concat([h, o.data]);
  }));
  const rr = Buffer.alloc(11);
  rr[0] = 0;                                     // root owner
  rr.writeUInt16BE(41, 1);                       // TYPE OPT
  rr.writeUInt16BE(e.payload ?? 1232, 3);        // CLASS = UDP payload size
  rr[5] = 0;                                     // extended RCODE
  rr[6] = e.version ?? 0;
  rr.writeUInt16BE(e.dnssecOk ? 0x8000 : 0, 7);
  rr.writeUInt16BE(opts.length, 9);
  return Buffer.concat([rr, opts]);
}

/** ECS option (RFC 7871 §6): family, source and scope prefix, address truncated to the prefix. */
export function ecsOption(address: string, sourcePrefix: number, scopePrefix = 0, keepBytes?: number): EdnsOption {
  const v6 = address.includes(':');
  const full = v6 ? ipv6Bytes(address) : Buffer.from(address.split('.').map(Number));
  const len = keepBytes ?? Math.ceil(sourcePrefix / 8);
  const data = Buffer.alloc(4 + len);
  data.writeUInt16BE(v6 ? 2 : 1, 0);
  data[2] = sourcePrefix;
  data[3] = scopePrefix;
  full.copy(data, 4, 0, Math.min(len, full.length));
  // RFC 7871 §6: address bits past the source prefix are zero.
  if (keepBytes === undefined && sourcePrefix % 8 !== 0 && len > 0) data[4 + len - 1]! &= 0xff << (8 - (sourcePrefix % 8));
  return { code: 8, data };
}

function ipv6Bytes(text: string): Buffer {
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return b;
}

export function buildQuery(q: QueryOptions): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id ?? Math.floor(Math.random() * 65536), 0);
  header.writeUInt16BE(((q.opcode ?? 0) << 11) | (q.rd ? 0x0100 : 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(q.edns ? 1 : 0, 10);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(typeCode(q.type), 0);
  question.writeUInt16BE(q.qclass ?? 1, 2);
  return Buffer.concat([header, encodeName(q.name), question, ...(q.edns ? [optRecord(q.edns)] : [])]);
}
