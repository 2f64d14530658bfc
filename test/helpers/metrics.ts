// Scrapes a Prometheus text endpoint and reads samples by name and labels.

export type Samples = Map<string, number>;

/** Fetches and parses `url`: keys are `name{a="x",b="y"}` exactly as exposed. */
export async function scrape(url: string): Promise<Samples> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  const out: Samples = new Map();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?)\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Sum of samples named `name` whose labels include every pair of `labels`. */
export function sum(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  let t = 0;
  for (const [key, v] of samples) {
    const brace = key.indexOf('{');
    const n = brace < 0 ? key : key.slice(0, brace);
    if (n !== name) continue;
    const text = brace < 0 ? '' : key.slice(brace);
    if (Object.entries(labels).every(([k, val]) => text.includes(`${k}="${val}"`))) t += v;
  }
  return t;
}

/** True when some sample named `name` exists. */
export function has(samples: Samples, name: string): boolean {
  for (const key of samples.keys()) if (key === name || key.startsWith(`${name}{`)) return true;
  return false;
}
