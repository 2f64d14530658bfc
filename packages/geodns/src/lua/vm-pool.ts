// The watchdog: Lua VMs live in worker threads (vm-worker.ts); the query
// thread hands one evaluation at a time to the active worker and waits for it
// with a timeout. When the deadline passes the worker is terminated (V8 stops
// a thread even inside a running wasm loop: a C function such as table.move,
// a pattern match, a finalizer, the allocator), the spare worker — built in
// the background beforehand — takes over, and a new spare is started. Nothing
// the script does can outlast the deadline, by construction: no list of
// wrapped functions to keep complete.
//
// The deadline is wall clock, but a VM thread that was waiting for a CPU (a
// loaded machine: the query thread and the VM thread compete with everything
// else) has not used it: at the deadline the watchdog reads the thread's CPU
// time (Linux /proc/self/task/TID/schedstat, nanoseconds) and kills only a VM
// that keeps running — half the limit more of CPU — extending in half-limit
// steps up to ten times the limit of wall clock. On an idle machine a loop is
// killed at 1.5 × the limit; a legitimate record starved by the scheduler gets
// to finish. Without /proc the deadline is plain wall clock.
//
// Only the evaluation that hit the deadline is lost (one query in flight per
// worker: evaluate() is synchronous). A VM that panics (wasm abort) or keeps
// too much memory between evaluations is replaced the same way.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Channel, S, RECYCLE, type VmWorkerData } from './channel.js';
import type { LuaValue } from './wasmoon.js';

export interface VmPoolOptions {
  /** Host functions by index, as the worker defines them. */
  names: string[];
  instructionLimit: number;
  memoryLimit: number;
  codeCacheBytes: number;
  /** Wall-clock bound of one evaluation, host calls included. */
  timeLimitMs: number;
  /** Called once per replaced worker with the reason. */
  onRestart?: (reason: RestartReason, detail: string) => void;
}

export type RestartReason = 'time' | 'abort' | 'memory' | 'exit';

export type HostCall = (index: number, args: LuaValue[]) => LuaValue | LuaValue[] | undefined;

export type RunOutcome =
  | { kind: 'ok'; values: LuaValue[] }
  | { kind: 'error'; message: string }
  /** The worker was killed or failed: the evaluation has no result. */
  | { kind: 'lost'; reason: 'time' | 'abort' | 'unavailable'; message: string };

interface Vm {
  worker: Worker;
  ch: Channel;
  exited: boolean;
  /** /proc path of the VM thread's scheduler statistics, once known ('' = none). */
  schedstat?: string;
}

/** CPU time the VM thread has run, in ns (first field of schedstat); undefined off Linux. */
function cpuNs(vm: Vm): number | undefined {
  if (vm.schedstat === undefined) {
    const tid = Atomics.load(vm.ch.ctrl, 2);
    vm.schedstat = tid > 0 ? `/proc/self/task/${tid}/schedstat` : '';
  }
  if (!vm.schedstat) return undefined;
  try {
    return Number(readFileSync(vm.schedstat, 'latin1').split(' ', 1)[0]);
  } catch {
    vm.schedstat = '';
    return undefined;
  }
}

const WORKER_URL = new URL('./vm-worker.js', import.meta.url);
/**
 * VMs kept booted besides the active one. Booting one takes 50-150 ms of a core
 * (a Node worker, the wasm module, the sandbox, a warm-up), several hundred ms
 * on a loaded machine; with two ready, a few kills in a row (distinct hostile
 * records: each record's own kills are spaced by Strikes) find a VM waiting.
 */
const SPARES = 2;

export class VmPool {
  private active: Vm;
  private readonly spares: Vm[] = [];
  private closed = false;

  private constructor(private readonly opts: VmPoolOptions) {
    this.active = this.spawn();
  }

  static async create(opts: VmPoolOptions): Promise<VmPool> {
    const pool = new VmPool(opts);
    // Start-up waits for the first VM (WebAssembly compile); queries never do.
    // The spares boot afterwards, in the background: start-up pays for one VM.
    while (pool.active.ch.state() === S.BOOT) {
      if (pool.active.exited) throw new Error('Lua VM worker failed to start');
      await new Promise((r) => setTimeout(r, 5));
    }
    // Spares boot one at a time, the first a moment after start-up: booting competes for the
    // CPU with everything else starting (GeoIP, zones) and with the first queries.
    setTimeout(() => pool.topUp(), 1000).unref();
    return pool;
  }

  /** Starts booting a spare if one is missing and none is booting now. */
  private topUp(): void {
    if (this.closed || this.spares.length >= SPARES) return;
    if (this.spares.some((s) => s.ch.state() === S.BOOT && !s.exited)) return;
    this.spares.push(this.spawn());
  }

  /** Runs __eval(code, ...vars) on the active VM within the time limit. */
  run(code: string, vars: Array<string | number | boolean | null>, host: HostCall): RunOutcome {
    const vm = this.ready();
    if (!vm) return { kind: 'lost', reason: 'unavailable', message: 'no Lua VM ready (restarting after a limit hit)' };
    const { ch } = vm;
    try {
      ch.begin();
      ch.writeString(code);
      ch.writeValues(vars);
    } catch (err) {
      return { kind: 'error', message: (err as Error).message };
    }
    ch.signal(S.REQUEST);
    const limit = this.opts.timeLimitMs;
    let hard = performance.now() + 10 * limit;
    let deadline = hard - 9 * limit;
    let cpuAtDeadline: number | undefined;
    for (;;) {
      const st = ch.state();
      if (st === S.HOST) {
        // time in host functions is ours (bounded per call, and every call costs the script an
        // instruction): it does not count against the script's deadline
        const t = performance.now();
        this.serveHost(ch, host);
        const spent = performance.now() - t;
        deadline += spent;
        hard += spent;
        continue;
      }
      if (st === S.DONE) return this.result(vm);
      if (st === S.BROKEN) {
        ch.rewind();
        const message = ch.readString();
        this.replace(vm, 'abort', message);
        return { kind: 'lost', reason: 'abort', message: `Lua VM failed: ${message}` };
      }
      const now = performance.now();
      if (now >= deadline && !vm.exited && now < hard) {
        const cpu = cpuNs(vm);
        if (cpu !== undefined && cpuAtDeadline === undefined) cpuAtDeadline = cpu;
        // short of 0.4 limit of CPU in the half limit since the deadline: it was starved, not busy
        if (cpu !== undefined && cpu - cpuAtDeadline! < limit * 0.4e6) deadline = Math.min(hard, now + limit / 2);
      }
      const left = deadline - now;
      if (left <= 0 || vm.exited) {
        this.replace(vm, vm.exited ? 'exit' : 'time', `deadline ${limit} ms`);
        return { kind: 'lost', reason: 'time', message: `time limit exceeded (${limit} ms)` };
      }
      Atomics.wait(ch.ctrl, 0, st, left);
    }
  }

  /** Spare VMs booted and waiting. */
  sparesReady(): number {
    return this.spares.filter((s) => s.ch.state() === S.IDLE).length;
  }

  /** Resolves once every spare has booted (tests; start-up does not wait for the spares). */
  async sparesBooted(): Promise<void> {
    while (this.spares.length < SPARES || this.spares.some((s) => s.ch.state() === S.BOOT && !s.exited)) await new Promise((r) => setTimeout(r, 5));
  }

  close(): void {
    this.closed = true;
    for (const vm of [this.active, ...this.spares]) {
      Atomics.store(vm.ch.ctrl, 0, S.QUIT);
      Atomics.notify(vm.ch.ctrl, 0);
      void vm.worker.terminate();
    }
  }

  /** The active VM once it has booted; waits for a booting one at most the time limit. */
  private ready(): Vm | undefined {
    let vm = this.active;
    if (vm.ch.state() === S.IDLE) return vm;
    // the active one is still booting: a spare that finished first takes its place
    const i = this.spares.findIndex((s) => s.ch.state() === S.IDLE);
    if (i >= 0 && vm.ch.state() === S.BOOT && !vm.exited) {
      this.active = this.spares[i]!;
      this.spares[i] = vm;
      return this.active;
    }
    vm = this.active;
    const deadline = performance.now() + this.opts.timeLimitMs;
    for (;;) {
      const st = vm.ch.state();
      if (st === S.IDLE) return vm;
      if (st !== S.BOOT || vm.exited) { this.replace(vm, 'exit', `worker state ${st}`); return undefined; }
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      Atomics.wait(vm.ch.ctrl, 0, S.BOOT, left);
    }
  }

  private serveHost(ch: Channel, host: HostCall): void {
    ch.rewind();
    const index = ch.readU32();
    const args = ch.readValues();
    try {
      const out = host(index, args);
      ch.begin();
      ch.writeU32(0);
      ch.writeValues(out === undefined ? [] : Array.isArray(out) ? out : [out]);
    } catch (err) {
      ch.begin();
      ch.writeU32(1);
      ch.writeString(err instanceof Error ? err.message : String(err));
    }
    ch.signal(S.REPLY);
  }

  private result(vm: Vm): RunOutcome {
    const { ch } = vm;
    ch.rewind();
    const flags = ch.readU32();
    const out: RunOutcome = ch.readU32() === 0 ? { kind: 'ok', values: ch.readValues() } : { kind: 'error', message: ch.readString() };
    ch.begin();
    ch.signal(S.IDLE);
    if (flags & RECYCLE) this.replace(vm, 'memory', 'VM holds too much memory between evaluations');
    return out;
  }

  /** Throws `vm` away; the spare takes over and a new spare starts building. */
  private replace(vm: Vm, reason: RestartReason, detail: string): void {
    if (vm !== this.active || this.closed) return;
    void vm.worker.terminate();
    const i = this.spares.findIndex((s) => s.ch.state() === S.IDLE);
    // no spare booted: the one booting (if any) becomes active; ready() waits for it briefly
    this.active = this.spares.length > 0 ? this.spares.splice(Math.max(0, i), 1)[0]! : this.spawn();
    this.topUp();
    this.opts.onRestart?.(reason, detail);
  }

  private spawn(): Vm {
    const ch = new Channel();
    const { names, instructionLimit, memoryLimit, codeCacheBytes } = this.opts;
    const data: VmWorkerData = { sab: ch.sab, names, instructionLimit, memoryLimit, codeCacheBytes };
    const worker = new Worker(WORKER_URL, { workerData: data });
    const vm: Vm = { worker, ch, exited: false };
    // Never keeps the process alive; a worker that dies unasked is noticed at its next use.
    worker.unref();
    worker.once('message', () => this.topUp());
    worker.on('error', () => { vm.exited = true; });
    worker.on('exit', () => { vm.exited = true; });
    return vm;
  }
}
