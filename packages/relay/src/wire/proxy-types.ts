// Types shared by the PROXY protocol codecs (haproxy proxy-protocol.txt).
export interface ProxyAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

export interface Tlv {
  type: number;
  value: Buffer;
}

export interface ProxyHeader {
  version: 1 | 2;
  /** 'local' = health check or UNKNOWN: use the connection's own addresses. */
  command: 'proxy' | 'local';
  transport: 'tcp' | 'udp' | 'unknown';
  source?: ProxyAddress;
  destination?: ProxyAddress;
  tlvs: Tlv[];
}

export type DecodeResult =
  | { kind: 'ok'; header: ProxyHeader; length: number }
  | { kind: 'need-more' }
  | { kind: 'error'; code: string; message: string };

// v2 TLV types, section 2.2.
export const PP2_TYPE_ALPN = 0x01;
export const PP2_TYPE_AUTHORITY = 0x02;
export const PP2_TYPE_CRC32C = 0x03;
export const PP2_TYPE_NOOP = 0x04;
export const PP2_TYPE_UNIQUE_ID = 0x05;
export const PP2_TYPE_SSL = 0x20;
