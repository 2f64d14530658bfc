// One command-line convention for the three programs, checked on the real
// binaries: --version, exit 2 for an invalid configuration (naming the key and
// the allowed values), LOG_LEVEL and --log-level handled alike (flag > LOG_LEVEL
// > config file > info), and Prometheus metric names without a doubled prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { freePort, scrape, startProcess, tempDir, REPO_ROOT, GEODNS_MAIN } from './helpers/index.js';

const RELAY_MAIN = join(REPO_ROOT, 'packages', 'relay', 'dist', 'main.js');
const GEOCTL_MAIN = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');
const LEVELS = '"fatal", "error", "warn", "info", "debug", "trace", "silent"';

interface Program {
  name: string;
  pkg: string;
  main: string;
  /** argv before the flags (geoctl's subcommand). */
  command: string[];
  /** A valid config file's text, logging at info; `port` serves metrics. */
  config(port: number): string;
  /** A config file with one mistake, and the line its error must contain. */
  bad: [string, string];
  /** The program's own metric that must be on /metrics. */
  own: string;
}

const PROGRAMS: Program[] = [
  {
    name: 'edge-relay', pkg: 'relay', main: RELAY_MAIN, command: [],
    config: (port) => `log_level: info\nadmin: 127.0.0.1:${port}\nupstreams:\n  a: { servers: ["127.0.0.1:9"] }\nlisteners:\n  - { name: l, listen: ["127.0.0.1:0"], routes: [{ upstream: a }] }\n`,
    bad: ['upstreams:\n  a: { servers: ["127.0.0.1:9"], proxy_protocol: 2 }\nlisteners:\n  - { name: l, listen: ["127.0.0.1:0"], routes: [{ upstream: a }] }\n',
      '/upstreams/a/proxy_protocol: expected one of "none", "v1", "v2", got 2'],
    own: 'relay_active',
  },
  {
    name: 'geodns', pkg: 'geodns', main: GEODNS_MAIN, command: [],
    config: (port) => `logLevel: info\nlisten: ["127.0.0.1:0"]\nmetrics: 127.0.0.1:${port}\n`,
    bad: ['tcp:\n  idleTimeoutMs: soon\n', '/tcp/idleTimeoutMs: expected an integer from 100 to 3600000, got "soon"'],
    own: 'geodns_zones_loaded',
  },
  {
    name: 'geoctl', pkg: 'control', main: GEOCTL_MAIN, command: ['serve'],
    config: (port) => `logLevel: info\nlisten: 127.0.0.1:${port}\ngeoip: { enabled: false }\n`,
    bad: ['geoip: { enabled: maybe }\n', '/geoip/enabled: expected true or false, got "maybe"'],
    own: 'geoctl_uptime_seconds',
  },
];

const versionOf = (pkg: string) => (JSON.parse(readFileSync(join(REPO_ROOT, 'packages', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const cleanEnv = (): NodeJS.ProcessEnv => { const e = { ...process.env }; delete e.LOG_LEVEL; return e; };
const runSync = (p: Program, args: string[], env: NodeJS.ProcessEnv = cleanEnv()) =>
  spawnSync(process.execPath, [p.main, ...p.command, ...args], { encoding: 'utf8', timeout: 15_000, env });

for (const p of PROGRAMS) {
  test(`${p.name}: --version prints "${p.name} <version>" and exits 0, alone or with other flags`, () => {
    for (const args of [['--version'], ['--version', '--check']]) {
      const r = spawnSync(process.execPath, [p.main, ...args], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, `${p.name} ${versionOf(p.pkg)}\n`);
    }
  });

  test(`${p.name}: an invalid config file or LOG_LEVEL exits 2 with one line naming the key and the allowed values`, () => {
    const t = tempDir(`cli-${p.pkg}`);
    try {
      const bad = join(t.dir, 'bad.yaml');
      writeFileSync(bad, p.bad[0]);
      for (const args of [['--config', bad], ['--config', bad, '--check']]) {
        const r = runSync(p, args);
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.ok(r.stderr.split('\n').some((l) => l.trim() === p.bad[1]), `"${p.bad[1]}" not a line of:\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, /^\s+at /m, 'a message, not a stack trace');
      }
      const good = join(t.dir, 'good.yaml');
      writeFileSync(good, p.config(0));
      const env = runSync(p, ['--config', good, '--check'], { ...cleanEnv(), LOG_LEVEL: 'loud' });
      assert.equal(env.status, 2, env.stderr);
      assert.match(env.stderr, new RegExp(`LOG_LEVEL: expected one of ${LEVELS}, got "loud"`));
      const flag = runSync(p, ['--config', good, '--check', '--log-level', 'loud']);
      assert.equal(flag.status, 2, flag.stderr);
      assert.match(flag.stderr, new RegExp(`/log_?[lL]evel: expected one of ${LEVELS}, got "loud"`));
      const bogus = runSync(p, ['--config', good, '--bogus']);
      assert.equal(bogus.status, 2, bogus.stderr);
      assert.match(bogus.stderr, /bogus/);
    } finally {
      t.remove();
    }
  });

  test(`${p.name}: LOG_LEVEL beats the config file, --log-level beats LOG_LEVEL; metrics have one prefix`, async () => {
    const t = tempDir(`cli-${p.pkg}`);
    try {
      const port = await freePort();
      const file = join(t.dir, 'config.yaml');
      writeFileSync(file, p.config(port));
      const start = (args: string[]) => startProcess(process.execPath, [p.main, ...p.command, '--config', file, ...args], { env: { ...cleanEnv(), LOG_LEVEL: 'silent' } });
      const metricsUp = async (proc: ReturnType<typeof start>) => {
        for (let i = 0; i < 150 && proc.alive(); i++) {
          try { return await scrape(`http://127.0.0.1:${port}/metrics`); } catch { await new Promise((r) => setTimeout(r, 100)); }
        }
        throw new Error(`no /metrics on ${port}:\n${proc.tail()}`);
      };
      // The file says info, LOG_LEVEL says silent: not one log line.
      const quiet = start([]);
      try {
        const samples = await metricsUp(quiet);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(quiet.stdout, [], 'LOG_LEVEL=silent must win over the file');
        const names = [...new Set([...samples.keys()].map((k) => k.replace(/\{.*$/, '')))];
        assert.ok(names.includes(p.own), `${p.own} missing from ${names.join(' ')}`);
        // prom-client's default metrics keep their standard names (process_*, nodejs_*), as every
        // Prometheus client library exports them; the job label says which program.
        assert.ok(names.includes('process_cpu_seconds_total'), names.join(' '));
        assert.ok(names.includes('process_resident_memory_bytes'), names.join(' '));
        assert.ok(names.some((n) => n.startsWith('nodejs_')), names.join(' '));
        assert.deepEqual(names.filter((n) => /process_process_|nodejs_nodejs_|^(relay|geodns|geoctl)_(process|nodejs)_/.test(n)), []);
      } finally {
        await quiet.stop();
      }
      // --log-level info beats LOG_LEVEL=silent.
      const loud = start(['--log-level', 'info']);
      try {
        await metricsUp(loud);
        await loud.waitForLine(/"level":30/, 5000);
      } finally {
        await loud.stop();
      }
    } finally {
      t.remove();
    }
  });
}

test('a port already taken: each program logs one fatal "cannot start" line and exits 1', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const port = (taken.address() as AddressInfo).port;
  const t = tempDir('cli-taken');
  try {
    const relayFile = join(t.dir, 'relay.yaml');
    writeFileSync(relayFile, `upstreams:\n  a: { servers: ["127.0.0.1:9"] }\nlisteners:\n  - { name: l, listen: ["127.0.0.1:${port}"], routes: [{ upstream: a }] }\n`);
    const runs: Array<[string, string[]]> = [
      ['edge-relay', [RELAY_MAIN, '--config', relayFile]],
      ['geodns', [GEODNS_MAIN, '--listen', `127.0.0.1:${port}`]],
      ['geoctl', [GEOCTL_MAIN, 'serve', '--listen', `127.0.0.1:${port}`]],
    ];
    for (const [name, args] of runs) {
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000, env: { ...cleanEnv(), LOG_LEVEL: 'fatal' } });
      assert.equal(r.status, 1, `${name}: ${r.stdout}${r.stderr}`);
      const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message?: string } });
      assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[60, 'cannot start']], name);
      assert.match(lines[0]!.err?.message ?? '', /EADDRINUSE/, name);
    }
  } finally {
    taken.close();
    t.remove();
  }
});
