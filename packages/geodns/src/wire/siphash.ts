// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012),
// the MAC of RFC 9018 server cookies. Written on 32-bit halves instead of
// BigInt so that checking a cookie on the query path allocates nothing: the
// state lives in one module-level Int32Array, the result is written into the
// caller's buffer.
//
// Per 64-bit word, little-endian message words m:
//   v0 = k0 ^ "somepseu"  v1 = k1 ^ "dorandom"  v2 = k0 ^ "lygenera"  v3 = k1 ^ "tedbytes"
//   per word: v3 ^= m; 2 × SipRound; v0 ^= m
//   last word: remaining bytes, length mod 256 in the top byte
//   finish: v2 ^= 0xff; 4 × SipRound; out = v0 ^ v1 ^ v2 ^ v3 (little-endian)
// SipRound: v0 += v1; v1 <<<= 13; v1 ^= v0; v0 <<<= 32; v2 += v3; v3 <<<= 16; v3 ^= v2;
//           v0 += v3; v3 <<<= 21; v3 ^= v0; v2 += v1; v1 <<<= 17; v1 ^= v2; v2 <<<= 32

// s[2i] = high half of v_i, s[2i+1] = low half.
const s = new Int32Array(8);

function add(a: number, b: number): void {
  // v_a += v_b, 64-bit: low halves as unsigned, carry into the high half.
  const lo = (s[a + 1]! >>> 0) + (s[b + 1]! >>> 0);
  s[a] = s[a]! + s[b]! + (lo > 0xffffffff ? 1 : 0);
  s[a + 1] = lo;
}

function rotl(a: number, n: number): void {
  const hi = s[a]!, lo = s[a + 1]!;
  if (n === 32) { s[a] = lo; s[a + 1] = hi; return; }
  // n < 32 here
  s[a] = (hi << n) | (lo >>> (32 - n));
  s[a + 1] = (lo << n) | (hi >>> (32 - n));
}

function xor(a: number, b: number): void {
  s[a] = s[a]! ^ s[b]!;
  s[a + 1] = s[a + 1]! ^ s[b + 1]!;
}

const V0 = 0, V1 = 2, V2 = 4, V3 = 6;

function round(): void {
  add(V0, V1); rotl(V1, 13); xor(V1, V0); rotl(V0, 32);
  add(V2, V3); rotl(V3, 16); xor(V3, V2);
  add(V0, V3); rotl(V3, 21); xor(V3, V0);
  add(V2, V1); rotl(V1, 17); xor(V1, V2); rotl(V2, 32);
}

function compress(hi: number, lo: number): void {
  s[V3] = s[V3]! ^ hi; s[V3 + 1] = s[V3 + 1]! ^ lo;
  round(); round();
  s[V0] = s[V0]! ^ hi; s[V0 + 1] = s[V0 + 1]! ^ lo;
}

function le32(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}

/** SipHash-2-4 of msg[0, len) under the 16-byte `key`, written as 8 little-endian bytes at out[outAt]. */
export function siphash24(key: Uint8Array, msg: Uint8Array, len: number, out: Uint8Array, outAt: number): void {
  const k0lo = le32(key, 0), k0hi = le32(key, 4), k1lo = le32(key, 8), k1hi = le32(key, 12);
  s[V0] = k0hi ^ 0x736f6d65; s[V0 + 1] = k0lo ^ 0x70736575;
  s[V1] = k1hi ^ 0x646f7261; s[V1 + 1] = k1lo ^ 0x6e646f6d;
  s[V2] = k0hi ^ 0x6c796765; s[V2 + 1] = k0lo ^ 0x6e657261;
  s[V3] = k1hi ^ 0x74656462; s[V3 + 1] = k1lo ^ 0x79746573;
  const whole = len & ~7;
  for (let p = 0; p < whole; p += 8) compress(le32(msg, p + 4), le32(msg, p));
  // The last word: 0-7 remaining bytes, the length (mod 256) in the top byte.
  let lo = 0, hi = (len & 0xff) << 24;
  for (let i = 0; i < (len & 7); i++) {
    const b = msg[whole + i]!;
    if (i < 4) lo |= b << (8 * i);
    else hi |= b << (8 * (i - 4));
  }
  compress(hi, lo);
  s[V2 + 1] = s[V2 + 1]! ^ 0xff;
  round(); round(); round(); round();
  const rlo = s[V0 + 1]! ^ s[V1 + 1]! ^ s[V2 + 1]! ^ s[V3 + 1]!;
  const rhi = s[V0]! ^ s[V1]! ^ s[V2]! ^ s[V3]!;
  for (let i = 0; i < 4; i++) {
    out[outAt + i] = (rlo >>> (8 * i)) & 0xff;
    out[outAt + 4 + i] = (rhi >>> (8 * i)) & 0xff;
  }
}
