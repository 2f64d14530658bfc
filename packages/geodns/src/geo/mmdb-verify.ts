// Structural verification of a MaxMind DB file before it goes live, after
// "MaxMind DB File Format Specification" v2.0 (search tree: "Node Layout";
// data section: "Output Data Section", control byte = type(3 bits) | size(5 bits)).
// Every record of every tree node must point to a node, to "no data", or into the
// data section; every distinct data record must parse with sane sizes (a double
// is 8 bytes, a float 4, integers no wider than their type, nothing past the end).
// Pure buffer walking: no objects are built, so a full City file takes well under
// a second, off the query path.

export interface TreeShape {
  nodeCount: number;
  recordSize: number;
  searchTreeSize: number;
}

export function verifyMmdb(buf: Buffer, md: TreeShape): string | undefined {
  const { nodeCount, recordSize, searchTreeSize } = md;
  if (![24, 28, 32].includes(recordSize)) return `unsupported record size ${recordSize}`;
  if (searchTreeSize + 16 > buf.length) return `search tree (${nodeCount} nodes) is larger than the file`;
  const dataStart = searchTreeSize + 16;
  const dataEnd = metadataStart(buf) ?? buf.length;
  const dataLen = dataEnd - dataStart;
  if (dataLen < 0) return 'data section overlaps the search tree';
  const nodeBytes = recordSize / 4;
  const seen = new Set<number>();
  for (let n = 0; n < nodeCount; n++) {
    const o = n * nodeBytes;
    for (let side = 0; side < 2; side++) {
      const v = readRecord(buf, o, recordSize, side);
      if (v <= nodeCount) continue;
      const off = v - nodeCount - 16;
      if (off >= dataLen) return `node ${n} points outside the data section`;
      if (seen.has(off)) continue;
      seen.add(off);
      try {
        skipValue(buf, dataStart, dataEnd, dataStart + off, 0);
      } catch (err) {
        return `data record at offset ${off} (node ${n}): ${(err as Error).message}`;
      }
    }
  }
  return undefined;
}

const META = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1');

function metadataStart(buf: Buffer): number | undefined {
  const at = buf.lastIndexOf(META);
  return at < 0 ? undefined : at;
}

export function readRecord(b: Buffer, o: number, size: number, side: number): number {
  if (size === 24) {
    const p = o + side * 3;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }
  if (size === 28) {
    if (side === 0) return (((b[o + 3]! & 0xf0) << 20) | (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!) >>> 0;
    return (((b[o + 3]! & 0x0f) << 24) | (b[o + 4]! << 16) | (b[o + 5]! << 8) | b[o + 6]!) >>> 0;
  }
  return b.readUInt32BE(o + side * 4);
}

const MAX_WIDTH: Record<number, number> = { 5: 2, 6: 4, 8: 4, 9: 8, 10: 16 };

/** Returns the offset just past the value at `p`; throws on anything malformed. */
function skipValue(b: Buffer, start: number, end: number, p: number, depth: number): number {
  if (depth > 32) throw new Error('nesting too deep');
  if (p >= end) throw new Error('value starts past the data section');
  const ctrl = b[p++]!;
  let type = ctrl >> 5;
  if (type === 1) {
    const ss = (ctrl >> 3) & 3;
    const len = ss + 1;
    if (p + len > end) throw new Error('truncated pointer');
    let v = ctrl & 7;
    for (let i = 0; i < len; i++) v = v * 256 + b[p + i]!;
    if (ss === 3) v = b.readUInt32BE(p);
    const bias = [0, 2048, 526336, 0][ss]!;
    if (v + bias >= end - start) throw new Error('pointer outside the data section');
    return p + len;
  }
  if (type === 0) {
    if (p >= end) throw new Error('truncated extended type');
    type = 7 + b[p++]!;
    if (type < 8 || type > 15) throw new Error(`unknown extended type ${type}`);
  }
  let size = ctrl & 0x1f;
  if (size >= 29) {
    const n = size - 28;
    if (p + n > end) throw new Error('truncated size');
    let ext = 0;
    for (let i = 0; i < n; i++) ext = ext * 256 + b[p + i]!;
    size = [29, 285, 65821][n - 1]! + ext;
    p += n;
  }
  switch (type) {
    case 7: // map: size key/value pairs
      for (let i = 0; i < size; i++) {
        p = skipValue(b, start, end, p, depth + 1);
        p = skipValue(b, start, end, p, depth + 1);
      }
      return p;
    case 11: // array
      for (let i = 0; i < size; i++) p = skipValue(b, start, end, p, depth + 1);
      return p;
    case 3:
      if (size !== 8) throw new Error(`double of ${size} bytes`);
      break;
    case 15:
      if (size !== 4) throw new Error(`float of ${size} bytes`);
      break;
    case 14:
      if (size > 1) throw new Error(`boolean of size ${size}`);
      return p; // the value lives in the size bits
    case 12:
    case 13:
      throw new Error(`type ${type} is not allowed in the data section`);
    default:
      if (MAX_WIDTH[type] !== undefined && size > MAX_WIDTH[type]!) throw new Error(`type ${type} of ${size} bytes`);
  }
  if (p + size > end) throw new Error('value runs past the data section');
  return p + size;
}
