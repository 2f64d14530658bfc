// PROXY protocol version 2 (binary form), haproxy proxy-protocol.txt section 2.2:
//
//   struct proxy_hdr_v2 {
//       uint8_t sig[12];  /* \x0D \x0A \x0D \x0A \x00 \x0D \x0A \x51 \x55 \x49 \x54 \x0A */
//       uint8_t ver_cmd;  /* protocol version (high nibble, 2) and command (0 LOCAL, 1 PROXY) */
//       uint8_t fam;      /* address family (high nibble) and transport (low nibble) */
//       uint16_t len;     /* number of following bytes, network order */
//   };
//   union proxy_addr {
//       struct { uint32_t src_addr, dst_addr; uint16_t src_port, dst_port; } ipv4_addr;   /* 12 bytes */
//       struct { uint8_t src_addr[16], dst_addr[16]; uint16_t src_port, dst_port; } ipv6_addr; /* 36 */
//       struct { uint8_t src_addr[108], dst_addr[108]; } unix_addr;                        /* 216 */
//   };
//   followed by TLVs: struct pp2_tlv { uint8_t type; uint8_t length_hi, length_lo; uint8_t value[0]; };
import { isIP } from 'node:net';
import type { DecodeResult, ProxyAddress, ProxyHeader, Tlv } from './proxy-types.js';

export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Largest header we accept: 16 fixed bytes plus a generous TLV area (spec allows 65535). */
export const V2_MAX_DEFAULT = 16 + 2048;

export function encodeProxyV2(h: Pick<ProxyHeader, 'command' | 'transport' | 'source' | 'destination' | 'tlvs'>): Buffer {
  const local = h.command === 'local' || !h.source || !h.destination;
  let addr = Buffer.alloc(0);
  let fam = 0x00;
  if (!local) {
    let s = h.source!;
    let d = h.destination!;
    if (s.family !== d.family) [s, d] = [toV6(s), toV6(d)];
    const a = s.family === 4 ? 4 : 16;
    addr = Buffer.alloc(a * 2 + 4);
    writeIp(addr, 0, s.address, s.family);
    writeIp(addr, a, d.address, d.family);
    addr.writeUInt16BE(s.port, a * 2);
    addr.writeUInt16BE(d.port, a * 2 + 2);
    fam = (s.family === 4 ? 0x10 : 0x20) | (h.transport === 'udp' ? 0x02 : 0x01);
  }
  const tlvLen = local ? 0 : h.tlvs.reduce((n, t) => n + 3 + t.value.length, 0);
  const out = Buffer.alloc(16 + addr.length + tlvLen);
  V2_SIGNATURE.copy(out, 0);
  out[12] = local ? 0x20 : 0x21;
  out[13] = fam;
  out.writeUInt16BE(addr.length + tlvLen, 14);
  addr.copy(out, 16);
  let o = 16 + addr.length;
  if (!local) {
    for (const t of h.tlvs) {
      out[o] = t.type;
      out.writeUInt16BE(t.value.length, o + 1);
      t.value.copy(out, o + 3);
      o += 3 + t.value.length;
    }
  }
  return out;
}

export function decodeProxyV2(buf: Buffer, max = V2_MAX_DEFAULT): DecodeResult {
  const sigLen = Math.min(buf.length, 12);
  if (!buf.subarray(0, sigLen).equals(V2_SIGNATURE.subarray(0, sigLen))) return bad('ERR_PROXY_V2_SIGNATURE', 'bad signature');
  if (buf.length < 16) return { kind: 'need-more' };
  const ver = buf[12]! >> 4;
  const cmd = buf[12]! & 0x0f;
  if (ver !== 2) return bad('ERR_PROXY_V2_VERSION', `version ${ver}`);
  if (cmd > 1) return bad('ERR_PROXY_V2_COMMAND', `command ${cmd}`);
  const len = buf.readUInt16BE(14);
  if (16 + len > max) return bad('ERR_PROXY_V2_TOO_LONG', `header of ${16 + len} bytes exceeds ${max}`);
  if (buf.length < 16 + len) return { kind: 'need-more' };
  const body = buf.subarray(16, 16 + len);
  const famByte = buf[13]!;
  const transport = (famByte & 0x0f) === 1 ? 'tcp' : (famByte & 0x0f) === 2 ? 'udp' : 'unknown';
  const header: ProxyHeader = { version: 2, command: cmd === 0 ? 'local' : 'proxy', transport, tlvs: [] };
  // The receiver must ignore the address block for LOCAL and for unknown families (section 2.2).
  const family = famByte >> 4;
  const alen = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0;
  if (len < alen) return bad('ERR_PROXY_V2_SHORT', `address block needs ${alen} bytes, length is ${len}`);
  if (cmd === 1 && (family === 1 || family === 2)) {
    const a = family === 1 ? 4 : 16;
    const f = family === 1 ? 4 : 6;
    header.source = { family: f, address: readIp(body, 0, a), port: body.readUInt16BE(a * 2) };
    header.destination = { family: f, address: readIp(body, a, a), port: body.readUInt16BE(a * 2 + 2) };
  } else if (cmd === 1) {
    // AF_UNIX or UNSPEC with PROXY: no usable IP address, treat as LOCAL.
    header.command = 'local';
  }
  const tlvs = decodeTlvs(body.subarray(alen));
  if (!tlvs) return bad('ERR_PROXY_V2_TLV', 'TLV runs past the header');
  header.tlvs = tlvs;
  return { kind: 'ok', header, length: 16 + len };
}

export function decodeTlvs(b: Buffer): Tlv[] | undefined {
  const out: Tlv[] = [];
  let o = 0;
  while (o < b.length) {
    if (o + 3 > b.length) return undefined;
    const l = b.readUInt16BE(o + 1);
    if (o + 3 + l > b.length) return undefined;
    // Copy: the header buffer belongs to the connection's first chunk.
    out.push({ type: b[o]!, value: Buffer.from(b.subarray(o + 3, o + 3 + l)) });
    o += 3 + l;
  }
  return out;
}

function toV6(a: ProxyAddress): ProxyAddress {
  return a.family === 6 ? a : { family: 6, address: `::ffff:${a.address}`, port: a.port };
}

function writeIp(out: Buffer, off: number, ip: string, family: 4 | 6): void {
  if (family === 4) {
    ip.split('.').forEach((p, i) => (out[off + i] = Number(p)));
    return;
  }
  ipv6Bytes(ip).copy(out, off);
}

/** Expands an IPv6 text address (with ::, and an optional dotted IPv4 tail) to 16 bytes. */
export function ipv6Bytes(ip: string): Buffer {
  if (isIP(ip) !== 6) throw new Error(`not an IPv6 address: ${ip}`);
  let text = ip.split('%')[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const p = tail[1]!.split('.').map(Number);
    text = text.slice(0, -tail[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function readIp(b: Buffer, off: number, len: number): string {
  if (len === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(off + i).toString(16));
  return compressV6(g);
}

/** RFC 5952 text form: longest run of zero groups (length >= 2) becomes "::". */
function compressV6(g: string[]): string {
  if (g.slice(0, 5).every((x) => x === '0') && g[5] === 'ffff') {
    const v = parseInt(g[6]!, 16), w = parseInt(g[7]!, 16);
    return `::ffff:${v >> 8}.${v & 255}.${w >> 8}.${w & 255}`;
  }
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

function bad(code: string, message: string): DecodeResult {
  return { kind: 'error', code, message };
}
