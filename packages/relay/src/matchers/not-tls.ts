// not_tls: matches a first flight that is not a TLS ClientHello (plain HTTP, SSH
// banners from clients, garbage), so it can be sent elsewhere or closed.
import type { Matcher } from './types.js';

export function createNotTlsMatcher(want: boolean): Matcher {
  return {
    needsBytes: true,
    match(i) {
      const h = i.hello();
      if (h.kind === 'need-more' && !i.final) return 'need-more';
      const notTls = h.kind === 'not-tls';
      return notTls === want ? 'match' : 'no-match';
    },
  };
}
