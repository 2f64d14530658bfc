// Every example config in deploy/ passes its own program's --check (the same
// code path the program runs at start), and a broken copy of each is refused
// naming the key; the systemd units pass `systemd-analyze verify`
// and keep the privileges each program needs and no more. A config added to
// deploy/ without a check here fails the inventory test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, run, tempDir } from './helpers/index.js';

const DEPLOY = join(REPO_ROOT, 'deploy');
const MAIN = {
  geodns: join(REPO_ROOT, 'packages', 'geodns', 'dist', 'main.js'),
  relay: join(REPO_ROOT, 'packages', 'relay', 'dist', 'main.js'),
  geoctl: join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js'),
};
const GEOIP_CONF = join(DEPLOY, 'geoctl', 'GeoIP.conf');
/** The command line that checks one example config, by the folder it lives in. */
const CHECKS: Record<string, (file: string) => string[]> = {
  geodns: (f) => [MAIN.geodns, '--config', f, '--check'],
  relay: (f) => [MAIN.relay, '--config', f, '--check'],
  geoctl: (f) => [MAIN.geoctl, 'serve', '--config', f, '--geoip-conf', GEOIP_CONF, '--check'],
};
const yamlIn = (dir: string) => readdirSync(join(DEPLOY, dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
const check = (dir: string, file: string) => run(process.execPath, CHECKS[dir]!(file), { timeoutMs: 20_000 });

test('every YAML config under deploy/ has a check', () => {
  const all: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(DEPLOY, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) all.push(p);
    }
  };
  walk('');
  const checked = Object.keys(CHECKS).flatMap((d) => yamlIn(d).map((f) => `${d}/${f}`));
  assert.deepEqual(all.sort(), checked.sort());
  for (const role of ['geodns/ns1.yaml', 'geodns/ns2.yaml', 'geoctl/ns1.yaml', 'relay/pop.yaml', 'relay/pi.yaml']) assert.ok(checked.includes(role), role);
});

for (const dir of Object.keys(CHECKS)) {
  for (const file of yamlIn(dir)) {
    test(`deploy/${dir}/${file} passes its program's --check`, async () => {
      const r = await check(dir, join(DEPLOY, dir, file));
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /config ok|ok/i);
    });
  }
}

// One convention: an invalid configuration exits 2 in all three programs.
const BAD_EXIT: Record<string, number> = { geodns: 2, geoctl: 2, relay: 2 };
// A broken copy of each: an unknown key, and a bad value under a real key.
const BREAKS: Record<string, Array<[(yaml: string) => string, RegExp]>> = {
  geodns: [
    [(y) => `${y}\nlisen: ["0.0.0.0:53"]\n`, /lisen/],
    [(y) => y.replace(/^workers: \d+/m, 'workers: many'), /\/workers/],
    [(y) => y.replace(/^db: \S+/m, 'db: postgres://x'), /\/db/],
  ],
  geoctl: [
    [(y) => `${y}\napikey: x\n`, /apikey/],
    [(y) => y.replace(/schedule: "[^"]*"/, 'schedule: "every tuesday"'), /\/geoip\/schedule/],
  ],
  relay: [
    [(y) => `${y}\nlistners: []\n`, /listners/],
    [(y) => y.replace(/^(\s+)- name: (\S+)\n(\s+)/m, '$1- name: $2\n$3frobnicate: 1\n$3'), /listeners\/0.*frobnicate|frobnicate/],
  ],
};
for (const [dir, breaks] of Object.entries(BREAKS)) {
  test(`broken copies of deploy/${dir} configs are refused naming the key`, async () => {
    const t = tempDir(`deploy-${dir}`);
    try {
      for (const file of yamlIn(dir)) {
        const text = readFileSync(join(DEPLOY, dir, file), 'utf8');
        for (const [i, [breakIt, names]] of breaks.entries()) {
          const broken = breakIt(text);
          assert.notEqual(broken, text, `break ${i} must change ${file}`);
          const copy = join(t.dir, `${i}-${file}`);
          writeFileSync(copy, broken);
          const r = await check(dir, copy);
          assert.equal(r.code, BAD_EXIT[dir], `${file} break ${i}: ${r.stdout}${r.stderr}`);
          assert.match(`${r.stdout}${r.stderr}`, names, `${file} break ${i}`);
        }
      }
    } finally {
      t.remove();
    }
  });
}

const UNITS = join(DEPLOY, 'systemd');
const unit = (name: string) => readFileSync(join(UNITS, name), 'utf8');
const values = (text: string, key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

test('systemd units: non-root users, only the capabilities each needs, reload by SIGHUP, a --check before start', () => {
  const need: Record<string, string[]> = {
    'geodns.service': ['CAP_NET_BIND_SERVICE'],
    'edge-relay.service': ['CAP_NET_BIND_SERVICE'],
    'geoctl.service': [],
  };
  for (const [name, caps] of Object.entries(need)) {
    const u = unit(name);
    const user = values(u, 'User')[0];
    assert.ok(user && user !== 'root', `${name}: User= is a non-root user`);
    assert.ok(readFileSync(join(UNITS, 'geoedge.sysusers.conf'), 'utf8').includes(`u ${user} `), `${name}: ${user} is created by geoedge.sysusers.conf`);
    assert.deepEqual(values(u, 'CapabilityBoundingSet').join(' ').split(/\s+/).filter(Boolean), caps, `${name}: bounding set`);
    assert.deepEqual(values(u, 'AmbientCapabilities').join(' ').split(/\s+/).filter(Boolean), caps, `${name}: ambient set`);
    assert.deepEqual(values(u, 'NoNewPrivileges'), ['yes']);
    assert.deepEqual(values(u, 'ProtectSystem'), ['strict']);
    assert.match(values(u, 'ExecStartPre')[0] ?? '', / --check$/, `${name}: the config is checked before start`);
    if (name !== 'geoctl.service') assert.deepEqual(values(u, 'ExecReload'), ['/bin/kill -HUP $MAINPID']);
    assert.equal(values(u, 'MemoryDenyWriteExecute').length, 0, `${name}: V8's JIT needs W+X pages`);
  }
  const t = unit('edge-relay-transparent.conf');
  assert.deepEqual(values(t, 'CapabilityBoundingSet')[0]!.split(/\s+/).sort(), ['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']);
});

test('systemd units pass systemd-analyze verify (paths mapped to this checkout)', async (t) => {
  const probe = await run('systemd-analyze', ['--version']).catch(() => undefined);
  if (!probe || probe.code !== 0) return t.skip('systemd-analyze is not installed');
  const dir = tempDir('units');
  try {
    const names = readdirSync(UNITS).filter((f) => f.endsWith('.service'));
    assert.deepEqual(names.sort(), ['edge-relay.service', 'geoctl.service', 'geodns.service']);
    for (const n of names) writeFileSync(join(dir.dir, n), unit(n).replaceAll('/opt/geoedge', REPO_ROOT));
    const r = await run('systemd-analyze', ['verify', ...names.map((n) => join(dir.dir, n))], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Unknown (key|section)|Invalid|Failed to parse/i, r.stderr);
    // The check itself catches a misspelt key (so the assertion above can fail).
    writeFileSync(join(dir.dir, 'geodns.service'), unit('geodns.service').replaceAll('/opt/geoedge', REPO_ROOT).replace('NoNewPrivileges=', 'NoNewPrivilegez='));
    const bad = await run('systemd-analyze', ['verify', join(dir.dir, 'geodns.service')], { timeoutMs: 30_000 });
    assert.match(bad.stderr, /Unknown key 'NoNewPrivilegez'/);
  } finally {
    dir.remove();
  }
});
