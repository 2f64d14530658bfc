// One DNS query over UDP with an EDNS Client Subnet option, built by hand so
// control needs no DNS library: the LUA preview asks the running geodns which
// answer a client in a given network would get (geodns reads ECS like
// PowerDNS with edns-subnet-processing).
//
// RFC 1035 §4.1.1 header:
//   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
// |                      ID                       |
// |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
// |                    QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT
// RFC 6891 §6.1.2 OPT RR: root name, TYPE 41, CLASS = UDP size, TTL = ext
// rcode/version/flags, RDLENGTH, options. RFC 7871 §6 ECS option (code 8):
//   FAMILY (1 = IPv4, 2 = IPv6) | SOURCE PREFIX | SCOPE PREFIX (0) | ADDRESS
//   (address truncated to ceil(source/8) octets).
import { createSocket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import { randomInt } from 'node:crypto';
import { bytesToIpv4, bytesToIpv6, formatRdata, ipv4ToBytes, ipv6ToBytes, rdataFromWire, typeCode, typeName } from '@geoedge/dnsdata';

export interface ProbeAnswer { name: string; type: string; ttl: number; data: string }
export type ProbeResult =
  | { ok: true; rcode: string; answers: ProbeAnswer[] }
  | { ok: false; error: string };

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const parts = labels.map((l) => {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`label too long: ${l}`);
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** ECS for a whole client address: /32 for IPv4, /128 for IPv6. */
function ecsOption(client: string): Buffer {
  const v4 = isIPv4(client);
  const addr = v4 ? ipv4ToBytes(client) : ipv6ToBytes(client);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(8, 0);
  head.writeUInt16BE(4 + addr.length, 2);
  head.writeUInt16BE(v4 ? 1 : 2, 4);
  head.writeUInt8(addr.length * 8, 6);
  head.writeUInt8(0, 7);
  return Buffer.concat([head, addr]);
}

export function buildProbeQuery(id: number, qname: string, qtype: number, client: string): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0, 2); // no RD: an authoritative question
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2);
  const ecs = ecsOption(client);
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(41, 1);
  opt.writeUInt16BE(1232, 3);
  opt.writeUInt16BE(ecs.length, 9);
  return Buffer.concat([header, encodeName(qname), q, opt, ecs]);
}

/** Reads a possibly compressed name at `off`; returns it and the offset after it. */
function readName(msg: Buffer, off: number): { name: string; next: number } {
  const labels: string[] = [];
  let next = -1;
  for (let hops = 0; hops < 64; hops++) {
    const len = msg[off];
    if (len === undefined) throw new Error('name runs past the message');
    if (len === 0) return { name: labels.length ? `${labels.join('.')}.` : '.', next: next < 0 ? off + 1 : next };
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = off + 2;
      off = msg.readUInt16BE(off) & 0x3fff;
      continue;
    }
    labels.push(msg.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  throw new Error('name compression loop');
}

const NAME_TYPES = new Set([2, 5, 12, 39]);

function rdataText(msg: Buffer, type: number, start: number, len: number): string {
  const bytes = msg.subarray(start, start + len);
  if (type === 1 && len === 4) return bytesToIpv4(bytes);
  if (type === 28 && len === 16) return bytesToIpv6(bytes);
  // Names in answers may point back into the message, so they are read here.
  if (NAME_TYPES.has(type)) return readName(msg, start).name;
  if (type === 15) return `${msg.readUInt16BE(start)} ${readName(msg, start + 2).name}`;
  try {
    // Types without a typed variant (LOC, SVCB, HTTPS, URI, RP, TLSA…) have a text form for their octets too.
    const copy = Buffer.from(bytes);
    return formatRdata(type, rdataFromWire(type, copy) ?? { kind: 'raw', bytes: copy });
  } catch { /* shown raw below */ }
  return `\\# ${len} ${bytes.toString('hex')}`;
}

export function parseProbeReply(msg: Buffer, id: number): ProbeResult {
  try {
    if (msg.length < 12 || msg.readUInt16BE(0) !== id) return { ok: false, error: 'reply does not match the query' };
    const flags = msg.readUInt16BE(2);
    const rcode = RCODES[flags & 0xf] ?? `RCODE${flags & 0xf}`;
    let off = 12;
    for (let i = msg.readUInt16BE(4); i > 0; i--) off = readName(msg, off).next + 4;
    const answers: ProbeAnswer[] = [];
    for (let i = msg.readUInt16BE(6); i > 0; i--) {
      const { name, next } = readName(msg, off);
      const type = msg.readUInt16BE(next);
      const ttl = msg.readUInt32BE(next + 4);
      const len = msg.readUInt16BE(next + 8);
      if (next + 10 + len > msg.length) throw new Error('record runs past the message');
      answers.push({ name, type: typeName(type), ttl, data: rdataText(msg, type, next + 10, len) });
      off = next + 10 + len;
    }
    return { ok: true, rcode, answers };
  } catch (err) {
    return { ok: false, error: `unreadable reply: ${(err as Error).message}` };
  }
}

export interface ProbeTarget { host: string; port: number }

/** Asks `target` for qname/qtype as if from `client`; one try, `timeoutMs` long. */
export function probe(target: ProbeTarget, qname: string, qtype: string, client: string, timeoutMs = 2000): Promise<ProbeResult> {
  const code = typeCode(qtype);
  if (code === undefined) return Promise.resolve({ ok: false, error: `unknown type ${qtype}` });
  if (!isIPv4(client) && !isIPv6(client)) return Promise.resolve({ ok: false, error: `not an IP address: ${client}` });
  let query: Buffer;
  try {
    query = buildProbeQuery(randomInt(0, 0x10000), qname, code, client);
  } catch (err) {
    return Promise.resolve({ ok: false, error: (err as Error).message });
  }
  const id = query.readUInt16BE(0);
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
    let finished = false;
    const done = (r: ProbeResult): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: `no answer from geodns at ${target.host}:${target.port} within ${timeoutMs} ms` }), timeoutMs);
    sock.on('error', (err) => done({ ok: false, error: `geodns at ${target.host}:${target.port}: ${err.message}` }));
    sock.on('message', (msg) => done(parseProbeReply(msg, id)));
    sock.send(query, target.port, target.host);
  });
}
