// Test helper: RR objects from short text, so zone tests read like zone files
// without depending on the master-file parser.
import { TYPE, CLASS_IN, type RR, type Rdata } from '@geoedge/dnsdata';

type TypeName = keyof typeof TYPE;

/** rr('www.example.', 'A', '192.0.2.1'); rr('x.example.', 'LUA', 'A "return 1"'). */
export function rr(name: string, type: TypeName, value: string, ttl = 3600): RR {
  return { name, type: TYPE[type], class: CLASS_IN, ttl, data: rdata(type, value) };
}

function rdata(type: TypeName, v: string): Rdata {
  const f = v.split(/\s+/);
  switch (type) {
    case 'A': return { kind: 'a', address: v };
    case 'AAAA': return { kind: 'aaaa', address: v };
    case 'NS': case 'CNAME': case 'PTR': case 'DNAME': case 'ALIAS': return { kind: 'name', target: v };
    case 'MX': return { kind: 'mx', preference: Number(f[0]), exchange: f[1]! };
    case 'TXT': return { kind: 'txt', strings: [Buffer.from(v)] };
    case 'SRV': return { kind: 'srv', priority: Number(f[0]), weight: Number(f[1]), port: Number(f[2]), target: f[3]! };
    case 'DS': return { kind: 'ds', keyTag: Number(f[0]), algorithm: Number(f[1]), digestType: Number(f[2]), digest: Buffer.from(f[3]!, 'hex') };
    case 'SOA': {
      const [mname = 'ns.example.', rname = 'hostmaster.example.', serial = '1'] = f;
      return { kind: 'soa', mname, rname, serial: Number(serial), refresh: 7200, retry: 900, expire: 1209600, minimum: 300 };
    }
    case 'LUA': {
      const inner = f[0] as TypeName;
      return { kind: 'lua', innerType: TYPE[inner], code: v.slice(f[0]!.length).trim() };
    }
    default: return { kind: 'raw', bytes: Buffer.from(v) };
  }
}

/** A minimal valid zone: SOA and NS at the apex, plus `more`. */
export function zoneRecords(origin: string, ...more: RR[]): RR[] {
  return [rr(origin, 'SOA', `ns1.${origin} hostmaster.${origin} 2026112201`), rr(origin, 'NS', `ns1.${origin}`), ...more];
}
