// The matcher registry: config key → factory. Adding a matcher is one file plus
// one line here.
import type { CidrSet } from '../net/cidr.js';
import { createAlpnMatcher } from './alpn.js';
import { createClientMatcher } from './client.js';
import { createDestMatcher, type DestSpec } from './dest.js';
import { createNotTlsMatcher } from './not-tls.js';
import { createSniMatcher } from './sni.js';
import type { Matcher } from './types.js';

export interface MatchSpec {
  sni?: string[];
  alpn?: string[];
  client?: CidrSet;
  not_tls?: boolean;
  dest?: DestSpec;
}

export function buildMatchers(spec: MatchSpec): Matcher[] {
  const out: Matcher[] = [];
  // Cheap address checks first, so a no-match never waits for bytes.
  if (spec.client) out.push(createClientMatcher(spec.client));
  if (spec.dest) out.push(createDestMatcher(spec.dest));
  if (spec.sni) out.push(createSniMatcher(spec.sni));
  if (spec.alpn) out.push(createAlpnMatcher(spec.alpn));
  if (spec.not_tls !== undefined) out.push(createNotTlsMatcher(spec.not_tls));
  return out;
}

export type { Matcher, MatchInput, MatchResult } from './types.js';
