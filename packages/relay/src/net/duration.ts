// "250ms", "5s", "10m", "1h" → milliseconds. Config strings are compiled once.
export const DURATION_PATTERN = '^\\d+(ms|s|m|h)$';
/** How a config error describes a duration. */
export const DURATION_FORM = 'a duration such as 5s (a whole number then ms, s, m or h: 250ms, 5s, 10m, 1h)';
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`bad duration ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT[m[2]!]!;
}
