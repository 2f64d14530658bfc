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

// With active DNSSEC keys, rectify-zone also writes `ordername`, the key PowerDNS
// finds NSEC/NSEC3 neighbours by (DBDNSSECKeeper::rectifyZone, 4.7, checked
// against pdnsutil/the API by test/control-dnssec-oracle.test.ts):
//   NSEC:   the name relative to the apex, labels reversed, joined by spaces
//           ("a.b.example.org" → "b a", the apex → ""); empty non-terminals NULL;
//   NSEC3:  the base32hex hash of the name, none (NULL) below a cut, for ENTs too;
//           narrow mode: NULL everywhere (hashes are computed per query);
//   at and below a cut A/AAAA rows (glue) get NULL and auth 0; with NSEC3
//   opt-out so do the NS rows of a delegation without DS.

export type OrderMode =
  | { kind: 'nsec' }
  | { kind: 'nsec3'; narrow: boolean; optOut: boolean; hash: (stored: string) => string };

export interface OrderPlan {
  /** The ordername of every row of each name (ENTs included); null is NULL. */
  orderNames: Map<string, string | null>;
  /** Names whose A and AAAA rows get ordername NULL and auth 0. */
  glue: Set<string>;
  /** Names whose NS rows get ordername NULL and auth 0 (NSEC3 opt-out, no DS). */
  optOutNs: Set<string>;
}

/** "a.b.example.org" in "example.org" → "b a"; labels keep their escapes. */
export function nsecOrderName(name: string, apex: string): string {
  if (name === apex) return '';
  const rel = apex === '' ? name : name.slice(0, name.length - apex.length - 1);
  return splitLabels(rel).reverse().join(' ');
}

function splitLabels(name: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '\\') { i++; continue; }
    if (name[i] === '.') { out.push(name.slice(start, i)); start = i + 1; }
  }
  out.push(name.slice(start));
  return out;
}

export function planOrderNames(input: RectifyInput, plan: RectifyPlan, mode: OrderMode): OrderPlan {
  const { apex } = input;
  const names = new Set<string>();
  const cuts = new Set<string>();
  const withDs = new Set<string>();
  for (const r of input.rows) {
    names.add(r.name);
    if (r.type === 'NS' && r.name !== apex) cuts.add(r.name);
    if (r.type === 'DS') withDs.add(r.name);
  }
  const narrow = mode.kind === 'nsec3' && mode.narrow;
  const orderNames = new Map<string, string | null>();
  for (const name of names) {
    // NSEC3 has no hash for names below a cut; NSEC keeps theirs (PowerDNS 4.7 does both).
    const below = plan.nonAuth.has(name) && !cuts.has(name);
    orderNames.set(name, narrow || (mode.kind === 'nsec3' && below) ? null : mode.kind === 'nsec' ? nsecOrderName(name, apex) : mode.hash(name));
  }
  for (const [name, auth] of plan.ents) orderNames.set(name, mode.kind === 'nsec3' && !narrow && auth ? mode.hash(name) : null);
  const glue = new Set<string>();
  const optOutNs = new Set<string>();
  for (const name of names) {
    if (!plan.nonAuth.has(name) && !cuts.has(name)) continue;
    glue.add(name);
    if (mode.kind === 'nsec3' && mode.optOut && !withDs.has(name)) optOutNs.add(name);
  }
  return { orderNames, glue, optOutNs };
}
