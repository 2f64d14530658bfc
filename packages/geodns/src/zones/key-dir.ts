// DNSSEC keys for zone files: a directory with one subdirectory per zone,
// named as the zone without the trailing dot, holding PowerDNS private-key
// files (what `pdnsutil export-zone-key ZONE ID` prints) and an optional
// `metadata` file of PowerDNS metadata lines ("NSEC3PARAM 1 0 0 -").
//
//   keyDir/example.com/1.ksk.private          flags 257, active, published
//   keyDir/example.com/2.zsk.private          flags 256
//   keyDir/example.com/3.csk.private          flags 257 (a CSK when no ZSK of its algorithm is active)
//   keyDir/example.com/4.zsk.inactive.private published, not signing (ZSK pre-publication)
//   keyDir/example.com/5.ksk.unpublished.private  signing, not in DNSKEY
//   keyDir/example.com/metadata               NSEC3PARAM / NSEC3NARROW / PUBLISH-CDS / PUBLISH-CDNSKEY / PRESIGNED
//
// Read when the zone file is (re)loaded; the files read, and the zone's key
// directory itself (present or not), are reported as the zone's includes: an
// edit of a key file, and a key added, removed or renamed (activated,
// published: a rollover step), or the directory appearing, reloads the zone on
// the reloader's next pass (its poll, or SIGHUP) with no edit of the zone file.
// Files that do not match the pattern are ignored with a warning; bad keys are
// skipped as database keys are.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RR } from '@geoedge/dnsdata';
import type { Logger } from '@geoedge/shared';
import { secureZone, type KeyProblems } from '../dnssec/secure-zone.js';
import type { KeyRow } from '../dnssec/zone-keys.js';
import type { ZoneSigning } from '../dnssec/types.js';

/** Adds a zone's key records and signing keys to its records; `files` were read. */
export type ZoneKeySource = (origin: string, records: RR[]) => { records: RR[]; signing: ZoneSigning | undefined; files: string[] };

const KEY_FILE = /^([A-Za-z0-9_-]+)\.(ksk|zsk|csk)(?:\.(inactive|unpublished))?\.private$/;

export function createKeyDir(dir: string, log: Logger): ZoneKeySource {
  const logged: KeyProblems = new Set();
  return (origin, records) => {
    const zoneDir = join(dir, origin === '.' ? '.' : origin.slice(0, -1));
    let names: string[];
    try {
      names = readdirSync(zoneDir).sort();
    } catch {
      return { records, signing: undefined, files: [zoneDir] }; // no keys for this zone: unsigned (until the directory appears)
    }
    const rows: KeyRow[] = [];
    const files: string[] = [zoneDir];
    const metadata = new Map<string, string[]>();
    for (const name of names) {
      const path = join(zoneDir, name);
      if (name === 'metadata') {
        files.push(path);
        for (const line of readText(path).split('\n')) {
          const m = /^\s*([A-Za-z0-9-]+)\s+(.*?)\s*$/.exec(line);
          if (m && !line.trim().startsWith('#')) metadata.set(m[1]!.toUpperCase(), [...(metadata.get(m[1]!.toUpperCase()) ?? []), m[2]!]);
        }
        continue;
      }
      const m = KEY_FILE.exec(name);
      if (!m) {
        warnOnce(log, logged, origin, `${path}: not a key file (<id>.<ksk|zsk|csk>[.inactive|.unpublished].private); ignored`);
        continue;
      }
      files.push(path);
      rows.push({ id: m[1]!, flags: m[2] === 'zsk' ? 256 : 257, active: m[3] !== 'inactive', published: m[3] !== 'unpublished', content: readText(path) });
    }
    return { ...secureZone(origin, records, rows, metadata, log, logged), files };
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function warnOnce(log: Logger, logged: KeyProblems, zone: string, msg: string): void {
  if (logged.has(msg)) return;
  logged.add(msg);
  log.warn({ zone }, msg);
}
