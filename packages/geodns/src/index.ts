export type { Query, ParseResult, ResponseMessage, Ecs, Edns } from './wire/types.js';
export type { Zone, ZoneSet, LookupResult } from './zones/types.js';
export * from './geo/index.js';
export * from './lua/index.js';
export { NODE_FLAGS } from './node-flags.js';
