export type { Query, ParseResult, ResponseMessage, Ecs, Edns } from './wire/types.js';
export type { Zone, ZoneSet, LookupResult } from './zones/types.js';
