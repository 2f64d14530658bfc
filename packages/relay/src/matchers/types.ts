// The matcher seam (caddy-l4 shape): a matcher answers from what has been read so
// far, and says need-more when only more bytes could decide.
import type { HelloResult } from '../wire/client-hello.js';
import type { ProxyAddress } from '../wire/proxy-types.js';

export type MatchResult = 'match' | 'no-match' | 'need-more';

export interface MatchInput {
  /** Client IP: the proxied address when a PROXY header was accepted. */
  client: string;
  /** The destination (original destination on a tproxy listener); undefined where unknown. */
  dest?: ProxyAddress;
  /** ClientHello parse of the bytes read so far (cached by the caller). */
  hello(): HelloResult;
  /** No more bytes will come (preread timeout, limit, or UDP): need-more is not an answer. */
  final: boolean;
}

export interface Matcher {
  /** True when the matcher looks at the first flight; routes without such matchers skip preread. */
  readonly needsBytes: boolean;
  match(input: MatchInput): MatchResult;
}

/** Shared logic of the ClientHello-based matchers. */
export function matchHello(input: MatchInput, test: (h: Extract<HelloResult, { kind: 'ok' }>) => boolean): MatchResult {
  const h = input.hello();
  if (h.kind === 'need-more') return input.final ? 'no-match' : 'need-more';
  if (h.kind !== 'ok') return 'no-match';
  return test(h) ? 'match' : 'no-match';
}
