// Packet generators for the fuzz test: a seeded PRNG (reproducible runs), a
// corpus of valid queries, and mutations aimed at the parser's weak spots.
import { buildQuery, ecsOption, encodeName } from './wire.js';

/** mulberry32: tiny, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);

const NAMES = ['www.example.com', 'example.com', 'nope.example.com', 'big.example.com', 'huge.example.com', 'x.wild.example.com', 'alias.example.com', 'loop1.example.com', 'sub.example.com', 'host.sub.example.com', 'example.org', 'example.net', '10.2.0.192.in-addr.arpa'];
const TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 255, 257, 65280, 0, 41, 252];

/** Valid queries to mutate: names, types, with and without EDNS/ECS. */
export function corpus(): Buffer[] {
  const out: Buffer[] = [];
  for (const name of NAMES) {
    for (const type of TYPES) {
      out.push(buildQuery({ id: 1, name, type }));
      out.push(buildQuery({ id: 2, name, type, edns: { payload: 1232, options: [ecsOption('198.51.100.0', 24)] } }));
    }
    out.push(buildQuery({ id: 3, name, type: 1, edns: { payload: 512, dnssecOk: true, options: [ecsOption('2001:db8::', 56), { code: 10, data: Buffer.alloc(8, 7) }] } }));
  }
  return out;
}

type Mutator = (p: Buffer, r: Rand) => Buffer;

const MUTATORS: Array<[string, Mutator]> = [
  ['bitflip', (p, r) => { const b = Buffer.from(p); for (let i = 1 + int(r, 8); i > 0; i--) b[int(r, b.length)]! ^= 1 << int(r, 8); return b; }],
  ['byteset', (p, r) => { const b = Buffer.from(p); for (let i = 1 + int(r, 4); i > 0; i--) b[int(r, b.length)] = int(r, 256); return b; }],
  ['truncate', (p, r) => p.subarray(0, int(r, p.length))],
  ['extend', (p, r) => Buffer.concat([p, randomBytes(r, 1 + int(r, 64))])],
  ['label-length', (p, r) => {
    const b = Buffer.from(p);
    // Labels start at 12; corrupt one length byte found by walking them.
    const starts: number[] = [];
    for (let pos = 12; pos < b.length && b[pos] !== 0 && starts.length < 20; pos += 1 + b[pos]!) starts.push(pos);
    if (starts.length) b[starts[int(r, starts.length)]!] = [0, 63, 64, 0x7f, 0xbf, 0xff, int(r, 256)][int(r, 7)]!;
    return b;
  }],
  ['pointer-loop', (p, r) => {
    const hdr = Buffer.from(p.subarray(0, 12));
    const kinds = [
      Buffer.from([0xc0, 12]),                                  // points at itself
      Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 12]),             // www + pointer back to the start
      Buffer.from([0xc0, 14, 0xc0, 12]),                        // two pointers at each other
      Buffer.from([0xc0, 0xff]),                                // past the end
      Buffer.from([0xc0, int(r, 64)]),                          // anywhere
    ];
    return Buffer.concat([hdr, kinds[int(r, kinds.length)]!, Buffer.from([0, 1, 0, 1])]);
  }],
  ['huge-counts', (p, r) => { const b = Buffer.from(p); b.writeUInt16BE([0xffff, 0, 2, int(r, 65536)][int(r, 4)]!, 4 + 2 * int(r, 4)); return b; }],
  ['opt-garbage', (p, r) => {
    const q = Buffer.from(p.subarray(0, Math.min(p.length, 12 + encodeName('www.example.com').length + 4)));
    q.writeUInt16BE(1, 10);
    const opt = Buffer.from([0, 0, 41, 4, 0xd0, int(r, 256), int(r, 256), 0, 0]);
    const rdata = randomBytes(r, int(r, 40));
    const len = Buffer.alloc(2);
    len.writeUInt16BE(r() < 0.7 ? rdata.length : int(r, 65536));
    return Buffer.concat([q, opt, len, rdata]);
  }],
  ['random', (_p, r) => randomBytes(r, int(r, 600))],
  ['header-only', (_p, r) => randomBytes(r, 12)],
];

export function randomBytes(r: Rand, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(r, 256);
  return b;
}

/** One fuzz packet: a mutation of a corpus query; QR usually cleared so the parser sees it. */
export function mutate(base: Buffer[], r: Rand): { name: string; packet: Buffer } {
  const [name, fn] = MUTATORS[int(r, MUTATORS.length)]!;
  let packet = fn(base[int(r, base.length)]!, r);
  if (r() < 0.3) packet = MUTATORS[int(r, 4)]![1](packet, r); // stack a second cheap mutation
  if (packet.length >= 3 && r() < 0.9) packet[2]! &= 0x7f;
  return { name, packet };
}
