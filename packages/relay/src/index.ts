// Public surface of @geoedge/relay: the app factory, config loader and the pure codecs.
export { createRelay, type Relay } from './app.js';
export { compileConfig, loadConfigFile, type RelayConfig, type LoadResult } from './config.js';
export { parseClientHello, encodeClientHello, type HelloResult } from './wire/client-hello.js';
export { decodeProxyHeader } from './wire/proxy-header.js';
export { encodeProxyV1 } from './wire/proxy-v1.js';
export { encodeProxyV2 } from './wire/proxy-v2.js';
export type { ProxyHeader, ProxyAddress, Tlv } from './wire/proxy-types.js';
