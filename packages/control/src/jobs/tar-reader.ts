// Streams the first *.mmdb regular file out of a tar archive (POSIX.1-1988
// ustar, with the pax 'x' and GNU 'L' long-name extensions MaxMind's tarballs
// may carry), without holding the archive in memory.
//
//   header block (512 bytes)              offset  size
//     name                                   0     100
//     mode uid gid                         100    3×8
//     size (octal, or base-256 if 0x80)    124      12
//     mtime                                136      12
//     chksum (octal, computed with the     148       8
//            field itself as spaces)
//     typeflag ('0'/NUL file, 'x' pax,     156       1
//              'g' pax global, 'L' GNU long name, '5' dir …)
//     linkname                             157     100
//     magic "ustar" + version              257       8
//     uname gname devmajor devminor        265      80
//     prefix                               345     155
//   file data, padded to a multiple of 512; the archive ends with two zero blocks.

export type ExtractResult = { kind: 'ok'; name: string; size: number } | { kind: 'error'; message: string };

const BLOCK = 512;

class ChunkReader {
  private readonly it: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }
  private async fill(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done) return false;
    this.pending = this.pending.length ? Buffer.concat([this.pending, r.value]) : r.value;
    return true;
  }
  /** Exactly n bytes, or undefined when the stream ends first. */
  async exact(n: number): Promise<Buffer | undefined> {
    while (this.pending.length < n) if (!(await this.fill())) return undefined;
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }
  /** Hands n bytes to sink as they arrive; false when the stream ends first. */
  async pass(n: number, sink?: (chunk: Buffer) => Promise<void>): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.fill())) return false;
      const take = Math.min(left, this.pending.length);
      if (sink) await sink(this.pending.subarray(0, take));
      this.pending = this.pending.subarray(take);
      left -= take;
    }
    return true;
  }
}

/**
 * Reads entries until the first regular file whose name ends in ".mmdb" and
 * streams its bytes to `sink`. Errors from the source (e.g. a gzip stream that
 * ends early) reject; everything else is an ExtractResult.
 */
export async function extractMmdb(src: AsyncIterable<Buffer>, sink: (chunk: Buffer) => Promise<void>): Promise<ExtractResult> {
  const r = new ChunkReader(src);
  let longName: string | undefined;
  for (let entry = 0; ; entry++) {
    const h = await r.exact(BLOCK);
    if (!h) return { kind: 'error', message: entry === 0 ? 'archive is empty' : 'archive is truncated (ends inside the entry list)' };
    if (h.every((b) => b === 0)) return { kind: 'error', message: 'tar archive does not contain an .mmdb file' };
    if (!checksumOk(h)) return { kind: 'error', message: `not a tar archive (bad header checksum in entry ${entry})` };
    const size = parseSize(h);
    if (size === undefined) return { kind: 'error', message: `bad size field in tar entry ${entry}` };
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    const type = String.fromCharCode(h[156]!);
    if (type === 'x' || type === 'L') {
      if (size > 1 << 20) return { kind: 'error', message: 'tar extended header is too large' };
      const data = await r.exact(padded);
      if (!data) return { kind: 'error', message: 'archive is truncated (inside an extended header)' };
      longName = type === 'L' ? cstr(data.subarray(0, size)) : (paxPath(data.subarray(0, size)) ?? longName);
      continue;
    }
    const name = longName ?? joinPrefix(h);
    longName = undefined;
    if ((type === '0' || type === '\0' || type === '7') && name.endsWith('.mmdb')) {
      if (!(await r.pass(size, sink))) return { kind: 'error', message: `archive is truncated (inside ${name})` };
      return { kind: 'ok', name, size };
    }
    if (!(await r.pass(padded))) return { kind: 'error', message: `archive is truncated (inside ${name})` };
  }
}

function checksumOk(h: Buffer): boolean {
  const stored = parseOctal(h.subarray(148, 156));
  if (stored === undefined) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === stored;
}

function parseSize(h: Buffer): number | undefined {
  const f = h.subarray(124, 136);
  if (f[0]! & 0x80) {
    // GNU base-256: big-endian binary in the remaining bytes.
    let n = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) n = n * 256 + f[i]!;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return parseOctal(f);
}

function parseOctal(f: Buffer): number | undefined {
  const s = f.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]+$/.test(s)) return undefined;
  return parseInt(s, 8);
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
}

function joinPrefix(h: Buffer): string {
  const name = cstr(h.subarray(0, 100));
  const magic = h.subarray(257, 262).toString('latin1');
  const prefix = magic === 'ustar' ? cstr(h.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** pax records: "<len> <key>=<value>\n"; only "path" matters here. */
function paxPath(data: Buffer): string | undefined {
  const text = data.toString('utf8');
  let path: string | undefined;
  for (const m of text.matchAll(/(\d+) ([^=\n]+)=([^\n]*)\n/g)) if (m[2] === 'path') path = m[3];
  return path;
}
