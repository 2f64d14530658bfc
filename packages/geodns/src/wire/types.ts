// Seams between the wire codec and the rest of geodns. The wire layer turns
// bytes into a Query (or a reason it can't) and a ResponseMessage into bytes.
import type { RR } from '@geoedge/dnsdata';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, NOTAUTH: 9, BADVERS: 16 } as const;

/** EDNS Client Subnet option (RFC 7871 §6). */
export interface Ecs {
  family: 1 | 2;          // 1 = IPv4, 2 = IPv6
  sourcePrefix: number;
  scopePrefix: number;    // as received (must be 0 in queries)
  address: string;        // the address text, host bits zeroed ("192.0.2.0", "2001:db8::")
}

export interface Edns {
  payload: number;        // requester's UDP payload size, clamped to >= 512
  version: number;
  dnssecOk: boolean;
  ecs?: Ecs;
  /** The first COOKIE option's data (RFC 7873) as offset and length in the query bytes; length 0 = none. */
  cookieAt: number;
  cookieLen: number;
}

export interface Query {
  id: number;
  flags: number;          // raw 16-bit header flags word of the query
  opcode: number;
  qname: string;          // lower-cased FQDN presentation with trailing dot ("." for the root)
  qtype: number;
  qclass: number;
  /** The question section bytes exactly as sent (name case kept), from offset 12. */
  question: Buffer;
  edns?: Edns;
}

/** What the parser made of a packet. Only `drop` sends nothing back. */
export type ParseResult =
  | { kind: 'ok'; query: Query }
  // Header readable, rest not (or QDCOUNT != 1, or bad OPT/ECS): reply FORMERR
  // echoing the ID and, when it could be read, the question.
  | { kind: 'formerr'; id: number; flags: number; question?: Buffer; edns?: boolean; reason: string }
  | { kind: 'notimp'; id: number; flags: number; question?: Buffer; edns?: boolean }
  | { kind: 'badvers'; query: Query }
  // Signed with TSIG (RFC 8945): we know no keys, so NOTAUTH with an unsigned TSIG saying BADKEY.
  // `tsig` is the request's TSIG record (owner name to end of RDATA).
  | { kind: 'badkey'; query: Query; tsig: Buffer }
  | { kind: 'drop'; reason: string };                 // shorter than a header, or a response (QR=1)

export interface ResponseMessage {
  id: number;
  flags: number;          // full flags word for the response (QR, AA, RD copied, rcode low bits…)
  question?: Buffer;      // copied verbatim (case kept)
  answer: RR[];
  authority: RR[];
  additional: RR[];
  /** Present when the query had OPT: our OPT goes last in additional. */
  opt?: {
    payload: number;        // the UDP payload size we advertise
    extendedRcode: number;  // upper 8 bits of the 12-bit rcode, as carried in the OPT TTL (BADVERS = 1)
    dnssecOk: boolean;      // DO copied from the query (RFC 3225 §3)
    ecs?: Ecs;              // echoed with the scope prefix we set
    cookie?: Uint8Array;    // COOKIE option data (client + server cookie, RFC 7873), read when the OPT is written
  };
}
