// Builds query packets (RFC 1035 §4.1 header + one question, optional OPT per
// RFC 6891 §6.1.2 with an ECS option per RFC 7871 §6). For tests and the test
// client; the server never builds queries.
import { Encoder } from './writer.js';
import { OPTION_ECS, writeEcs } from './ecs.js';
import type { Ecs } from './types.js';

export interface QueryOptions {
  id?: number;
  /** Header flags word; default RD. */
  flags?: number;
  qname: string;
  qtype: number;
  qclass?: number;
  edns?: {
    payload?: number;
    version?: number;
    dnssecOk?: boolean;
    ecs?: Ecs;
    /** Extra raw options: code + data. */
    options?: { code: number; data: Buffer }[];
  };
}

export function buildQuery(o: QueryOptions): Buffer {
  const e = new Encoder(2048);
  e.u16(o.id ?? 0x1234);
  e.u16(o.flags ?? 0x0100);
  e.u16(1);
  e.u16(0);
  e.u16(0);
  e.u16(o.edns ? 1 : 0);
  e.name(o.qname, false);
  e.u16(o.qtype);
  e.u16(o.qclass ?? 1);
  if (o.edns) writeQueryOpt(e, o.edns);
  return Buffer.from(e.buf.subarray(0, e.pos));
}

function writeQueryOpt(e: Encoder, edns: NonNullable<QueryOptions['edns']>): void {
  e.u8(0);
  e.u16(41);
  e.u16(edns.payload ?? 1232);
  e.u8(0);
  e.u8(edns.version ?? 0);
  e.u16(edns.dnssecOk ? 0x8000 : 0);
  const lenAt = e.pos;
  e.pos += 2;
  if (edns.ecs) e.pos = writeEcs(e.buf, e.pos, edns.ecs, edns.ecs.scopePrefix);
  for (const opt of edns.options ?? []) {
    e.u16(opt.code);
    e.u16(opt.data.length);
    e.bytes(opt.data);
  }
  e.buf.writeUInt16BE(e.pos - lenAt - 2, lenAt);
}

export { OPTION_ECS };
