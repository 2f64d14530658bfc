// A name in a built zone. See zone.ts for how nodes are made.
import type { RRset } from '@geoedge/dnsdata';

export interface ZoneNode {
  /** The name as written in the zone (for an empty non-terminal: as its descendant spelled it). */
  readonly name: string;
  /** Its RRsets, one per type, in the order first seen; empty for an empty non-terminal. */
  readonly rrsets: readonly RRset[];
  /** The existing `*.<this name>` node: the source of synthesis when this is the closest encloser. */
  readonly wildcard: ZoneNode | undefined;
  /**
   * The highest zone cut at or above this name (below the apex). When it is
   * not the node itself, the node lies beneath a delegation: only glue.
   */
  readonly cut: ZoneNode | undefined;
  /** At a highest cut: A/AAAA RRsets of the NS targets inside this zone (also below the cut). */
  readonly glue: readonly RRset[];
}

/** The RRset of `type` at a node, if any. */
export function rrsetOf(node: ZoneNode, type: number): RRset | undefined {
  const sets = node.rrsets;
  for (let i = 0; i < sets.length; i++) if (sets[i]!.type === type) return sets[i];
  return undefined;
}

/** The mutable form used while building; exposed only through ZoneNode. */
export interface NodeBuilder {
  name: string;
  rrsets: RRset[];
  wildcard: NodeBuilder | undefined;
  cut: NodeBuilder | undefined;
  glue: RRset[];
}

