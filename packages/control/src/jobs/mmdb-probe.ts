// The one maxmind import of packages/control. A freshly downloaded database is
// opened and probed here before it may replace the installed one, so a file that
// passed the MD5 check but is still unusable (wrong format, broken tree, records
// that do not decode) never goes live.
// Checks follow "MaxMind DB File Format Specification" v2.0: the metadata must
// parse ("Database Metadata"); every search-tree record ("Node Layout") must
// point to a node, to "no data" (== node_count) or into the data section; every
// data record a node points to must decode ("Output Data Section").
import { readFile } from 'node:fs/promises';
import { Reader, type Response } from 'maxmind';

export type ProbeResult =
  | { kind: 'ok'; databaseType: string; buildEpoch: Date; nodeCount: number }
  | { kind: 'error'; message: string };

export async function probeMmdb(path: string): Promise<ProbeResult> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    return { kind: 'error', message: `cannot read ${path}: ${(err as Error).message}` };
  }
  return probeMmdbBuffer(buf);
}

export function probeMmdbBuffer(buf: Buffer): ProbeResult {
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(buf);
  } catch (err) {
    return { kind: 'error', message: `not a MaxMind DB: ${(err as Error).message}` };
  }
  const md = reader.metadata;
  const problem = checkTree(reader, buf);
  if (problem) return { kind: 'error', message: `corrupt MaxMind DB: ${problem}` };
  return { kind: 'ok', databaseType: md.databaseType, buildEpoch: md.buildEpoch, nodeCount: md.nodeCount };
}

function checkTree(reader: Reader<Response>, buf: Buffer): string | undefined {
  const { nodeCount, recordSize, searchTreeSize } = reader.metadata;
  if (![24, 28, 32].includes(recordSize)) return `unsupported record size ${recordSize}`;
  if (nodeCount < 1 || searchTreeSize + 16 > buf.length) return `search tree (${nodeCount} nodes) does not fit in the file`;
  const dataLen = buf.length - searchTreeSize - 16;
  const resolve = (reader as unknown as { resolveDataPointer(p: number): unknown }).resolveDataPointer.bind(reader);
  const nodeBytes = recordSize / 4;
  const seen = new Set<number>();
  for (let n = 0; n < nodeCount; n++) {
    for (let side = 0; side < 2; side++) {
      const v = readRecord(buf, n * nodeBytes, recordSize, side);
      if (v <= nodeCount) continue;
      if (v - nodeCount - 16 >= dataLen) return `node ${n} points outside the data section`;
      if (seen.has(v)) continue;
      seen.add(v);
      try {
        resolve(v);
      } catch (err) {
        return `data record of node ${n} does not decode: ${(err as Error).message}`;
      }
    }
  }
  return undefined;
}

function readRecord(b: Buffer, o: number, size: number, side: number): number {
  if (size === 24) {
    const p = o + side * 3;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }
  if (size === 28) {
    if (side === 0) return ((b[o + 3]! & 0xf0) << 20) | (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
    return ((b[o + 3]! & 0x0f) << 24) | (b[o + 4]! << 16) | (b[o + 5]! << 8) | b[o + 6]!;
  }
  return b.readUInt32BE(o + side * 4);
}
