// The LUA-record runtime: one sandboxed Lua VM, the PowerDNS functions, and
// evaluate() — synchronous, never throws, records what it read (Deps).
import type { GeoLookup } from '../geo/types.js';
import { createLuaVm, type LuaVm } from './wasmoon.js';
import { SANDBOX_LUA } from './sandbox.js';
import { hostFunctions, type EvalContext } from './host-functions.js';
import { mathRandom, type Rand } from './pick.js';
import type { Deps, EvalResult, HealthOracle, IncludeResolver, LuaClient, LuaEvaluator, LuaRecordRef } from './types.js';

export interface LuaRuntimeOptions {
  geo: GeoLookup;
  health: HealthOracle;
  /** Codes of the LUA records at a name (for include()); none by default. */
  include?: IncludeResolver;
  /** VM instructions per evaluation (default 100,000; PowerDNS lua-records-exec-limit counts the same unit). */
  instructionLimit?: number;
  /** Bytes one evaluation may allocate beyond the idle state (default 16 MiB). */
  memoryLimit?: number;
  /** Uniform integer in [0, n); tests pass a seeded one. */
  rand?: Rand;
}

const READ_ADDR_TRANSPORT = 1, READ_BESTWHO = 2, READ_QNAME = 4, READ_QUERY = 8;

export class LuaRuntime implements LuaEvaluator {
  private current: EvalContext | undefined;
  private vm!: LuaVm;

  private constructor(private readonly opts: LuaRuntimeOptions) {}

  static async create(opts: LuaRuntimeOptions): Promise<LuaRuntime> {
    const rt = new LuaRuntime(opts);
    rt.vm = await createLuaVm({ instructionLimit: opts.instructionLimit ?? 100_000, memoryLimit: opts.memoryLimit ?? 16 << 20 });
    const fns = hostFunctions({
      geo: opts.geo,
      health: opts.health,
      include: opts.include ?? (() => []),
      rand: opts.rand ?? mathRandom,
      ctx: () => {
        if (!rt.current) throw new Error('LUA function called outside an evaluation');
        return rt.current;
      },
    });
    for (const [name, fn] of Object.entries(fns)) rt.vm.defineFunction(name, fn);
    rt.vm.exec(`return (function(...) ${SANDBOX_LUA} end)('${rt.vm.abortMessage}', 'not enough memory')`);
    rt.vm.seal();
    return rt;
  }

  evaluate(record: LuaRecordRef, client: LuaClient): EvalResult {
    // ECS with source prefix 0 says nothing about the client: use the packet source
    const ecs = client.ecswho !== undefined && (client.ecsPrefix ?? 1) > 0 ? unmap(client.ecswho) : undefined;
    const who = unmap(client.who);
    const bestwho = ecs ?? who;
    // the VM takes C strings: a NUL would silently cut the code short
    if (record.code.includes('\u0000')) return this.fail(record, 'code contains a NUL byte');
    const deps: Deps = { address: false, transport: false, random: false, qname: false, query: false, health: [], geoDatabase: false };
    this.current = { record, client, bestwho, deps };
    let r;
    try {
      r = this.vm.call('__eval', [
        record.code, client.qname, record.zone, who, unmap(client.localwho),
        ecs !== undefined ? `${ecs}/${client.ecsPrefix ?? (ecs.includes(':') ? 128 : 32)}` : null,
        bestwho, client.dnssecOK, client.tcp, client.ednsPKTSize,
      ]);
    } finally {
      this.current = undefined;
    }
    if (r.kind === 'error') return this.fail(record, r.message);
    const [ok, second, ...rest] = r.values;
    if (ok !== true) return this.fail(record, String(second));
    const mask = Number(second);
    if (mask & READ_ADDR_TRANSPORT) deps.transport = true;
    if (mask & READ_BESTWHO) deps.address = true;
    if (mask & READ_QNAME) deps.qname = true;
    if (mask & READ_QUERY) deps.query = true;
    deps.health = [...new Set(deps.health)];
    return { kind: 'ok', contents: rest.map(String), deps };
  }

  /** Bytes the VM holds beyond its idle state (for metrics and tests). */
  memoryUsed(): number {
    return this.vm.memoryUsed();
  }

  private fail(record: LuaRecordRef, message: string): EvalResult {
    const m = message === this.vm.abortMessage ? `instruction limit exceeded (${this.opts.instructionLimit ?? 100_000} instructions)` : message;
    return { kind: 'error', message: `LUA record ${record.owner} (type ${record.innerType}): ${m}` };
  }
}

/** A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; PowerDNS and GeoIP want a.b.c.d. */
function unmap(addr: string): string {
  return addr.length > 7 && addr.slice(0, 7).toLowerCase() === '::ffff:' && addr.includes('.') ? addr.slice(7) : addr;
}

export function createLuaRuntime(opts: LuaRuntimeOptions): Promise<LuaRuntime> {
  return LuaRuntime.create(opts);
}
