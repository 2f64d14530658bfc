// X-API-Key check for every /api route, as PowerDNS's webserver does it: the key
// comes in the X-API-Key header or the api-key query parameter (either one right
// is enough); a missing or wrong key gets 401 {"error": "..."}. The configured key may be the
// plain key or "sha256:<hex>" of it, so config files need not hold the secret.
// Both sides are reduced to SHA-256 digests before a constant-time compare, so
// neither the key's length nor its content leaks through timing. Failed
// attempts are counted per client address; past the limit the address gets 429
// for any further wrong or missing key until its window ends, but a request with
// the right key is always served: one misconfigured client behind the same
// address (an SSH tunnel, a NAT), or a page that makes the operator's browser
// send no-cors requests, must not lock the real clients out. The key never
// reaches a log line: only the outcome is logged, the logger redacts the header
// and the request serializer masks ?api-key= (request-parsing.ts).
// Several named keys may be configured (issue 20): the one that matches is put
// on the request as `apiIdentity` (its name, read-only flag and zones), which
// plugins/permissions.ts checks and the change history records.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface ApiKeySpec {
  name: string;
  /** Plain key or "sha256:<64 hex>". */
  key: string;
  /** Zones the key may change (any form: "Example.org." or "example.org"); all when absent. */
  zones?: readonly string[];
  readOnly: boolean;
}

/** Who a request is: the matching key's name and rights. */
export interface ApiIdentity {
  name: string;
  readOnly: boolean;
  /** Stored names (lower case, no trailing dot) of the zones it may change; undefined = every zone. */
  zones?: ReadonlySet<string>;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiIdentity: ApiIdentity | null;
  }
}

export interface AuthOptions {
  /** No keys refuses every request. */
  keys: readonly ApiKeySpec[];
  maxFailures: number;
  windowMs: number;
  onFailure?: (reason: 'missing' | 'wrong' | 'limited') => void;
  now?: () => number;
}

export type KeyCheck = (given: string | undefined) => ApiIdentity | undefined;

/** Every configured key is compared (no early exit), so timing says nothing about which one matched. */
export function compileKeys(keys: readonly ApiKeySpec[]): KeyCheck {
  const compiled = keys.map((k) => ({
    want: k.key.startsWith('sha256:') ? Buffer.from(k.key.slice(7), 'hex') : sha256(k.key),
    id: { name: k.name, readOnly: k.readOnly, ...(k.zones ? { zones: new Set(k.zones.map(storedZone)) } : {}) } as ApiIdentity,
  }));
  return (given) => {
    if (given === undefined) return undefined;
    const h = sha256(given);
    let found: ApiIdentity | undefined;
    for (const c of compiled) if (timingSafeEqual(h, c.want)) found = c.id;
    return found;
  };
}

export function storedZone(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Fixed windows of failures per address; the map is pruned so floods cannot grow it without end. */
export class FailureLimiter {
  private readonly hits = new Map<string, { start: number; n: number }>();
  constructor(private readonly max: number, private readonly windowMs: number, private readonly now: () => number = Date.now) {}
  blocked(addr: string): boolean {
    const h = this.hits.get(addr);
    if (!h) return false;
    if (this.now() - h.start >= this.windowMs) {
      this.hits.delete(addr);
      return false;
    }
    return h.n >= this.max;
  }
  fail(addr: string): void {
    const t = this.now();
    const h = this.hits.get(addr);
    if (h && t - h.start < this.windowMs) h.n++;
    else this.hits.set(addr, { start: t, n: 1 });
    if (this.hits.size > 10_000) this.prune(t);
  }
  private prune(t: number): void {
    for (const [k, h] of this.hits) if (t - h.start >= this.windowMs) this.hits.delete(k);
    // Still too many live entries: drop the oldest half rather than grow.
    if (this.hits.size > 10_000) [...this.hits.keys()].slice(0, 5_000).forEach((k) => this.hits.delete(k));
  }
}

export type AuthHook = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * The check as a hook; app.ts adds it to the /api context and to the 404
 * handler for /api paths, so unknown API paths answer 401 before 404 and share
 * one failure limiter.
 */
export function createAuthHook(opts: AuthOptions): AuthHook {
  const check = compileKeys(opts.keys);
  const limiter = new FailureLimiter(opts.maxFailures, opts.windowMs, opts.now);
  return async (req, reply) => {
    const raw = req.headers['x-api-key'];
    const header = Array.isArray(raw) ? raw[0] : raw;
    const query = (req.query as Record<string, string | undefined> | undefined)?.['api-key'];
    const id = check(header) ?? check(query);
    if (id) {
      req.apiIdentity = id;
      return undefined;
    }
    const addr = req.ip;
    if (limiter.blocked(addr)) {
      opts.onFailure?.('limited');
      req.log.warn({ client: addr }, 'api auth rate limited');
      return reply.code(429).header('retry-after', Math.ceil(opts.windowMs / 1000)).send({ error: 'Too many failed authentication attempts' });
    }
    limiter.fail(addr);
    const reason = header === undefined && query === undefined ? 'missing' : 'wrong';
    opts.onFailure?.(reason);
    req.log.warn({ client: addr, reason }, 'api auth failed');
    return reply.code(401).send({ error: 'Unauthorized' });
  };
}
