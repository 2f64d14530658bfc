// Route selection: the first route whose matchers all match wins. A route that
// could still match with more bytes stops the scan (need-more), so an earlier,
// more specific route is never skipped for a later default.
import type { Matcher, MatchInput } from './matchers/index.js';

export type Handler = { kind: 'proxy'; upstream: string } | { kind: 'close' };

export interface Route {
  index: number;
  matchers: Matcher[];
  handler: Handler;
}

export type RouteDecision = { kind: 'route'; route: Route } | { kind: 'need-more' } | { kind: 'none' };

export function selectRoute(routes: Route[], input: MatchInput): RouteDecision {
  for (const route of routes) {
    let waiting = false;
    let failed = false;
    for (const m of route.matchers) {
      const r = m.match(input);
      if (r === 'no-match') { failed = true; break; }
      if (r === 'need-more') waiting = true;
    }
    if (failed) continue;
    if (waiting) return { kind: 'need-more' };
    return { kind: 'route', route };
  }
  return { kind: 'none' };
}

/** True when some route may need the first flight: only then does a connection preread. */
export function routesNeedBytes(routes: Route[]): boolean {
  return routes.some((r) => r.matchers.some((m) => m.needsBytes));
}
