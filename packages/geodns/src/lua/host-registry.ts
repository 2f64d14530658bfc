// The registry of host functions the sandbox prelude calls (__h_<name>): the
// PowerDNS functions of host-functions.ts and health-functions.ts under one
// name table. Kept apart from host-functions.ts because health-functions.ts
// builds on that file's helpers; a registry inside it made the two import
// each other (a cycle scripts/check-import-cycles.mjs reports).
import { normalizeAddress, parseNetmask } from '../geo/ip.js';
import type { HostFunction } from './wasmoon.js';
import { geoFunctions, pickFunctions, inMasks, strList, LuaTableFrom, type HostEnv } from './host-functions.js';
import { healthFunctions } from './health-functions.js';

/** Every host function, by the global name the sandbox prelude expects (__h_<name>, __h__<helper>). */
export function hostFunctions(env: HostEnv): Record<string, HostFunction> {
  const out: Record<string, HostFunction> = {};
  const all = { ...geoFunctions(env), ...pickFunctions(env), ...healthFunctions(env) };
  for (const [k, fn] of Object.entries(all)) out[`__h_${k}`] = fn;
  out.__h__normalize = ([a]) => normalizeAddress(String(a ?? '')) ?? null;
  out.__h__netmask = ([t]) => { const m = parseNetmask(String(t ?? '')); return m ? [normalizeAddress(formatBytes(m.bytes))!, m.prefix] : null; };
  out.__h__inmasks = ([a, m]) => inMasks(String(a ?? ''), strList(m ?? null, 'netmask group'));
  out.__h__include = ([name]) => {
    const c = env.ctx();
    const fqdn = `${String(name).replace(/\.$/, '')}.${c.record.zone}`.toLowerCase();
    return new LuaTableFrom(env.include(fqdn));
  };
  return out;
}

function formatBytes(b: Uint8Array): string {
  return b.length === 4 ? Array.from(b).join('.') : Array.from({ length: 8 }, (_, i) => ((b[i * 2]! << 8) | b[i * 2 + 1]!).toString(16)).join(':');
}
