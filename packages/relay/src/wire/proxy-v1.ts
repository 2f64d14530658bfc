// PROXY protocol version 1 (text form), haproxy proxy-protocol.txt section 2.1:
//
//   "PROXY" SP ( "TCP4" | "TCP6" | "UNKNOWN" ) SP src SP dst SP sport SP dport CRLF
//
//   - at most 107 bytes including CRLF; "PROXY UNKNOWN\r\n" may carry anything
//     up to CRLF and means "use the real connection addresses".
import { isIP } from 'node:net';
import type { DecodeResult, ProxyAddress, ProxyHeader } from './proxy-types.js';

export const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
export const V1_MAX = 107;

export function encodeProxyV1(h: Pick<ProxyHeader, 'command' | 'source' | 'destination'>): Buffer {
  if (h.command === 'local' || !h.source || !h.destination) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  let { source: s, destination: d } = h;
  // v1 requires both addresses in one family; map a v4 peer into v6 if they differ.
  if (s.family !== d.family) [s, d] = [toV6(s), toV6(d)];
  const proto = s.family === 6 ? 'TCP6' : 'TCP4';
  return Buffer.from(`PROXY ${proto} ${s.address} ${d.address} ${s.port} ${d.port}\r\n`, 'latin1');
}

function toV6(a: ProxyAddress): ProxyAddress {
  return a.family === 6 ? a : { family: 6, address: `::ffff:${a.address}`, port: a.port };
}

export function decodeProxyV1(buf: Buffer): DecodeResult {
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0) {
    if (buf.length >= V1_MAX) return { kind: 'error', code: 'ERR_PROXY_V1_TOO_LONG', message: 'no CRLF within 107 bytes' };
    return { kind: 'need-more' };
  }
  if (end + 2 > V1_MAX) return { kind: 'error', code: 'ERR_PROXY_V1_TOO_LONG', message: 'header longer than 107 bytes' };
  const line = buf.toString('latin1', 0, end);
  const parts = line.split(' ');
  if (parts[0] !== 'PROXY') return bad('missing PROXY keyword');
  if (parts[1] === 'UNKNOWN') {
    return { kind: 'ok', length: end + 2, header: { version: 1, command: 'local', transport: 'unknown', tlvs: [] } };
  }
  if (parts.length !== 6) return bad(`expected 6 fields, got ${parts.length}`);
  const family = parts[1] === 'TCP4' ? 4 : parts[1] === 'TCP6' ? 6 : 0;
  if (family === 0) return bad(`unknown protocol ${JSON.stringify(parts[1])}`);
  const [src, dst, sp, dp] = parts.slice(2) as [string, string, string, string];
  if (isIP(src) !== family || isIP(dst) !== family) return bad('address does not match protocol family');
  const sport = port(sp);
  const dport = port(dp);
  if (sport < 0 || dport < 0) return bad('bad port');
  return {
    kind: 'ok',
    length: end + 2,
    header: {
      version: 1,
      command: 'proxy',
      transport: 'tcp',
      source: { family, address: src, port: sport },
      destination: { family, address: dst, port: dport },
      tlvs: [],
    },
  };
}

function port(s: string): number {
  // The spec forbids leading zeros and signs; a strict check keeps garbage out.
  if (!/^(0|[1-9]\d{0,4})$/.test(s)) return -1;
  const n = Number(s);
  return n <= 65535 ? n : -1;
}

function bad(message: string): DecodeResult {
  return { kind: 'error', code: 'ERR_PROXY_V1_SYNTAX', message };
}
