// ifportup, ifurlup, ifurlextup, pickselfweighted: read health state from the
// background checker (HealthOracle), never probe on the query path. Rules from
// PowerDNS lua-record.cc genericIfUp: the first address set with an available
// address wins and `selector` picks among its available addresses; when every
// address is down, `backupSelector` picks from all of them ('empty' = answer
// nothing, fail-closed). A check not yet completed counts as down (PowerDNS:
// "the first time they're called, they effectively treat all addresses as
// failing"), unless failOnIncompleteCheck=true, which makes it an error.
import { normalizeAddress } from '../geo/ip.js';
import { LuaTable, type HostFunction, type LuaValue } from './wasmoon.js';
import * as P from './pick.js';
import type { CheckSpec } from './types.js';
import type { HostEnv } from './host-functions.js';
import { options, pickClosest, strList } from './host-functions.js';

const CHECK_OPTS = ['timeout', 'interval', 'minimumFailures', 'source', 'stringmatch', 'httpcode', 'headers', 'useragent', 'byteslimit'];

function checkOpts(all: Record<string, string>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const k of CHECK_OPTS) if (all[k] !== undefined) o[k] = all[k]!;
  return o;
}

function list(items: string[]): LuaTable {
  const t = new LuaTable();
  t.list.push(...items);
  return t;
}

function units(v: LuaValue, what: string): string[][] {
  if (!(v instanceof LuaTable)) throw new Error(`${what}: expected a list of addresses`);
  const nested = v.list.length > 0 && v.list.every((x) => x instanceof LuaTable);
  const raw = nested ? v.list.map((u) => strList(u, what)) : [strList(v, what)];
  return raw.map((u) => u.map((a) => {
    const n = normalizeAddress(a);
    if (!n) throw new Error(`${what}: not an IP address: ${a}`);
    return n;
  }));
}

export function useSelector(env: HostEnv, selector: string, candidates: string[]): string[] {
  const c = env.ctx();
  switch (selector) {
    case 'all': return candidates;
    case 'empty': return [];
    case 'pickclosest': return [pickClosest(env, candidates)];
    case 'hashed': c.deps.address = true; return [P.pickHashed(c.bestwho, candidates)];
    default: c.deps.random = true; return [P.pickRandom(candidates, env.rand)]; // 'random' and unknown (PowerDNS warns, picks random)
  }
}

/** Shared body of ifportup/ifurlup/ifurlextup. */
function ifUp(env: HostEnv, groups: Array<Array<{ addr: string; spec: CheckSpec }>>, opts: Record<string, string>, what: string): LuaTable {
  const deps = env.ctx().deps;
  let incomplete = true;
  for (const g of groups) {
    const up: string[] = [];
    for (const { addr, spec } of g) {
      const s = env.health.status(spec);
      deps.health.push(s.id);
      if (s.value > 0) up.push(addr);
      if (s.value >= 0) incomplete = false;
    }
    if (up.length > 0) return list(useSelector(env, opts.selector ?? 'random', up));
  }
  if (incomplete && opts.failOnIncompleteCheck === 'true') throw new Error(`${what} health check has not completed yet`);
  return list(useSelector(env, opts.backupSelector ?? 'random', groups.flat().map((x) => x.addr)));
}

export function healthFunctions(env: HostEnv): Record<string, HostFunction> {
  return {
    ifportup: ([port, ips, o]) => {
      const p = Math.max(0, Math.min(65535, Math.trunc(Number(port))));
      const opts = options(o);
      const co = checkOpts(opts);
      const groups = units(ips ?? null, 'ifportup').map((u) => u.map((addr) => ({ addr, spec: { kind: 'tcp', address: addr, port: p, opts: co } as CheckSpec })));
      return ifUp(env, groups, opts, 'ifportup');
    },
    ifurlup: ([url, ips, o]) => {
      const opts = options(o);
      const co = checkOpts(opts);
      const u = String(url ?? '');
      const groups = units(ips ?? null, 'ifurlup').map((g) => g.map((addr) => ({ addr, spec: { kind: 'http', url: u, address: addr, opts: co } as CheckSpec })));
      return ifUp(env, groups, opts, 'ifurlup');
    },
    ifurlextup: ([groupsArg, o]) => {
      const opts = options(o);
      const co = checkOpts(opts);
      if (!(groupsArg instanceof LuaTable)) throw new Error('ifurlextup: expected a list of {address = url} tables');
      const groups = groupsArg.list.map((g) => {
        if (!(g instanceof LuaTable)) throw new Error('ifurlextup: each group is a {address = url} table');
        return [...g.map].map(([a, url]) => {
          const addr = normalizeAddress(a);
          if (!addr) throw new Error(`ifurlextup: not an IP address: ${a}`);
          return { addr, spec: { kind: 'http', url: String(url), opts: co } as CheckSpec };
        });
      });
      return ifUp(env, groups, opts, 'ifurlextup');
    },
    pickselfweighted: ([url, ips, o]) => {
      const opts = checkOpts(options(o));
      const c = env.ctx();
      const addrs = units(ips ?? null, 'pickselfweighted').flat();
      const items: P.Weighted = addrs.map((addr) => {
        const s = env.health.status({ kind: 'http', url: String(url ?? ''), address: addr, opts });
        c.deps.health.push(s.id);
        return [Math.max(0, s.value), addr];
      });
      if (items.some(([w]) => w > 0)) { c.deps.address = true; return P.pickWeightedHashed(c.bestwho, items); }
      c.deps.random = true; // all down: PowerDNS picks at random among all
      return P.pickRandom(addrs, env.rand);
    },
  };
}
