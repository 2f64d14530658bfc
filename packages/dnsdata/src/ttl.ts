// TTL and SOA timer text: a decimal number of seconds, or BIND's unit form
// ("1h30m", "2d", "1W"): one or more <number><unit> with s m h d w, any case.
// A final number without a unit counts as seconds, as in BIND.

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Seconds for a TTL or SOA timer text, at most `max` (default 2^32-1); throws with a clear message. */
export function parseTtl(text: string, max = 0xffffffff): number {
  let total = 0;
  let num = -1;
  let sawUnit = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      num = (num < 0 ? 0 : num * 10) + (c - 0x30);
      if (num > max) throw new Error(`time value "${text}" is over ${max}`);
      continue;
    }
    const mult = UNIT[text[i].toLowerCase()];
    if (mult === undefined || num < 0) throw new Error(`bad time value "${text}": expected seconds or units like 1h30m`);
    total += num * mult;
    num = -1;
    sawUnit = true;
  }
  if (num >= 0) total += num;
  else if (!sawUnit) throw new Error(`bad time value "${text}": empty`);
  if (total > max) throw new Error(`time value "${text}" is over ${max} seconds`);
  return total;
}
