// Zone files and the zone database together: one ZoneSet from both sources'
// latest zone lists, rebuilt whenever either changes. A zone both define is
// served from its file (the operator's local override wins over shared data),
// and the conflict is logged once, naming the origin, while it lasts.
import type { Logger } from '@geoedge/shared';
import type { ZoneData } from './zone.js';
import { buildZoneSet, type ZoneSetData } from './zone-set.js';

export interface MergeResult {
  zones: ZoneData[];
  /** Database zones hidden by a file zone of the same origin. */
  conflicts: Array<{ origin: string; file: string; db: string }>;
}

/** File zones, then database zones whose origin no file zone has. */
export function mergeZones(files: readonly ZoneData[], db: readonly ZoneData[]): MergeResult {
  const fromFiles = new Map<string, ZoneData>();
  for (const z of files) fromFiles.set(z.origin, z);
  const zones: ZoneData[] = [...files];
  const conflicts: MergeResult['conflicts'] = [];
  for (const z of db) {
    const f = fromFiles.get(z.origin);
    if (f) conflicts.push({ origin: z.origin, file: f.source, db: z.source });
    else zones.push(z);
  }
  return { zones, conflicts };
}

export interface ZoneMerger {
  setFiles(zones: readonly ZoneData[]): void;
  setDb(zones: readonly ZoneData[]): void;
}

/** Holds each source's latest list and publishes the merged ZoneSet on every change. */
export function createZoneMerger(log: Logger, publish: (zs: ZoneSetData) => void): ZoneMerger {
  let files: readonly ZoneData[] = [];
  let db: readonly ZoneData[] = [];
  let reported = new Set<string>();
  const rebuild = () => {
    const { zones, conflicts } = mergeZones(files, db);
    const now = new Set<string>();
    for (const c of conflicts) {
      now.add(c.origin);
      if (!reported.has(c.origin)) {
        log.warn({ zone: c.origin, file: c.file, db: c.db }, `zone ${c.origin} is both in a zone file and in the database; serving the file's version`);
      }
    }
    reported = now;
    publish(buildZoneSet(zones));
  };
  return {
    setFiles(z) {
      files = z;
      rebuild();
    },
    setDb(z) {
      db = z;
      rebuild();
    },
  };
}
