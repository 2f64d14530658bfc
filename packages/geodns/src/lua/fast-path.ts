// LUA records evaluated without the VM. A record whose code fast-parse.ts
// recognises (one call of a PowerDNS function with constant arguments, or the
// octoDNS if/elseif shape) is run here by calling the very host functions the
// VM calls (host-functions.ts), with the same arguments the VM would hand them,
// so the answer and what it read (Deps) are the VM's by construction;
// fast-path.test.ts checks that over many client addresses. Everything else,
// and any record whose evaluation throws (so the error message is the VM's),
// goes to the VM.
//
// Why: under a random-subnet flood (every query from a new /24) the answer
// cache misses and each query paid a VM evaluation, about 1× PowerDNS; a pure
// function of the GeoIP lookup is an order of magnitude cheaper.
import type { GeoLookup } from '../geo/types.js';
import { pickClosest, strList, weighted, type EvalContext, type HostEnv } from './host-functions.js';
import { hostFunctions } from './host-registry.js';
import { normalizeAddress } from '../geo/ip.js';
import { mathRandom, weightedHashedPicker, type Rand } from './pick.js';
import { LuaTable, type HostFunction, type LuaValue } from './wasmoon.js';
import { parseRecord, type Block, type Expr } from './fast-parse.js';
import type { Deps, EvalResult, HealthOracle, IncludeResolver, LuaClient, LuaEvaluator, LuaRecordRef } from './types.js';

export interface FastPathOptions {
  geo: GeoLookup;
  health: HealthOracle;
  include?: IncludeResolver;
  rand?: Rand;
}

/** Compiled blocks kept (by code text); the map starts over when full. */
const MAX_PROGRAMS = 10_000;
/** Thrown to leave an evaluation the VM must do instead. */
const TO_VM = new Error('needs the VM');

export class FastPath {
  private current: EvalContext | undefined;
  private readonly env: HostEnv;
  private readonly fns: Record<string, HostFunction>;
  private readonly programs = new Map<string, Block | null>();
  /**
   * Each call of a program, ready to run: the host function looked up once;
   * pickclosest with its candidates already normalised, pickwhashed with its
   * list already in PowerDNS's order and summed (what the host functions do to
   * their constant arguments on every call).
   */
  private readonly calls = new WeakMap<Expr, () => LuaValue | LuaValue[] | undefined>();
  /** Evaluations done here / handed to the VM (for tests and the bench). */
  readonly counts = { fast: 0, vm: 0 };

  constructor(opts: FastPathOptions) {
    this.env = {
      geo: opts.geo,
      health: opts.health,
      include: opts.include ?? (() => []),
      rand: opts.rand ?? mathRandom,
      ctx: () => {
        if (!this.current) throw new Error('LUA function called outside an evaluation');
        return this.current;
      },
    };
    this.fns = hostFunctions(this.env);
  }

  /** The record's result, or undefined when it must run in the VM. */
  evaluate(record: LuaRecordRef, client: LuaClient): EvalResult | undefined {
    const block = this.program(record.code);
    if (!block) { this.counts.vm++; return undefined; }
    // As runtime.ts: ECS with source prefix 0 says nothing, the packet source stands in.
    const ecs = client.ecswho !== undefined && (client.ecsPrefix ?? 1) > 0 ? unmap(client.ecswho) : undefined;
    const deps: Deps = { address: false, transport: false, random: false, qname: false, query: false, health: [], geoDatabase: false };
    this.current = { record, client, bestwho: ecs ?? unmap(client.who), deps };
    let value: LuaValue | undefined;
    try {
      value = this.run(block);
    } catch {
      this.counts.vm++;
      return undefined;
    } finally {
      this.current = undefined;
    }
    const contents = collect(value);
    if (!contents) { this.counts.vm++; return undefined; }
    if (deps.health.length > 1) deps.health = [...new Set(deps.health)];
    this.counts.fast++;
    return { kind: 'ok', contents, deps };
  }

  private program(code: string): Block | undefined {
    let p = this.programs.get(code);
    if (p === undefined) {
      // The VM refuses code with a NUL (a C string would end there): so does this.
      p = code.includes('\u0000') ? null : parseRecord(code) ?? null;
      if (p) this.prepare(p);
      if (this.programs.size >= MAX_PROGRAMS) this.programs.clear();
      this.programs.set(code, p);
    }
    return p ?? undefined;
  }

  private prepare(b: Block): void {
    const walk = (e: Expr): void => {
      if (e.k === 'not') walk(e.a);
      else if (e.k === 'and' || e.k === 'or') { walk(e.a); walk(e.b); }
      else if (e.k === 'call') this.calls.set(e, this.call(e.fn, e.args));
    };
    for (const br of b.branches) { walk(br.cond); walk(br.value); }
    if (b.otherwise) walk(b.otherwise);
  }

  private call(fn: string, args: LuaValue[]): () => LuaValue | LuaValue[] | undefined {
    const host = this.fns[`__h_${fn}`]!;
    try {
      if (fn === 'pickclosest' && args.length >= 1) {
        // host-functions.ts: strList(v).map(address), address = normalizeAddress or an error
        const c = strList(args[0]!, 'pickclosest').map((a) => normalizeAddress(a));
        if (c.every((a): a is string => a !== undefined)) return () => pickClosest(this.env, c);
      }
      if (fn === 'pickwhashed' && args.length >= 1) {
        // host-functions.ts: dep('address'), then pickWeightedHashed(bestwho, weighted(v))
        const pick = weightedHashedPicker(weighted(args[0]!, 'pickwhashed'));
        if (pick) return () => { const c = this.env.ctx(); c.deps.address = true; return pick(c.bestwho); };
      }
    } catch {
      // arguments the host function rejects: it raises the error, in the VM
    }
    return () => host(args);
  }

  /** The block's value: the first branch whose condition holds, else the final return. */
  private run(b: Block): LuaValue | undefined {
    for (const br of b.branches) if (truthy(this.expr(br.cond))) return this.expr(br.value);
    return b.otherwise && this.expr(b.otherwise);
  }

  private expr(e: Expr): LuaValue {
    switch (e.k) {
      case 'const': return e.v;
      case 'not': return !truthy(this.expr(e.a));
      case 'and': { const a = this.expr(e.a); return truthy(a) ? this.expr(e.b) : a; }
      case 'or': { const a = this.expr(e.a); return truthy(a) ? a : this.expr(e.b); }
      case 'call': {
        const r = (this.calls.get(e) ?? (() => this.fns[`__h_${e.fn}`]!(e.args)))();
        if (Array.isArray(r)) throw TO_VM; // several results: none of the known functions, but be sure
        return r ?? null;
      }
    }
  }
}

export function createFastPath(opts: FastPathOptions): FastPath {
  return new FastPath(opts);
}

/**
 * The fast path in front of the VM: one evaluator for the LUA stage. `vm` is
 * only called for records the fast path does not take.
 */
export function withFastPath(fast: FastPath, vm: LuaEvaluator): LuaEvaluator {
  return { evaluate: (record, client) => fast.evaluate(record, client) ?? vm.evaluate(record, client) };
}

const truthy = (v: LuaValue | undefined): boolean => v !== null && v !== undefined && v !== false;

/**
 * sandbox.ts `collect` for the values the known functions and constants give:
 * nothing → no records, a string → one, a table → its sequence of strings.
 * Numbers (Lua's own formatting), booleans and anything else: undefined (VM).
 */
function collect(v: LuaValue | undefined): string[] | undefined {
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (!(v instanceof LuaTable)) return undefined;
  const out: string[] = [];
  for (const x of v.list) {
    if (typeof x !== 'string') return undefined;
    out.push(x);
  }
  return out;
}

/** As runtime.ts: a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d. */
function unmap(addr: string): string {
  return addr.length > 7 && addr.slice(0, 7).toLowerCase() === '::ffff:' && addr.includes('.') ? addr.slice(7) : addr;
}
