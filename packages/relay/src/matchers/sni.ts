// sni: exact names and "*.example.com" wildcards (any depth below the suffix, as
// nginx server_name does). Compiled into a Set and a suffix list.
import { matchHello, type Matcher } from './types.js';

export function createSniMatcher(names: string[]): Matcher {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const n of names) {
    const name = n.toLowerCase().replace(/\.$/, '');
    if (name.startsWith('*.')) suffixes.push(name.slice(1));
    else exact.add(name);
  }
  const test = (sni: string | undefined): boolean =>
    sni !== undefined && (exact.has(sni) || suffixes.some((s) => sni.endsWith(s) && sni.length > s.length));
  return { needsBytes: true, match: (i) => matchHello(i, (h) => test(h.sni)) };
}
