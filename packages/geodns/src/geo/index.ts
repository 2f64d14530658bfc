// Public surface of the GeoIP subsystem (re-exported by the package index by the lead).
export { createGeoIpService, GeoIpService, type GeoIpOptions, type GeoIpStatus, type ReloadResult } from './geoip-service.js';
export { defaultCityDatabase } from './default-db.js';
export type { GeoInfo, GeoFields, GeoLookup } from './types.js';
export { parseAddress, formatAddress, maskAddress, normalizeAddress, parseNetmask, netmaskMatch, type Netmask } from './ip.js';
