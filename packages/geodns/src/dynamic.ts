// The parts LUA records need, built once at start: GeoIP databases (hot-swapped),
// the background health checker, the Lua VM and the chain's LUA stage. A health
// change or a GeoIP swap bumps its epoch, which makes the cached LUA answers
// that read health state or GeoIP data stale (stages/dynamic-cache.ts).
import { TYPE } from '@geoedge/dnsdata';
import { LabeledCounter, type Logger, type Registry, type Service } from '@geoedge/shared';
import type { Config } from './config.js';
import { createGeoIpService, defaultCityDatabase } from './geo/index.js';
import { createHealthChecker, createLuaRuntime, type CheckState } from './lua/index.js';
import { createFastPath, withFastPath } from './lua/fast-path.js';
import { createLuaStage } from './stages/lua.js';
import type { ChainDeps } from './chain.js';
import type { ZoneSet } from './zones/types.js';
import type { MapSources } from './status-map.js';

export interface Dynamic {
  services: Service[];
  chainLua: NonNullable<ChainDeps['lua']>;
  reloadGeo(): Promise<void>;
  /** The health checker's state, read only (status.ts). */
  healthStates(): CheckState[];
  /** What the web page's map asks (status-map.ts): the GeoIP databases and the LUA evaluator the chain uses. */
  map: MapSources;
}

export async function createDynamic(cfg: Config, log: Logger, registry: Registry, snapshot: () => ZoneSet): Promise<Dynamic> {
  const files = cfg.geoip.length > 0 ? cfg.geoip : [defaultCityDatabase()];
  const geo = createGeoIpService({ files, log: log.child({ component: 'geoip' }) });
  const health = createHealthChecker({ log: log.child({ component: 'health' }) });
  health.registerMetrics(registry);
  let healthEpoch = 0, geoEpoch = 0;
  geo.onSwap(() => geoEpoch++);
  health.onChange(() => healthEpoch++);
  let stage: ReturnType<typeof createLuaStage> | undefined;
  const rt = await createLuaRuntime({
    geo,
    health,
    instructionLimit: cfg.lua.instructionLimit,
    memoryLimit: cfg.lua.memoryLimit,
    timeLimitMs: cfg.lua.timeLimitMs,
    codeCacheBytes: cfg.lua.codeCacheBytes,
    onRestart: (reason, detail) => log.debug({ reason, detail }, 'Lua VM replaced'),
    // include('name'): the code of the LUA records at that name in our zones.
    include: (fqdn) => {
      stage?.readOtherRecords();
      const r = snapshot().lookup(fqdn.toLowerCase(), TYPE.ANY);
      if (r.kind !== 'answer') return [];
      return r.rrsets.flatMap((s) => s.records.flatMap((d) => (d.kind === 'lua' ? [d.code] : [])));
    },
  });
  rt.registerMetrics(registry);
  const limits = new LabeledCounter(registry, 'geodns_lua_limit_total', 'LUA evaluations answered SERVFAIL because they hit a limit, by limit (time, instructions, memory, vm, answer-size)', ['limit']);
  const vms: Service = { name: 'lua-vms', start: async () => {}, close: async () => rt.close() };
  // Records of a known shape never reach the VM (lua/fast-path.ts).
  const fast = createFastPath({ geo, health });
  const evaluator = withFastPath(fast, rt);
  stage = createLuaStage(evaluator, log, limits);
  return {
    services: [geo, health, vms],
    chainLua: { stage, geo, epochs: { health: () => healthEpoch, geo: () => geoEpoch } },
    healthStates: () => health.states(),
    map: { geo, evaluator },
    async reloadGeo() {
      for (const r of await geo.reload()) if (r.kind === 'rejected') log.error({ file: r.path, err: r.message }, 'GeoIP database rejected; the previous one stays');
    },
  };
}
