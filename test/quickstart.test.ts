// The README's quick start, as a newcomer runs it: geodns on its embedded
// defaults (no --zones, no --geoip, no database) answers the example LUA record
// geo.example.org with a different PoP for a European and a North American
// client subnet, from the bundled GeoLite2 City data, with a real ECS scope;
// and the three programs are runnable as the README writes them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { dig, freePort, startGeodns, tempDir, REPO_ROOT, TARGET, type Geodns } from './helpers/index.js';

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

// The three programs as the README calls them. npm links a workspace's bins at
// `npm ci`, before `tsc -b` has built dist/, and silently skips a bin whose file
// does not exist yet: a bin must be a committed file, not dist/main.js.
const BINS: Array<[string, string]> = [['edge-relay', 'packages/relay'], ['geodns', 'packages/geodns'], ['geoctl', 'packages/control']];

test('each program bin is a committed, executable launcher that npm ci links', () => {
  for (const [name, dir] of BINS) {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const target = pkg.bin[name]!;
    assert.doesNotMatch(target, /^(\.\/)?dist\//, `${name}: a bin in dist/ does not exist when npm ci links bins`);
    const file = join(REPO_ROOT, dir, target);
    assert.ok(existsSync(file), `${file} missing`);
    const tracked = spawnSync('git', ['ls-files', '-s', '--', join(dir, target)], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (tracked.status === 0) assert.match(tracked.stdout, /^100755 /, `${dir}/${target} must be committed with mode 755`);
    assert.ok(statSync(file).mode & 0o111, `${file} is not executable`);
    assert.ok(existsSync(join(REPO_ROOT, 'node_modules', '.bin', name)), `node_modules/.bin/${name} was not linked by npm ci`);
  }
});

/** The README's sh lines: the PATH line, and those that run one of the three programs. */
function readmeLines(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim());
}

test('the README puts the linked bins on PATH, and each of its check/help/version lines works as written', () => {
  const lines = readmeLines();
  const pathLine = 'export PATH="$PWD/node_modules/.bin:$PATH"';
  assert.ok(lines.includes(pathLine), `the README must show ${pathLine}`);
  // npx falls back to the npm registry when a bin is missing, and these names there are not ours.
  assert.deepEqual(lines.filter((l) => /^npx (edge-relay|geodns|geoctl)\b/.test(l)), []);
  const runnable = lines.filter((l) => /^(edge-relay|geodns|geoctl) /.test(l) && /--(check|help|version)\b/.test(l));
  for (const [name] of BINS) assert.ok(runnable.some((l) => l.startsWith(`${name} `)), `the README shows no runnable ${name} line`);
  for (const line of runnable) {
    const r = spawnSync('sh', ['-c', `${pathLine} && ${line}`], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `${line}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
});

test('the README block that serves a LUA zone from a directory works when pasted whole', { skip }, async () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("--zones /tmp/zones"));
  assert.ok(block, 'the README has the zone-directory block');
  // The same commands in a private directory, on a free port, and geodns stopped at the end.
  const t = tempDir('readme-zones');
  try {
    const port = String(await freePort());
    const script = `${block.replaceAll('/tmp/zones', join(t.dir, 'zones')).replaceAll('5301', port)}\nkill $!\n`;
    const r = spawnSync('sh', ['-c', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const answers = [...r.stdout.matchAll(/^www\.geo\.test\.\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]);
    assert.equal(answers.length, 2, r.stdout);
    assert.ok(answers.every((a) => POPS.includes(a!)), r.stdout);
    assert.notEqual(answers[0], answers[1], 'Europe and North America get different PoPs');
  } finally {
    t.remove();
  }
});

test('a launcher says to build first when dist/ is missing', () => {
  const t = tempDir('launcher');
  try {
    // A copy of the relay package without dist/: what a fresh clone has right after npm ci.
    const dir = join(t.dir, 'relay');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/relay/package.json'), 'utf8')) as { bin: Record<string, string> };
    cpSync(join(REPO_ROOT, 'packages/relay/package.json'), join(dir, 'package.json'));
    cpSync(join(REPO_ROOT, 'packages/relay', pkg.bin['edge-relay']!), join(dir, pkg.bin['edge-relay']!));
    const r = spawnSync(process.execPath, [join(dir, pkg.bin['edge-relay']!), '--version'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /npm run build/);
  } finally {
    t.remove();
  }
});
