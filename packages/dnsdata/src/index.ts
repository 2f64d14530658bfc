export * from './types.js';
export * from './name.js';
export * from './ttl.js';
export * from './ip.js';
export * from './tokenizer.js';
export * from './rdata-text.js';
export { META_TYPES } from './rr-type.js';
export { rdataFromWire } from './rdata-wire.js';
export * from './master-file.js';
