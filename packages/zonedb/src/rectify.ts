// What `pdnsutil rectify-zone` (DBDNSSECKeeper::rectifyZone) writes for a
// zone without DNSSEC, computed from the zone's (name, type) pairs:
//   - auth = 0 for every name at or below a delegation (an NS RRset at a name
//     other than the apex), except DS at the cut, which stays authoritative;
//   - empty non-terminals: every name between a record's owner and the apex
//     that owns no record gets a row with type NULL, with the auth of the
//     name below it (auth wins if names below disagree);
//   - ordername stays NULL (only DNSSEC zones use it).
// Disabled rows are left out by the caller, as PowerDNS lists without them.
// Names here are stored names: lower-case, no trailing dot, "" for the root.

export interface RectifyInput {
  apex: string;
  rows: ReadonlyArray<{ name: string; type: string }>;
}

export interface RectifyPlan {
  /** Names whose non-DS rows must have auth = 0. */
  nonAuth: Set<string>;
  /** Empty non-terminals to insert, with their auth flag. */
  ents: Map<string, boolean>;
}

/** The parent of a stored name ("a.b.c" → "b.c"); undefined at the top. Escaped dots ("a\\.b") stay in the label. */
export function parentName(name: string): string | undefined {
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '\\') { i++; continue; }
    if (name[i] === '.') return name.slice(i + 1);
  }
  return undefined;
}

function belowOrAt(name: string, apex: string): boolean {
  return apex === '' || name === apex || name.endsWith(`.${apex}`);
}

export function planRectify(input: RectifyInput): RectifyPlan {
  const { apex } = input;
  const names = new Set<string>();
  const cuts = new Set<string>();
  for (const r of input.rows) {
    names.add(r.name);
    if (r.type === 'NS' && r.name !== apex) cuts.add(r.name);
  }
  const isNonAuth = (name: string): boolean => {
    for (let n: string | undefined = name; n !== undefined && n !== apex && belowOrAt(n, apex); n = parentName(n)) {
      if (cuts.has(n)) return true;
    }
    return false;
  };
  const nonAuth = new Set<string>();
  const ents = new Map<string, boolean>();
  for (const name of names) {
    const auth = !isNonAuth(name);
    if (!auth) nonAuth.add(name);
    for (let p = parentName(name); p !== undefined && belowOrAt(p, apex) && p !== apex; p = parentName(p)) {
      if (names.has(p)) continue;
      ents.set(p, (ents.get(p) ?? false) || auth);
    }
  }
  return { nonAuth, ents };
}
