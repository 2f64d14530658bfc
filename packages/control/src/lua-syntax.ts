// control's one Lua VM import (wasmoon: Lua 5.4 in WebAssembly). Only checks
// syntax: the code is compiled with `load` in a fresh VM and never run, so a
// LUA record's content cannot do anything here. PowerDNS evaluates a LUA
// record as `return <code>`, or as a whole script when the code starts with ';'.
import { LuaFactory } from 'wasmoon';

export type LuaSyntaxResult = { ok: true } | { ok: false; error: string };

// The factory holds the compiled WebAssembly module; engines (VMs) are cheap.
let factory: LuaFactory | undefined;

/** Syntax-checks the code of a LUA record the way PowerDNS would load it. */
export async function checkLuaSyntax(code: string): Promise<LuaSyntaxResult> {
  const chunk = code.startsWith(';') ? code.slice(1) : `return ${code}`;
  factory ??= new LuaFactory();
  const engine = await factory.createEngine({ openStandardLibs: true, injectObjects: false, enableProxy: false });
  try {
    engine.global.set('__chunk', chunk);
    const err: unknown = await engine.doString('local f, e = load(__chunk, "=lua", "t"); return e');
    if (err === undefined || err === null) return { ok: true };
    return { ok: false, error: String(err) };
  } finally {
    engine.global.close();
  }
}
