// The LUA benchmark zone and client subnets, shared by dns-lua.mjs (geodns and
// PowerDNS over the wire) and lua-cold-micro.mjs (geodns's query path in-process),
// so both measure the same records and the same kind of clients.
export const ZONE = 'lua.bench';
export const POPS = ['8.8.8.8', '81.2.69.142', '1.0.0.1', '200.160.0.8', '196.49.0.1'];

export function zoneText() {
  return [
    `$ORIGIN ${ZONE}.`, '$TTL 300', `@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 600 604800 300`, '@ IN NS ns1', 'ns1 IN A 192.0.2.53',
    'www IN A 192.0.2.10',
    `closest IN LUA A "pickclosest({${POPS.map((p) => `'${p}'`).join(',')}})"`,
    `octo IN LUA A ";if country('US') then return {'192.0.2.1','192.0.2.2'} elseif continent('EU') then return {'192.0.2.3','192.0.2.4'} end return pickwhashed({{100,'192.0.2.5'},{50,'192.0.2.6'},{25,'192.0.2.7'}})"`,
    '',
  ].join('\n');
}

/** mulberry32: the same subnets every run. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Distinct /24s of public unicast IPv4 (no 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, 224/3), as [a, b, c]. */
export function subnets(n, seed = 42) {
  const rand = prng(seed);
  const seen = new Set();
  const out = [];
  while (out.length < n) {
    const a = 1 + Math.floor(rand() * 222), b = Math.floor(rand() * 256), c = Math.floor(rand() * 256);
    if (a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) continue;
    const k = (a << 16) | (b << 8) | c;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push([a, b, c]);
  }
  return out;
}
