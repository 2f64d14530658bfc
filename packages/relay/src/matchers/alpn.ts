// alpn: matches when the client offers any of the listed protocols.
import { matchHello, type Matcher } from './types.js';

export function createAlpnMatcher(protocols: string[]): Matcher {
  const want = new Set(protocols);
  return { needsBytes: true, match: (i) => matchHello(i, (h) => h.alpn.some((p) => want.has(p))) };
}
