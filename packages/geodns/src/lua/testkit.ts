// Shared setup for the Lua tests: the MaxMind test City + ASN databases and a
// runtime over them. Not a test file itself.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createLogger } from '@geoedge/shared';
import { createGeoIpService, type GeoIpService } from '../geo/geoip-service.js';
import { defaultCityDatabase } from '../geo/default-db.js';
import { createLuaRuntime, type LuaRuntime, type LuaRuntimeOptions } from './runtime.js';
import type { CheckSpec, HealthOracle, LuaClient, LuaRecordRef } from './types.js';

const TD = fileURLToPath(new URL('../../src/geo/testdata/', import.meta.url));
export const silent = createLogger({ name: 'test', level: 'silent' });

export async function testGeo(real = false): Promise<GeoIpService> {
  const files = real ? [defaultCityDatabase()] : [join(TD, 'GeoIP2-City-Test.mmdb'), join(TD, 'GeoLite2-ASN-Test.mmdb')];
  const g = createGeoIpService({ files, log: silent, watch: false });
  await g.start();
  return g;
}

/** Health state set by the test: the seam the runtime reads, not a stand-in for a library. */
export class TableOracle implements HealthOracle {
  readonly states = new Map<string, number>();
  readonly seen: CheckSpec[] = [];
  status(spec: CheckSpec) {
    this.seen.push(spec);
    const key = spec.kind === 'tcp' ? `${spec.address}:${spec.port}` : `${spec.url} ${spec.address ?? ''}`.trim();
    return { id: key, value: this.states.get(key) ?? -1 };
  }
}

export async function testRuntime(extra: Partial<LuaRuntimeOptions> = {}, real = false) {
  const geo = await testGeo(real);
  const health = new TableOracle();
  // a generous deadline: these tests check semantics on a loaded machine, not the deadline
  const rt: LuaRuntime = await createLuaRuntime({ geo, health, timeLimitMs: 2000, ...extra });
  return { rt, geo, health };
}

export const record = (code: string, owner = 'www.example.com.', innerType = 1): LuaRecordRef => ({ owner, zone: 'example.com.', innerType, code });

export const client = (who: string, more: Partial<LuaClient> = {}): LuaClient => ({
  who, localwho: '192.0.2.53', qname: 'www.example.com.', tcp: false, dnssecOK: false, ednsPKTSize: 1232, ...more,
});
