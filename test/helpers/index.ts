// Whole-process test helpers: start geodns and PowerDNS, query them with
// dig/kdig or raw bytes, scrape metrics.
export * from './paths.js';
export * from './ports.js';
export * from './process.js';
export * from './dig.js';
export * from './wire.js';
export * from './wire-read.js';
export * from './raw.js';
export * from './geodns.js';
export * from './pdns.js';
export * from './metrics.js';
export * from './target.js';
export * from './fuzz.js';
export * from './unbound.js';
