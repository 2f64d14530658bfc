// PowerDNS's zone ids in URLs (pdns/ws-api.cc apiZoneNameToId/apiZoneIdToName):
// the zone name in presentation form with a trailing dot, every character
// other than A-Z a-z 0-9 '.' '-' written as "=XX" (upper-case hex), so
// "0/24.2.0.192.in-addr.arpa." is "0=2F24.2.0.192.in-addr.arpa." and the
// root zone is "=2E". Decoding turns each "=XX" back into its character.
import { checkName, lowerName } from '@geoedge/dnsdata';

export function zoneIdOf(fqdn: string): string {
  let id = '';
  for (const ch of Buffer.from(fqdn, 'latin1')) {
    const c = String.fromCharCode(ch);
    id += /[A-Za-z0-9.-]/.test(c) ? c : `=${ch.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (!id.endsWith('.')) id += '.';
  return id === '.' ? '=2E' : id;
}

/** The zone named by an id: its display name (FQDN) and stored name (lower-case, no trailing dot). */
export type ZoneRef = { fqdn: string; stored: string };

export function zoneFromId(id: string): ZoneRef | undefined {
  const decoded = id.replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  const parsed = checkName(decoded, '.');
  if (!parsed.ok) return undefined;
  return refOf(parsed.name);
}

/** A parsed absolute name → its ZoneRef. */
export function refOf(fqdn: string): ZoneRef {
  const stored = storedName(fqdn);
  return { fqdn: stored === '' ? '.' : `${stored}.`, stored };
}

/** Absolute name → stored form: lower-case, no trailing dot, "" for the root. */
export function storedName(fqdn: string): string {
  return fqdn === '.' ? '' : lowerName(fqdn).slice(0, -1);
}
