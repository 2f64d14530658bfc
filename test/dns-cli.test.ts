// The geodns command line as a user meets it: --help, bad flags and config
// files (exit 2, naming the key), flags overriding the file, --log-queries,
// --workers, IPv6 listening. geodns only (PowerDNS has its own CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  dig, freePort, portFree, run, startGeodns, startProcess, tempDir, udpExchange, waitForAnswer, buildQuery, parseMessage, scrape, sum, GEODNS_MAIN, TARGET,
} from './helpers/index.js';

const skip = TARGET === 'pdns' && 'geodns command line';
const geodns = (args: string[]): ReturnType<typeof run> => run(process.execPath, [GEODNS_MAIN, ...args], { timeoutMs: 15_000 });

test('--help documents every flag and exits 0', { skip }, async () => {
  const r = await geodns(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const flag of ['--config', '--listen', '--zones', '--geoip', '--db', '--metrics', '--log-queries', '--workers', '--help']) {
    assert.match(r.stdout, new RegExp(`^\\s+${flag}\\b`, 'm'), `--help must document ${flag}`);
  }
  assert.match(r.stdout, /127\.0\.0\.1:5300/, 'the default listen address is stated');
});

const BAD_FLAGS: Array<[string[], RegExp]> = [
  [['--bogus'], /bogus/],
  [['--listen'], /listen/],
  [['--listen', 'not-an-address'], /listen/],
  [['--listen', '127.0.0.1:99999'], /listen/],
  [['--workers', 'two'], /workers/],
  [['--workers', '0'], /workers/],
  [['--metrics', '::1'], /metrics/],
  [['--db', 'postgres://x'], /db/],
  [['--config', '/nonexistent/geodns.yaml'], /nonexistent\/geodns\.yaml/],
];

for (const [args, names] of BAD_FLAGS) {
  test(`geodns ${args.join(' ')} exits 2 naming the problem`, { skip }, async () => {
    const r = await geodns(args);
    assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, names);
  });
}

const BAD_CONFIGS: Array<[string, string, RegExp]> = [
  ['unknown key', 'lisen: ["127.0.0.1:5300"]\n', /lisen/],
  ['wrong type', 'tcp:\n  idleTimeoutMs: soon\n', /\/tcp\/idleTimeoutMs/],
  ['out of range', 'workers: 1000\n', /\/workers/],
  ['TCP limits out of range', 'tcp:\n  maxConnectionsPerClient: 0\n  maxPendingBytes: 100\n  queryTimeoutMs: 10\n', /^(?=[^]*\/tcp\/maxConnectionsPerClient)(?=[^]*\/tcp\/maxPendingBytes)(?=[^]*\/tcp\/queryTimeoutMs)/],
  ['bad listen entry', 'listen: ["127.0.0.1:5300", "nowhere"]\n', /\/listen\/1/],
  ['not YAML', 'listen: [unclosed\n', /geodns\.yaml/],
  ['not a mapping', '- 1\n- 2\n', /geodns\.yaml|top level|\//],
];

for (const [what, text, names] of BAD_CONFIGS) {
  test(`a config file with ${what} exits 2 naming the key`, { skip }, async () => {
    const t = tempDir('cli');
    try {
      const file = join(t.dir, 'geodns.yaml');
      writeFileSync(file, text);
      const r = await geodns(['--config', file]);
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
      assert.match(r.stderr, names);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'a message, not a stack trace');
    } finally {
      t.remove();
    }
  });
}

test('with no flags at all it serves the example zone on 127.0.0.1:5300', { skip }, async (t) => {
  const free = await portFree(5300);
  if (!free) {
    t.skip('127.0.0.1:5300 is in use on this machine');
    return;
  }
  const proc = startProcess(process.execPath, [GEODNS_MAIN], { env: { ...process.env, LOG_LEVEL: 'info' } });
  try {
    await waitForAnswer({ host: '127.0.0.1', port: 5300 }, 15_000, () => !proc.alive());
    for (const mode of ['+notcp', '+tcp']) {
      const r = await dig({ host: '127.0.0.1', port: 5300 }, ['www.example.com', 'A', mode]);
      assert.deepEqual(r.answer.map((a) => a.data), ['192.0.2.10']);
    }
  } finally {
    await proc.stop();
  }
});

test('flags override the config file', { skip }, async () => {
  const t = tempDir('cli');
  const filePort = await freePort();
  const file = join(t.dir, 'geodns.yaml');
  writeFileSync(file, `listen: ["127.0.0.1:${filePort}"]\nlogQueries: false\n`);
  const g = await startGeodns({ args: ['--config', file, '--log-queries'] });
  try {
    assert.notEqual(g.port, filePort);
    assert.equal(await udpExchange({ host: '127.0.0.1', port: filePort }, buildQuery({ name: 'www.example.com' }), 500), undefined, 'the file address is replaced by --listen');
    const r = await dig(g, ['www.example.com', 'A']);
    assert.equal(r.status, 'NOERROR');
    // --log-queries (true) won over logQueries: false.
    const line = await g.waitForLog((l) => l.qname === 'www.example.com.' && l.rcode === 'NOERROR', 5000);
    assert.equal(line.qtype, 'A');
    assert.equal(line.client, '127.0.0.1');
  } finally {
    await g.stop();
    t.remove();
  }
});

test('per-query logging is off by default', { skip }, async () => {
  const g = await startGeodns();
  try {
    await dig(g, ['www.example.com', 'A']);
    await dig(g, ['nope.example.com', 'A']);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(g.logs().filter((l) => 'qname' in l), [], 'no per-query lines without --log-queries');
  } finally {
    await g.stop();
  }
});

test('--workers 2 starts two serving processes that both answer', { skip }, async () => {
  const g = await startGeodns({ args: ['--workers', '2'], metrics: true });
  try {
    // Both workers log "ready" with their own pid.
    const deadline = Date.now() + 15_000;
    let pids = new Set<unknown>();
    while (pids.size < 2 && Date.now() < deadline) {
      pids = new Set(g.logs().filter((l) => /ready/.test(l.msg)).map((l) => l.pid));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(pids.size, 2, `two workers ready:\n${g.proc.tail()}`);
    assert.ok(!pids.has(g.pid), 'the workers are children, not the primary');
    for (let i = 0; i < 20; i++) {
      const m = parseMessage((await udpExchange(g, buildQuery({ id: i, name: 'www.example.com' })))!);
      assert.equal(m.answer.length, 1);
    }
    const tcp = await dig(g, ['+tcp', 'example.com', 'MX']);
    assert.equal(tcp.answer.length, 2);
    // The primary serves metrics summed over the workers.
    const m = await scrape(g.metricsUrl!);
    assert.ok(sum(m, 'geodns_queries_total') >= 21, `queries of both workers counted: ${sum(m, 'geodns_queries_total')}`);
    assert.equal(sum(m, 'geodns_zones_loaded') >= 3, true);
  } finally {
    await g.stop();
  }
  assert.equal(g.proc.alive(), false);
});

test('listens on IPv6 loopback ([::1]) over UDP and TCP', { skip }, async (t) => {
  let v6port: number;
  try {
    v6port = await freePort('::1');
  } catch {
    t.skip('no IPv6 loopback on this machine');
    return;
  }
  const v4 = { host: '127.0.0.1', port: await freePort() };
  const v6 = { host: '::1', port: v6port };
  const g = await startGeodns({ listen: [v4, v6] });
  try {
    for (const mode of ['+notcp', '+tcp']) {
      const r = await dig(v6, ['www.example.com', 'AAAA', mode]);
      assert.equal(r.status, 'NOERROR', r.text);
      assert.equal(r.answer[0]?.data, '2001:db8::10');
    }
    const r4 = await dig(v4, ['www.example.com', 'A']);
    assert.equal(r4.answer[0]?.data, '192.0.2.10');
  } finally {
    await g.stop();
  }
});
