// The one Lua VM import of the suite (wasmoon: Lua 5.4 compiled to WebAssembly).
//
// Why wasmoon and not fengari: wasmoon runs the reference C interpreter, so
//  - an instruction limit is a real lua_sethook(LUA_MASKCOUNT) count hook, and
//  - a memory bound is a real allocator limit (traceAllocations + setMemoryMax):
//    an allocation past the bound fails inside Lua as "not enough memory", after
//    Lua's own emergency GC, and the state stays usable.
// fengari (Lua 5.3 in plain JS) can count instructions but allocates JS objects,
// so it cannot bound a script's memory, and it is several times slower.
// Only creating the engine is async (WebAssembly compile); every call after that
// is synchronous, so evaluate() on the query path is synchronous.
//
// We use wasmoon's raw C API (lua_* bindings) rather than its object bridge: host
// functions are lua_CFunctions made with addFunction, arguments are read straight
// off the Lua stack. That avoids the bridge's per-call proxies and keeps a JS
// exception from ever unwinding through Lua frames (it becomes lua_error).
import { LuaFactory, LuaReturn, LuaType } from 'wasmoon';

/** A Lua value as host functions see it. Tables become LuaTable. */
export type LuaValue = string | number | boolean | null | LuaTable;

export class LuaTable {
  /** Values at integer keys 1..n (the sequence part). */
  readonly list: LuaValue[] = [];
  /** Every other key, stringified. */
  readonly map = new Map<string, LuaValue>();
}

/** A host function: gets converted arguments, returns results (array = several values). */
export type HostFunction = (args: LuaValue[]) => LuaValue | LuaValue[] | undefined;

export interface LuaVmOptions {
  /** VM instructions per call() before it fails with the abort message. */
  instructionLimit: number;
  /** Bytes one call may allocate above what the state holds when the call starts. */
  memoryLimit: number;
}

export type CallResult = { kind: 'ok'; values: LuaValue[] } | { kind: 'error'; message: string };

export interface LuaVm {
  /** The error text a script gets when it runs out of instructions. */
  readonly abortMessage: string;
  /** Trusted setup code, run with the full standard library, no limits. */
  exec(code: string): void;
  /** Makes `fn` callable from Lua as the global `name`. */
  defineFunction(name: string, fn: HostFunction): void;
  /** Freezes the memory baseline; call after setup. */
  seal(): void;
  /** Calls global `name` with scalar arguments under the instruction and memory limits. */
  call(name: string, args: Array<string | number | boolean | null>): CallResult;
  memoryUsed(): number;
}

const ABORT = 'instruction limit exceeded';

/** The emscripten exports we call directly (present in wasmoon's build, untyped there). */
interface FastModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _lua_type(L: number, i: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, i: number): void;
  _lua_next(L: number, i: number): number;
  _lua_tolstring(L: number, i: number, lenPtr: number): number;
  _lua_pushlstring(L: number, p: number, len: number): number;
  _lua_tonumberx(L: number, i: number, isnum: number): number;
  _lua_toboolean(L: number, i: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_sethook(L: number, f: number, mask: number, count: number): void;
  _lua_pcallk(L: number, nargs: number, nres: number, msgh: number, ctx: number, k: number): number;
}
const MAX_TABLE_DEPTH = 8;
const MAX_TABLE_ITEMS = 10_000;

export async function createLuaVm(opts: LuaVmOptions): Promise<LuaVm> {
  const engine = await new LuaFactory().createEngine({ traceAllocations: true, openStandardLibs: true, injectObjects: false, enableProxy: false });
  return new WasmoonVm(engine.global, opts);
}

type Global = Awaited<ReturnType<LuaFactory['createEngine']>>['global'];

class WasmoonVm implements LuaVm {
  readonly abortMessage = ABORT;
  private readonly lua: Global['lua'];
  private readonly L: number;
  // Hot path: the exported C functions directly (module._lua_*), strings through
  // the heap. wasmoon's cwrap helpers go through emscripten's generic ccall
  // (argument marshalling, assertions) and cost several times more per call.
  private readonly m: FastModule;
  private readonly scratch: { ptr: number; cap: number };
  private readonly lenPtr: number;
  private readonly enc = new TextEncoder();
  private readonly dec = new TextDecoder();
  private readonly hook: number;
  private running = false;
  private baseline = 0;

  constructor(private readonly g: Global, private readonly opts: LuaVmOptions) {
    this.lua = g.lua;
    this.L = g.address;
    this.m = g.lua.module as unknown as FastModule;
    this.scratch = { ptr: this.m._malloc(4096), cap: 4096 };
    this.lenPtr = this.m._malloc(8);
    this.hook = this.lua.module.addFunction((hl: number) => this.onHook(hl), 'vii');
  }

  private onHook(hl: number): void {
    if (!this.running) return;
    // From now on fire on every instruction: even a script that catches the
    // error in a loop (pcall inside while true) is stopped at its next step.
    this.lua.lua_sethook(hl, this.hook, 8 /* LUA_MASKCOUNT */, 1);
    this.lua.lua_pushstring(hl, ABORT);
    this.lua.lua_error(hl);
  }

  exec(code: string): void {
    const { lua, L } = this;
    const st = lua.luaL_loadstring(L, code);
    const r = st === LuaReturn.Ok ? lua.lua_pcallk(L, 0, 0, 0, 0, null) : st;
    if (r !== LuaReturn.Ok) {
      const msg = lua.lua_tolstring(L, -1, null);
      lua.lua_settop(L, 0);
      throw new Error(`lua setup failed: ${msg}`);
    }
  }

  defineFunction(name: string, fn: HostFunction): void {
    const ptr = this.lua.module.addFunction((S: number) => this.invoke(S, fn), 'ii');
    this.lua.lua_pushcclosure(this.L, ptr, 0);
    this.lua.lua_setglobal(this.L, name);
  }

  /** A lua_CFunction body: read arguments, run the host function, push results. */
  private invoke(S: number, fn: HostFunction): number {
    let out: LuaValue | LuaValue[] | undefined;
    let failure: string | undefined;
    try {
      out = fn(this.readAll(S, this.m._lua_gettop(S)));
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    // lua_error unwinds through this frame; never let a JS exception do it
    if (failure !== undefined) {
      this.pushString(S, failure);
      return this.lua.lua_error(S);
    }
    if (out === undefined) return 0;
    if (Array.isArray(out)) { for (const v of out) this.push(S, v); return out.length; }
    this.push(S, out);
    return 1;
  }

  seal(): void {
    this.baseline = this.g.getMemoryUsed();
    this.g.setMemoryMax(this.baseline + this.opts.memoryLimit);
  }

  /** The budget counts from what the state holds now (code cache, garbage), so what one call left never starves the next. */
  private budget(): void {
    this.g.setMemoryMax(this.g.getMemoryUsed() + this.opts.memoryLimit);
  }

  call(name: string, args: Array<string | number | boolean | null>): CallResult {
    const { m, L } = this;
    m._lua_settop(L, 0);
    this.lua.lua_getglobal(L, name);
    for (const a of args) this.push(L, a);
    this.budget();
    this.running = true;
    m._lua_sethook(L, this.hook, 8 /* LUA_MASKCOUNT */, this.opts.instructionLimit);
    let st: number;
    try {
      st = m._lua_pcallk(L, args.length, -1, 0, 0, 0);
    } finally {
      this.running = false;
      m._lua_sethook(L, 0, 0, 0);
    }
    if (st !== LuaReturn.Ok) {
      const msg = m._lua_type(L, -1) === LuaType.String ? this.readString(L, -1) : `lua error ${st}`;
      m._lua_settop(L, 0);
      return { kind: 'error', message: st === LuaReturn.ErrorMem ? 'memory limit exceeded' : msg };
    }
    const values = this.readAll(L, m._lua_gettop(L));
    m._lua_settop(L, 0);
    return { kind: 'ok', values };
  }

  memoryUsed(): number {
    return this.g.getMemoryUsed() - this.baseline;
  }

  private readAll(S: number, n: number): LuaValue[] {
    const budget = { n: MAX_TABLE_ITEMS };
    const out: LuaValue[] = [];
    for (let i = 1; i <= n; i++) out.push(this.read(S, i, 0, budget));
    return out;
  }

  private readString(S: number, idx: number): string {
    const p = this.m._lua_tolstring(S, idx, this.lenPtr);
    const heap = this.m.HEAPU8;
    const lp = this.lenPtr;
    const len = heap[lp]! | (heap[lp + 1]! << 8) | (heap[lp + 2]! << 16) | (heap[lp + 3]! << 24);
    if (len < 48) {
      let ascii = '';
      for (let i = 0; i < len; i++) {
        const c = heap[p + i]!;
        if (c > 127) return this.dec.decode(heap.subarray(p, p + len));
        ascii += String.fromCharCode(c);
      }
      return ascii;
    }
    return this.dec.decode(heap.subarray(p, p + len));
  }

  private pushString(S: number, v: string): void {
    const sc = this.scratch;
    const need = v.length * 3 + 1;
    if (need > sc.cap) {
      this.m._free(sc.ptr);
      sc.cap = need * 2;
      sc.ptr = this.m._malloc(sc.cap);
    }
    const { written } = this.enc.encodeInto(v, this.m.HEAPU8.subarray(sc.ptr, sc.ptr + sc.cap));
    this.m._lua_pushlstring(S, sc.ptr, written);
  }

  private read(S: number, idx: number, depth: number, budget: { n: number }): LuaValue {
    const m = this.m;
    switch (m._lua_type(S, idx)) {
      case LuaType.String: return this.readString(S, idx);
      case LuaType.Number: return m._lua_tonumberx(S, idx, 0);
      case LuaType.Boolean: return m._lua_toboolean(S, idx) !== 0;
      case LuaType.Table: return depth < MAX_TABLE_DEPTH ? this.readTable(S, idx, depth, budget) : null;
      default: return null;
    }
  }

  private readTable(S: number, idx: number, depth: number, budget: { n: number }): LuaTable {
    const m = this.m;
    const t = new LuaTable();
    const abs = idx < 0 ? m._lua_gettop(S) + idx + 1 : idx;
    const ints = new Map<number, LuaValue>();
    m._lua_pushnil(S);
    while (m._lua_next(S, abs) !== 0) {
      if (--budget.n < 0) { m._lua_settop(S, -3); throw new Error('table too large'); }
      const v = this.read(S, -1, depth + 1, budget);
      const kt = m._lua_type(S, -2);
      const kn = kt === LuaType.Number ? m._lua_tonumberx(S, -2, 0) : NaN;
      if (Number.isInteger(kn) && kn >= 1) ints.set(kn, v);
      else t.map.set(kt === LuaType.String ? this.readString(S, -2) : String(kn), v);
      m._lua_settop(S, -2); // pop value, keep key
    }
    for (let i = 1; ints.has(i); i++) { t.list.push(ints.get(i)!); ints.delete(i); }
    for (const [k, v] of ints) t.map.set(String(k), v);
    return t;
  }

  private push(S: number, v: LuaValue | undefined): void {
    const m = this.m;
    if (v === null || v === undefined) m._lua_pushnil(S);
    else if (typeof v === 'string') this.pushString(S, v);
    else if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) m._lua_pushinteger(S, BigInt(v)); // Lua integer: tostring gives "24", not "24.0"
      else this.lua.lua_pushnumber(S, v);
    } else if (typeof v === 'boolean') m._lua_pushboolean(S, v ? 1 : 0);
    else {
      this.lua.lua_createtable(S, v.list.length, v.map.size);
      v.list.forEach((x, i) => { this.push(S, x); this.lua.lua_rawseti(S, -2, BigInt(i + 1)); });
      for (const [k, x] of v.map) { this.push(S, x); this.lua.lua_setfield(S, -2, k); }
    }
  }
}
