// Seam of the GeoIP subsystem: what a lookup tells the rest of geodns.
// Field names are ours, not MaxMind's; only maxmind.ts knows the mmdb layout.

/** What the databases know about the network containing one address. */
export interface GeoInfo {
  /** ISO 3166-1 alpha-2 country code ("GB"). */
  country?: string;
  /** Continent code ("EU", "NA", …). */
  continent?: string;
  /** ISO 3166-2 subdivision code without the country part ("ENG"), first subdivision. */
  region?: string;
  /** City name (English). */
  city?: string;
  lat?: number;
  lon?: number;
  asn?: number;
  asOrg?: string;
  /**
   * Prefix length of the network every answer above is constant on: the longest
   * prefix any consulted database returned (their networks all contain the address,
   * so the longest is their intersection). IPv4 addresses count in IPv4 bits (0–32).
   */
  prefix: number;
  /** Network address of that network ("81.2.69.0" for 81.2.69.142 with prefix 24). */
  network: string;
  /** The data records the fields above came from (GeoSpot.record). */
  record: number | string;
}

/**
 * Where an address falls in the databases, without reading their data. Two
 * addresses with equal `record` get equal fields from `lookup` (they may lie in
 * different networks, with different prefixes): answers computed from the
 * fields alone can be shared by record (stages/dynamic-cache.ts), each client
 * told its own network's prefix as ECS scope. Valid for one database snapshot.
 */
export interface GeoSpot {
  /** One database: its data pointer (0: no data); several: their pointers joined. */
  record: number | string;
  /** As GeoInfo.prefix. */
  prefix: number;
}

/** Country and continent alone (GeoLookup.place): what octoDNS-style scripts read. */
export type GeoPlace = Pick<GeoInfo, 'country' | 'continent' | 'prefix' | 'record'>;

/** The data fields one database can contribute. */
export type GeoFields = Omit<GeoInfo, 'prefix' | 'network' | 'record'>;

/** Lookups on the current snapshot; pure and synchronous (no I/O on the query path). */
export interface GeoLookup {
  /** undefined when `ip` is not an address or no database is loaded. */
  lookup(ip: string): GeoInfo | undefined;
  /**
   * The record and prefix `lookup(ip)` would report, from the tree walk alone
   * (no data read, no allocation: the object is reused by the next call);
   * undefined when `lookup(ip)` would be.
   */
  locate(ip: string): GeoSpot | undefined;
  /**
   * `lookup(ip)`'s country, continent, prefix and record, reading no other
   * field of the data record (cheaper on its first read); undefined when
   * `lookup(ip)` would be.
   */
  place(ip: string): GeoPlace | undefined;
}
