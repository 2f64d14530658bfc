// Runs inside a worker thread: one sandboxed Lua VM, serving evaluations over
// the channel (channel.ts) until told to quit or terminated by the query
// thread's watchdog (vm-pool.ts). Host functions (GeoIP, health, include) are
// not here: each call is forwarded to the query thread, which owns that state,
// and this thread waits for the reply. The thread never runs its event loop
// while serving; it only blocks in Atomics.wait between messages.
import { readlinkSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createLuaVm, type LuaValue } from './wasmoon.js';
import { SANDBOX_LUA } from './sandbox.js';
import { Channel, S, RECYCLE, type VmWorkerData } from './channel.js';

async function main(d: VmWorkerData): Promise<void> {
  const ch = new Channel(d.sab);
  // Our thread id, so the watchdog can tell a busy VM from one waiting for a CPU (vm-pool.ts)
  try { Atomics.store(ch.ctrl, 2, Number(readlinkSync('/proc/thread-self').split('/').pop()) || 0); } catch { /* not Linux */ }
  const vm = await createLuaVm({ instructionLimit: d.instructionLimit, memoryLimit: d.memoryLimit });
  d.names.forEach((name, i) => vm.defineFunction(name, (args) => hostCall(ch, i, args)));
  vm.exec(`return (function(...) ${SANDBOX_LUA} end)('${vm.abortMessage}', 'not enough memory', ${d.codeCacheBytes})`);
  vm.seal();
  warmUp(vm);
  // Past this the VM is collected; if it stays past it, the VM is replaced (the
  // code cache is bounded, so only a leak or fragmentation would get here).
  const ceiling = 4 * d.codeCacheBytes + 2 * d.memoryLimit;
  ch.begin();
  ch.signal(S.IDLE);
  parentPort?.postMessage('booted'); // the pool boots the next spare when this one is done
  for (;;) {
    const st = waitWhileNot(ch, S.REQUEST, S.QUIT);
    if (st === S.QUIT) return;
    let flags = 0;
    try {
      ch.rewind();
      const code = ch.readString();
      const vars = ch.readValues() as Array<string | number | boolean | null>;
      const r = vm.call('__eval', [code, ...vars]);
      if (vm.memoryUsed() > ceiling) {
        vm.call('__collect', []);
        if (vm.memoryUsed() > ceiling) flags |= RECYCLE;
      }
      ch.begin();
      ch.writeU32(flags);
      if (r.kind === 'ok') { ch.writeU32(0); ch.writeValues(r.values); }
      else { ch.writeU32(1); ch.writeString(r.message); }
      ch.signal(S.DONE);
    } catch (err) {
      // a Lua panic is a wasm abort(): this VM is done, the query thread replaces it
      ch.begin();
      ch.writeString(err instanceof Error ? err.message : String(err));
      ch.signal(S.BROKEN);
      return;
    }
  }
}

/**
 * Runs the interpreter through its common paths before the first query: V8
 * compiles wasm functions on first call, which costs a fresh VM ~100 ms (loaded machine) on its
 * first evaluation — the query thread would wait for that, once per rebuild.
 */
function warmUp(vm: Awaited<ReturnType<typeof createLuaVm>>): void {
  const code = ";local t = {} for i = 1, 20 do t[#t + 1] = ('%d.%s'):format(i, tostring(i * 1.5)) end local s = table.concat(t, ',') local n = 0 for w in s:gmatch('[^,]+') do n = n + #w:upper() end pcall(error, {}) return s:sub(1, 8) .. n";
  for (let i = 0; i < 2; i++) vm.call('__eval', [code, 'warm.', 'warm.', '192.0.2.1', '192.0.2.1', null, '192.0.2.1', false, false, 512]);
  vm.call('__collect', []);
}

/** Forwards one host-function call to the query thread and waits for its result. */
function hostCall(ch: Channel, index: number, args: LuaValue[]): LuaValue[] {
  ch.begin();
  ch.writeU32(index);
  ch.writeValues(args);
  ch.signal(S.HOST);
  waitWhileNot(ch, S.REPLY, S.QUIT);
  ch.rewind();
  const failed = ch.readU32();
  if (failed) throw new Error(ch.readString());
  return ch.readValues();
}

function waitWhileNot(ch: Channel, a: number, b: number): number {
  for (;;) {
    const st = ch.state();
    if (st === a || st === b) return st;
    Atomics.wait(ch.ctrl, 0, st);
  }
}

if (!isMainThread) void main(workerData as VmWorkerData);
