// Seam between the LUA-record runtime and the query chain.
//
//   const rt = await createLuaRuntime({ geo, health, include });        // async once (WASM compile)
//   const r = rt.evaluate(record, client);                              // synchronous per query
//
// evaluate() never throws and never does I/O: health state comes from the
// background checker, GeoIP from the in-memory snapshot.

export interface LuaRecordRef {
  /** Owner name of the LUA record as stored (may be a wildcard, "*.magic.example."). */
  owner: string;
  /** Zone apex, FQDN with trailing dot. */
  zone: string;
  /** The inner type the record synthesises (1 = A, 28 = AAAA, 16 = TXT…). */
  innerType: number;
  /** The Lua code: quoted chunks already joined. Leading ';' = statement form. */
  code: string;
}

export interface LuaClient {
  /** Packet source address. */
  who: string;
  /** ECS address (host bits zeroed), when the query had ECS with source prefix > 0. */
  ecswho?: string;
  ecsPrefix?: number;
  /** Local address the query arrived on. */
  localwho: string;
  /** Query name, lower-case FQDN with trailing dot. */
  qname: string;
  tcp: boolean;
  dnssecOK: boolean;
  ednsPKTSize: number;
}

/**
 * What an evaluation read, so the chain can cache the answer and scope ECS:
 * - nothing set            → cache per (record, qname if `qname`), ECS scope 0
 * - geo set                → key = geo.record (the GeoIP data read), ECS scope = the
 *                            client's own network prefix (geo.prefix for this one)
 * - address                → key = bestwho itself, ECS scope = the source prefix
 * - transport              → read who/localwho: key on them, not cacheable by ECS
 * - random                 → do not cache
 * - health (non-empty)     → invalidate when any of these checks changes state
 * - geoDatabase            → invalidate when a GeoIP database is swapped
 */
export interface Deps {
  geo?: { prefix: number; record: number | string };
  address: boolean;
  transport: boolean;
  random: boolean;
  qname: boolean;
  /** Read dnssecOK, tcp or ednsPKTSize. */
  query: boolean;
  health: string[];
  geoDatabase: boolean;
}

/**
 * Which bound an evaluation hit: time (wall clock, the VM was killed), instructions,
 * memory, vm (the VM failed or none was ready), answer-size (the answer cannot fit
 * a DNS message). Any of them is SERVFAIL, logged once per record per minute.
 */
export type LimitKind = 'time' | 'instructions' | 'memory' | 'vm' | 'answer-size';

export type EvalResult =
  | { kind: 'ok'; contents: string[]; deps: Deps }
  | { kind: 'error'; message: string; limit?: LimitKind };

export interface LuaEvaluator {
  evaluate(record: LuaRecordRef, client: LuaClient): EvalResult;
}

/** include('name'): the code of the LUA records at name.zone (any inner type), in zone order. */
export type IncludeResolver = (fqdn: string) => string[];

/** A health check as the Lua functions describe it. */
export type CheckSpec =
  | { kind: 'tcp'; address: string; port: number; opts: Readonly<Record<string, string>> }
  | { kind: 'http'; url: string; address?: string; opts: Readonly<Record<string, string>> };

/** Read side of the health checker. Never blocks; an unknown check is registered and reported as not yet checked. */
export interface HealthOracle {
  /** > 0 up (its weight, 1 when none), 0 down, -1 not checked yet. `id` names the check for Deps.health. */
  status(spec: CheckSpec): { id: string; value: number };
}
