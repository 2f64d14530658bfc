// The README's quick start, as a newcomer runs it: geodns on its embedded
// defaults (no --zones, no --geoip, no database) answers the example LUA record
// geo.example.org with a different PoP for a European and a North American
// client subnet, from the bundled GeoLite2 City data, with a real ECS scope.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig, startGeodns, REPO_ROOT, TARGET, type Geodns } from './helpers/index.js';

const skip = TARGET === 'pdns' && 'geodns embedded defaults';
const POPS = ['67.198.150.72', '78.142.195.195', '89.28.239.46'];
let g: Geodns | undefined;
after(async () => g?.stop());

test('embedded defaults: geo.example.org answers Europe and North America with different PoPs', { skip }, async () => {
  g = await startGeodns(); // only --listen: the shipped zones and GeoIP data
  const answer = async (subnet: string) => {
    const r = await dig(g!, ['geo.example.org', 'A', `+subnet=${subnet}`]);
    assert.equal(r.status, 'NOERROR');
    assert.equal(r.answer.length, 1, JSON.stringify(r.answer));
    return { address: r.answer[0]!.data, ecs: r.opt?.ecs ?? '' };
  };
  const europe = await answer('81.2.69.0/24');
  const america = await answer('8.8.8.0/24');
  assert.ok(POPS.includes(europe.address) && POPS.includes(america.address), `${europe.address} ${america.address}`);
  assert.notEqual(europe.address, america.address, 'the two continents get different PoPs');
  assert.match(europe.ecs, /^81\.2\.69\.0\/24\/([1-9]\d*)$/, 'the scope is the GeoIP network, not 0');
  // The same subnet asked again gets the same PoP (pickclosest is not random).
  assert.equal((await answer('81.2.69.0/24')).address, europe.address);
});

test('the README quick start names the record and the subnets this test asks', { skip }, () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  assert.match(readme, /dig @127\.0\.0\.1 -p 5300 geo\.example\.org \+subnet=81\.2\.69\.0\/24/);
  assert.match(readme, /dig @127\.0\.0\.1 -p 5300 geo\.example\.org \+subnet=8\.8\.8\.0\/24/);
});
