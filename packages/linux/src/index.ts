// @geoedge/linux: the native layer (the only importer of koffi). Importing it
// loads nothing native: loadLibc()/watchFd() do, and throw where the platform
// is refused (nativeRefusal() says why, for the programs' one warning line).
export { LAYOUTS, REFUSED, layoutFor, type Layout } from './layout.js';
export { K, type ConstantName } from './constants.js';
export { ERRNO, errnoName } from './errno.js';
export { nativeRefusal, nativeLayout, platformFacts, type PlatformFacts } from './platform.js';
export { loadLibc, type Libc } from './libc.js';
export { setIntOption, getIntOption, setStringOption, getStringOption } from './sockopt.js';
export { watchFd, type FdWatch } from './uv-poll.js';
export { encodeSockaddr, decodeSockaddr } from './sockaddr.js';
export { createUdpBatcher, type UdpBatcher, type UdpEndpoint, type UdpHandlers, type FdWatcher, type BatchOptions, type BindOptions, type BindResult, type ConnectResult } from './udp-batch.js';
