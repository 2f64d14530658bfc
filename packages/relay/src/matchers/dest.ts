// dest: the connection's destination (the original one on a tproxy listener, a
// PROXY header's, else the listener's own address) is in one of the CIDRs and
// one of the port ranges; a list not given matches anything.
import type { CidrSet } from '../net/cidr.js';
import type { Matcher } from './types.js';

export interface DestSpec {
  addresses?: CidrSet;
  /** Inclusive [low, high] ranges. */
  ports?: Array<[number, number]>;
}

export function createDestMatcher(spec: DestSpec): Matcher {
  const { addresses, ports } = spec;
  const portOk = (p: number) => {
    if (!ports) return true;
    for (const [lo, hi] of ports) if (p >= lo && p <= hi) return true;
    return false;
  };
  return {
    needsBytes: false,
    match: (i) => (i.dest && portOk(i.dest.port) && (!addresses || addresses.has(i.dest.address)) ? 'match' : 'no-match'),
  };
}
