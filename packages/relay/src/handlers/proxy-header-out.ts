// The PROXY header a group sends upstream: the effective client (proxied address
// when one was accepted) and the address it connected to, plus SNI/ALPN TLVs.
import type { UpstreamConfig } from '../config.js';
import type { ConnInfo } from '../conn-info.js';
import { encodeProxyV1 } from '../wire/proxy-v1.js';
import { encodeProxyV2 } from '../wire/proxy-v2.js';
import { PP2_TYPE_ALPN, PP2_TYPE_AUTHORITY, type Tlv } from '../wire/proxy-types.js';

export function buildProxyHeader(cfg: UpstreamConfig, info: Pick<ConnInfo, 'client' | 'proxied' | 'destination' | 'sni' | 'alpn'>, transport: 'tcp' | 'udp' = 'tcp'): Buffer | undefined {
  if (cfg.proxyProtocol === 'none') return undefined;
  const source = info.proxied ?? info.client;
  const h = { command: 'proxy' as const, transport, source, destination: info.destination, tlvs: [] as Tlv[] };
  if (cfg.proxyProtocol === 'v1') return encodeProxyV1(h);
  if (cfg.tlvs) {
    if (info.sni) h.tlvs.push({ type: PP2_TYPE_AUTHORITY, value: Buffer.from(info.sni, 'latin1') });
    // The ALPN TLV names the negotiated protocol; we never see the ServerHello, so
    // we send it only when the client offered exactly one (the only possible outcome).
    if (info.alpn?.length === 1) h.tlvs.push({ type: PP2_TYPE_ALPN, value: Buffer.from(info.alpn[0]!, 'latin1') });
  }
  return encodeProxyV2(h);
}
