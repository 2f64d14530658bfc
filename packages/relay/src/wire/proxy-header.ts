// Detects and decodes either PROXY protocol version from the first bytes of a
// stream or datagram. Returns need-more while the bytes so far are a valid prefix.
import { decodeProxyV1, V1_PREFIX } from './proxy-v1.js';
import { decodeProxyV2, V2_SIGNATURE, V2_MAX_DEFAULT } from './proxy-v2.js';
import type { DecodeResult } from './proxy-types.js';

export function decodeProxyHeader(buf: Buffer, maxV2 = V2_MAX_DEFAULT): DecodeResult {
  if (buf.length === 0) return { kind: 'need-more' };
  if (isPrefix(buf, V2_SIGNATURE)) return decodeProxyV2(buf, maxV2);
  if (isPrefix(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? { kind: 'need-more' } : decodeProxyV1(buf);
  return { kind: 'error', code: 'ERR_PROXY_MISSING', message: 'connection does not start with a PROXY header' };
}

/** True when buf and sig agree on their common length. */
function isPrefix(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  return buf.compare(sig, 0, n, 0, n) === 0;
}
