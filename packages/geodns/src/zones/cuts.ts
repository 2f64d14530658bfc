// Zone cuts (RFC 1034 §4.2.1): an NS RRset at a name below the apex delegates
// that name and everything beneath it. Data below a cut is not authoritative:
// it is served only as glue for the delegation's NS targets (RFC 1034 §4.3.2
// step 3b). Each node learns the HIGHEST cut above it, since that is where a
// lookup walking down from the apex would stop.
import { TYPE, lowerName, type RRset } from '@geoedge/dnsdata';
import { isUnder, parentName } from './labels.js';
import type { Problems } from './problems.js';
import { rrsetOf, type NodeBuilder } from './zone-node.js';

/**
 * Sets every node's `cut` and each delegation's glue; returns the delegation
 * points (highest cuts). Yields every `step` names (zone.ts builds in slices).
 */
export function* linkCuts(nodes: Map<string, NodeBuilder>, apex: string, p: Problems, step: number): Generator<void, NodeBuilder[]> {
  let any = false;
  let n = 0;
  for (const [owner, node] of nodes) {
    if (++n % step === 0) yield;
    if (owner !== apex && rrsetOf(node, TYPE.NS)) any = true;
  }
  if (!any) return [];
  const done = new Set<string>([apex]);
  for (const owner of nodes.keys()) {
    if (++n % step === 0) yield;
    resolveCut(nodes, owner, done);
  }
  const delegations: NodeBuilder[] = [];
  for (const node of nodes.values()) {
    if (++n % step === 0) yield;
    if (node.cut !== node) continue;
    node.glue = findGlue(nodes, node, apex, p);
    delegations.push(node);
  }
  return delegations;
}

/** Sets node.cut from its parent's (memoised: each name is visited once). */
function resolveCut(nodes: Map<string, NodeBuilder>, owner: string, done: Set<string>): NodeBuilder | undefined {
  if (done.has(owner)) return nodes.get(owner)?.cut; // the apex is never a cut
  const node = nodes.get(owner)!;
  const above = resolveCut(nodes, parentName(owner)!, done);
  node.cut = above ?? (rrsetOf(node, TYPE.NS) ? node : undefined);
  done.add(owner);
  return node.cut;
}

/** Address RRsets for NS targets inside the zone, wherever they sit (below the cut or not). */
function findGlue(nodes: Map<string, NodeBuilder>, cut: NodeBuilder, apex: string, p: Problems): RRset[] {
  const glue: RRset[] = [];
  const seen = new Set<string>();
  for (const r of rrsetOf(cut, TYPE.NS)!.records) {
    if (r.kind !== 'name') continue;
    const target = lowerName(r.target);
    if (seen.has(target) || !isUnder(target, apex)) continue;
    seen.add(target);
    const t = nodes.get(target);
    let found = false;
    for (const type of [TYPE.A, TYPE.AAAA]) {
      const s = t && rrsetOf(t, type);
      if (!s) continue;
      if (s.records.some((d) => d.kind === 'lua')) {
        p.add('glue', `${cut.name} NS ${r.target}: its ${type === TYPE.A ? 'A' : 'AAAA'} records are LUA records, which cannot be glue`);
        continue;
      }
      glue.push(s);
      found = true;
    }
    if (!found && isUnder(target, lowerName(cut.name))) {
      p.add('glue', `${cut.name} NS ${r.target}: the target lies below the cut but has no A/AAAA glue`);
    }
  }
  return glue;
}
