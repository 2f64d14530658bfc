// Walks the IPv4 part of a MaxMind DB search tree ("MaxMind DB File Format
// Specification" v2.0, "Search Tree Section": each node holds two records,
// left = bit 0, right = bit 1; a record equal to node_count means "no data", a
// larger one points into the data section; an IPv6 tree holds IPv4 under
// ::/96, i.e. 96 left turns from the root). Pure buffer walking, used off the
// query path to list the networks of a database (the web page's map samples).
import { readRecord, type TreeShape } from './mmdb-verify.js';

/** Tree nodes between yields to the event loop: a City tree takes about a second, DNS must not wait that long. */
const NODES_PER_SLICE = 20_000;

/**
 * Calls `visit` for every IPv4 network with data: its address as a 32-bit number, its prefix length, its data pointer.
 * Yields to the event loop every few thousand nodes.
 */
export async function walkIpv4(buf: Buffer, md: TreeShape & { ipVersion: number }, visit: (net: number, prefix: number, pointer: number) => void): Promise<void> {
  const { nodeCount, recordSize } = md;
  const nodeBytes = recordSize / 4;
  let root = 0;
  if (md.ipVersion === 6) {
    for (let i = 0; i < 96 && root < nodeCount; i++) root = readRecord(buf, root * nodeBytes, recordSize, 0);
  }
  if (root === nodeCount) return;
  if (root > nodeCount) { visit(0, 0, root); return; }
  // Explicit stack of (node, network so far, depth): a City tree has millions of nodes.
  const nodes: number[] = [root];
  const nets: number[] = [0];
  const depths: number[] = [0];
  let walked = 0;
  while (nodes.length) {
    if (++walked % NODES_PER_SLICE === 0) await new Promise((r) => setImmediate(r));
    const node = nodes.pop()!;
    const net = nets.pop()!;
    const depth = depths.pop()!;
    for (let side = 1; side >= 0; side--) {
      const rec = readRecord(buf, node * nodeBytes, recordSize, side);
      const child = side ? (net | (1 << (31 - depth))) >>> 0 : net;
      if (rec === nodeCount) continue;
      if (rec > nodeCount) { visit(child, depth + 1, rec); continue; }
      if (depth + 1 >= 32) continue; // a node below /32 would be a malformed tree
      nodes.push(rec);
      nets.push(child);
      depths.push(depth + 1);
    }
  }
}
