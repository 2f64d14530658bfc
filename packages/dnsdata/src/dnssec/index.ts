export * from './algorithms.js';
export * from './private-key.js';
export * from './dnskey.js';
export * from './generate.js';
export * from './key-roles.js';
export * from './nsec3.js';
