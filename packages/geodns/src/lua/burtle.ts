// Bob Jenkins' lookup2 hash ("burtle" in PowerDNS, burtle.hh), so hashed picks
// choose the same entry PowerDNS chooses for the same client address.
function mix(a: number, b: number, c: number): [number, number, number] {
  a = (a - b - c) >>> 0; a = (a ^ (c >>> 13)) >>> 0;
  b = (b - c - a) >>> 0; b = (b ^ (a << 8)) >>> 0;
  c = (c - a - b) >>> 0; c = (c ^ (b >>> 13)) >>> 0;
  a = (a - b - c) >>> 0; a = (a ^ (c >>> 12)) >>> 0;
  b = (b - c - a) >>> 0; b = (b ^ (a << 16)) >>> 0;
  c = (c - a - b) >>> 0; c = (c ^ (b >>> 5)) >>> 0;
  a = (a - b - c) >>> 0; a = (a ^ (c >>> 3)) >>> 0;
  b = (b - c - a) >>> 0; b = (b ^ (a << 10)) >>> 0;
  c = (c - a - b) >>> 0; c = (c ^ (b >>> 15)) >>> 0;
  return [a, b, c];
}

export function burtle(k: Uint8Array, initval = 0): number {
  let a = 0x9e3779b9, b = 0x9e3779b9, c = initval >>> 0;
  let len = k.length;
  let p = 0;
  const u32 = (i: number) => (k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24)) >>> 0;
  while (len >= 12) {
    a = (a + u32(p)) >>> 0; b = (b + u32(p + 4)) >>> 0; c = (c + u32(p + 8)) >>> 0;
    [a, b, c] = mix(a, b, c);
    p += 12; len -= 12;
  }
  c = (c + k.length) >>> 0;
  // the fall-through switch of lookup2; the first byte of c is reserved for the length
  if (len >= 11) c = (c + (k[p + 10]! << 24)) >>> 0;
  if (len >= 10) c = (c + (k[p + 9]! << 16)) >>> 0;
  if (len >= 9) c = (c + (k[p + 8]! << 8)) >>> 0;
  if (len >= 8) b = (b + (k[p + 7]! << 24)) >>> 0;
  if (len >= 7) b = (b + (k[p + 6]! << 16)) >>> 0;
  if (len >= 6) b = (b + (k[p + 5]! << 8)) >>> 0;
  if (len >= 5) b = (b + k[p + 4]!) >>> 0;
  if (len >= 4) a = (a + (k[p + 3]! << 24)) >>> 0;
  if (len >= 3) a = (a + (k[p + 2]! << 16)) >>> 0;
  if (len >= 2) a = (a + (k[p + 1]! << 8)) >>> 0;
  if (len >= 1) a = (a + k[p]!) >>> 0;
  return mix(a, b, c)[2];
}

/** Case-insensitive variant (burtleCI): ASCII letters folded to lower case first. */
export function burtleCI(k: Uint8Array, initval = 0): number {
  const low = new Uint8Array(k.length);
  for (let i = 0; i < k.length; i++) low[i] = k[i]! >= 65 && k[i]! <= 90 ? k[i]! + 32 : k[i]!;
  return burtle(low, initval);
}

/** DNSName::hash(): burtleCI over the wire form (length-prefixed labels, final zero byte). */
export function dnsNameHash(fqdn: string): number {
  const labels = fqdn.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const parts: number[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'latin1');
    parts.push(b.length, ...b);
  }
  parts.push(0);
  return burtleCI(Uint8Array.from(parts));
}
