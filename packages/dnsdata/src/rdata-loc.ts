// LOC, RFC 1876 §2 (wire) and §3 (text):
//
//   | VERSION (8) | SIZE (8) | HORIZ PRE (8) | VERT PRE (8) |
//   | LATITUDE (32) | LONGITUDE (32) | ALTITUDE (32) |
//
//   d1 [m1 [s1]] {"N"|"S"} d2 [m2 [s2]] {"E"|"W"} alt["m"] [siz["m"] [hp["m"] [vp["m"]]]]
//
// SIZE/HORIZ PRE/VERT PRE are centimetres as mantissa (high nibble) × 10^exponent
// (low nibble), rounded down as RFC 1876's precsize_aton does (15m is stored as
// 10m; PowerDNS and BIND do the same). Latitude/longitude are thousandths of an
// arc second offset by 2^31; altitude is centimetres above 100,000 m below the
// WGS 84 spheroid. Defaults: size 1m, hp 10000m, vp 10m. The text we write is
// PowerDNS's: `52 22 23.000 N 4 53 32.000 E -2.00m 1.00m 10000.00m 10.00m`.
import type { Cursor } from './rdata-cursor.js';

const EQUATOR = 2 ** 31;
const ALT_BASE = 10_000_000; // cm: 100,000 m below the reference
const MAX_PREC_CM = 9_000_000_000; // 9e9 cm = 90,000,000.00m, the largest 9×10^9

/** Wire octets for LOC text. */
export function parseLoc(c: Cursor): Buffer {
  const lat = angle(c, 'latitude', 90, 'N', 'S');
  const lon = angle(c, 'longitude', 180, 'E', 'W');
  const alt = metres(c.word('altitude'), 'altitude', -100_000, 42_849_672.95);
  const size = c.done() ? 100 : metres(c.word('size'), 'size', 0, 90_000_000);
  const hp = c.done() ? 1_000_000 : metres(c.word('horizontal precision'), 'horizontal precision', 0, 90_000_000);
  const vp = c.done() ? 1_000 : metres(c.word('vertical precision'), 'vertical precision', 0, 90_000_000);
  const b = Buffer.alloc(16);
  b[0] = 0;
  b[1] = precision(size);
  b[2] = precision(hp);
  b[3] = precision(vp);
  b.writeUInt32BE(lat, 4);
  b.writeUInt32BE(lon, 8);
  b.writeUInt32BE(alt + ALT_BASE, 12);
  return b;
}

/** Degrees [minutes [seconds]] then a hemisphere letter → the RFC 1876 32-bit value. */
function angle(c: Cursor, field: string, maxDeg: number, pos: string, neg: string): number {
  const parts: string[] = [];
  for (;;) {
    const w = c.word(field);
    const h = w.toUpperCase();
    if (h === pos || h === neg) {
      if (parts.length === 0) throw new Error(`${field}: degrees are missing before "${w}"`);
      const [d, m = '0', s = '0'] = parts;
      const deg = int(d!, field, maxDeg);
      const min = int(m, `${field} minutes`, 59);
      if (!/^[0-9]{1,2}(?:\.[0-9]{1,3})?$/.test(s) || Number(s) >= 60) throw new Error(`${field} seconds "${s}" must be 0-59.999`);
      const ms = Math.round(((deg * 60 + min) * 60 + Number(s)) * 1000);
      if (ms > maxDeg * 3_600_000) throw new Error(`${field} is over ${maxDeg} degrees`);
      return h === pos ? EQUATOR + ms : EQUATOR - ms;
    }
    if (parts.length === 3) throw new Error(`${field}: expected ${pos} or ${neg}, got "${w}"`);
    parts.push(w);
  }
}

function int(t: string, field: string, max: number): number {
  if (!/^[0-9]{1,3}$/.test(t) || Number(t) > max) throw new Error(`${field} "${t}" must be an integer 0-${max}`);
  return Number(t);
}

/** "12.5m" / "12.5" → centimetres. */
function metres(t: string, field: string, min: number, max: number): number {
  const m = /^(-?[0-9]{1,8}(?:\.[0-9]{1,2})?)m?$/i.exec(t);
  if (!m || Number(m[1]) < min || Number(m[1]) > max) throw new Error(`${field} "${t}" must be metres ${min}-${max} (at most 2 decimals)`);
  const [whole, frac = ''] = m[1]!.replace('-', '').split('.');
  const cm = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return m[1]!.startsWith('-') ? -cm : cm;
}

/** RFC 1876 precsize_aton: the exponent is the number of digits after the first, the mantissa that digit. */
function precision(cm: number): number {
  if (cm > MAX_PREC_CM) cm = MAX_PREC_CM;
  let e = 0;
  while (e < 9 && cm >= 10 ** (e + 1)) e++;
  return (Math.floor(cm / 10 ** e) << 4) | e;
}

function precisionCm(b: number): number {
  return (b >> 4) * 10 ** (b & 0x0f);
}

/** PowerDNS's text for LOC wire octets; undefined if not 16 octets of version 0 with valid precisions. */
export function formatLoc(b: Buffer): string | undefined {
  if (b.length !== 16 || b[0] !== 0) return undefined;
  for (const p of [b[1]!, b[2]!, b[3]!]) if ((p >> 4) > 9 || (p & 0x0f) > 9) return undefined;
  const lat = dms(b.readUInt32BE(4), 'N', 'S');
  const lon = dms(b.readUInt32BE(8), 'E', 'W');
  const alt = (b.readUInt32BE(12) - ALT_BASE) / 100;
  const m = (cm: number) => `${(cm / 100).toFixed(2)}m`;
  return `${lat} ${lon} ${alt.toFixed(2)}m ${m(precisionCm(b[1]!))} ${m(precisionCm(b[2]!))} ${m(precisionCm(b[3]!))}`;
}

function dms(v: number, pos: string, neg: string): string {
  const hemi = v >= EQUATOR ? pos : neg;
  let ms = Math.abs(v - EQUATOR);
  const deg = Math.floor(ms / 3_600_000);
  ms -= deg * 3_600_000;
  const min = Math.floor(ms / 60_000);
  ms -= min * 60_000;
  return `${deg} ${min} ${(ms / 1000).toFixed(3)} ${hemi}`;
}
