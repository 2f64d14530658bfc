// The LUA-record runtime: sandboxed Lua VMs in worker threads under a
// watchdog (vm-pool.ts), the PowerDNS functions (run here, on the query
// thread, which owns GeoIP and health state), and evaluate() — synchronous,
// never throws, bounded in time, records what it read (Deps).
import { LabeledCounter, gaugeFn, type Registry } from '@geoedge/shared';
import type { GeoLookup } from '../geo/types.js';
import type { EvalContext } from './host-functions.js';
import { hostFunctions } from './host-registry.js';
import { mathRandom, type Rand } from './pick.js';
import { VmPool, type RestartReason } from './vm-pool.js';
import { Strikes } from './strikes.js';
import type { Deps, EvalResult, HealthOracle, IncludeResolver, LimitKind, LuaClient, LuaEvaluator, LuaRecordRef } from './types.js';
import type { HostFunction } from './wasmoon.js';

export interface LuaRuntimeOptions {
  geo: GeoLookup;
  health: HealthOracle;
  /** Codes of the LUA records at a name (for include()); none by default. */
  include?: IncludeResolver;
  /** VM instructions per evaluation (default 100,000; PowerDNS lua-records-exec-limit counts the same unit). */
  instructionLimit?: number;
  /** Bytes one evaluation may allocate beyond what the VM holds when it starts (default 8 MiB). */
  memoryLimit?: number;
  /** Wall-clock bound of one evaluation in ms (default 10): past it the VM is killed and rebuilt. */
  timeLimitMs?: number;
  /** Bytes of compiled record code a VM keeps (default 8 MiB). */
  codeCacheBytes?: number;
  /** Told once per VM thrown away (time limit, panic, memory). */
  onRestart?: (reason: RestartReason, detail: string) => void;
  /** Uniform integer in [0, n); tests pass a seeded one. */
  rand?: Rand;
}

const READ_ADDR_TRANSPORT = 1, READ_BESTWHO = 2, READ_QNAME = 4, READ_QUERY = 8;

const ABORT = 'instruction limit exceeded';
const OOM = 'not enough memory';

export class LuaRuntime implements LuaEvaluator {
  private current: EvalContext | undefined;
  private pool!: VmPool;
  private fns: HostFunction[] = [];
  private readonly strikes = new Strikes();
  private readonly restarts = new Map<RestartReason, number>();
  private restartCounter: LabeledCounter | undefined;
  private readonly host = (i: number, args: Parameters<HostFunction>[0]) => this.fns[i]!(args);

  private constructor(private readonly opts: LuaRuntimeOptions) {}

  static async create(opts: LuaRuntimeOptions): Promise<LuaRuntime> {
    const rt = new LuaRuntime(opts);
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
    rt.fns = Object.values(fns);
    rt.pool = await VmPool.create({
      names: Object.keys(fns),
      instructionLimit: opts.instructionLimit ?? 100_000,
      memoryLimit: opts.memoryLimit ?? 8 << 20,
      codeCacheBytes: opts.codeCacheBytes ?? 8 << 20,
      timeLimitMs: opts.timeLimitMs ?? 10,
      onRestart: (reason, detail) => {
        rt.restarts.set(reason, (rt.restarts.get(reason) ?? 0) + 1);
        rt.restartCounter?.inc([reason]);
        opts.onRestart?.(reason, detail);
      },
    });
    return rt;
  }

  /** geodns_lua_vm_restarts_total{reason}: VMs thrown away (time limit, abort, memory, exit). */
  registerMetrics(reg: Registry): void {
    this.restartCounter = new LabeledCounter(reg, 'geodns_lua_vm_restarts_total', 'Lua VMs thrown away and rebuilt, by reason (time, abort, memory, exit)', ['reason']);
    gaugeFn(reg, 'geodns_lua_vm_spares_ready', 'Spare Lua VMs booted and waiting to replace a killed one (0: a kill now leaves LUA records without a VM until one boots)', () => this.pool.sparesReady());
  }

  /** Resolves once the spare VMs have booted (tests). */
  sparesBooted(): Promise<void> {
    return this.pool.sparesBooted();
  }

  /** Terminates the VM workers. */
  close(): void {
    this.pool.close();
  }

  evaluate(record: LuaRecordRef, client: LuaClient): EvalResult {
    // ECS with source prefix 0 says nothing about the client: use the packet source
    const ecs = client.ecswho !== undefined && (client.ecsPrefix ?? 1) > 0 ? unmap(client.ecswho) : undefined;
    const who = unmap(client.who);
    const bestwho = ecs ?? who;
    // the VM takes C strings: a NUL would silently cut the code short
    if (record.code.includes('\u0000')) return this.fail(record, 'code contains a NUL byte');
    const refused = this.strikes.refuse(record.code, record.zone);
    if (refused) return this.fail(record, refused, 'time');
    const vars = [
      client.qname, record.zone, who, unmap(client.localwho),
      ecs !== undefined ? `${ecs}/${client.ecsPrefix ?? (ecs.includes(':') ? 128 : 32)}` : null,
      bestwho, client.dnssecOK, client.tcp, client.ednsPKTSize,
    ];
    let deps = noDeps();
    let r;
    try {
      this.current = { record, client, bestwho, deps };
      r = this.pool.run(record.code, vars, this.host);
      // a known-good record's first kill is retried once, on the next VM (strikes.ts)
      if (r.kind === 'lost' && r.reason === 'time' && this.strikes.hit(record.code, record.zone)) {
        this.current = { record, client, bestwho, deps: (deps = noDeps()) };
        r = this.pool.run(record.code, vars, this.host);
        if (r.kind === 'lost' && r.reason === 'time') this.strikes.hit(record.code, record.zone);
      }
    } finally {
      this.current = undefined;
    }
    if (r.kind === 'lost') return this.fail(record, r.message, r.reason === 'time' ? 'time' : 'vm');
    if (r.kind === 'error') return this.fail(record, r.message);
    const [ok, second, ...rest] = r.values;
    if (ok !== true) return this.fail(record, String(second));
    this.strikes.clear(record.code);
    const mask = Number(second);
    if (mask & READ_ADDR_TRANSPORT) deps.transport = true;
    if (mask & READ_BESTWHO) deps.address = true;
    if (mask & READ_QNAME) deps.qname = true;
    if (mask & READ_QUERY) deps.query = true;
    deps.health = [...new Set(deps.health)];
    return { kind: 'ok', contents: rest.map(String), deps };
  }

  /** VMs thrown away so far, by reason (tests, diagnostics). */
  restartCount(reason?: RestartReason): number {
    if (reason) return this.restarts.get(reason) ?? 0;
    let n = 0;
    for (const v of this.restarts.values()) n += v;
    return n;
  }

  private fail(record: LuaRecordRef, message: string, limit?: LimitKind): EvalResult {
    let m = message;
    if (message === ABORT) { m = `instruction limit exceeded (${this.opts.instructionLimit ?? 100_000} instructions)`; limit = 'instructions'; }
    else if (!limit && (message.includes(OOM) || message === 'memory limit exceeded')) { m = `memory limit exceeded (${this.opts.memoryLimit ?? 8 << 20} bytes)`; limit = 'memory'; }
    return { kind: 'error', message: `LUA record ${record.owner} (type ${record.innerType}): ${m}`, ...(limit ? { limit } : {}) };
  }
}

function noDeps(): Deps {
  return { address: false, transport: false, random: false, qname: false, query: false, health: [], geoDatabase: false };
}

/** A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; PowerDNS and GeoIP want a.b.c.d. */
function unmap(addr: string): string {
  return addr.length > 7 && addr.slice(0, 7).toLowerCase() === '::ffff:' && addr.includes('.') ? addr.slice(7) : addr;
}

export function createLuaRuntime(opts: LuaRuntimeOptions): Promise<LuaRuntime> {
  return LuaRuntime.create(opts);
}
