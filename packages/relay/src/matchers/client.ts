// client: the client's address (after PROXY protocol) is in one of the CIDRs.
import type { CidrSet } from '../net/cidr.js';
import type { Matcher } from './types.js';

export function createClientMatcher(set: CidrSet): Matcher {
  return { needsBytes: false, match: (i) => (set.has(i.client) ? 'match' : 'no-match') };
}
