// The shell entry points refuse bad input with a clear message and a non-zero
// exit, before touching any server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { runProgram, freeTcpPort, REPO_ROOT } from '@geoedge/zonedb/testing';

const INSTANCE = join(REPO_ROOT, 'scripts/mariadb/instance.sh');
const SETUP = join(REPO_ROOT, 'deploy/mariadb/setup-replication.sh');

test('instance.sh: bad arguments are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'geoedge-inst-bad-'));
  try {
    const cases: Array<[string[], RegExp]> = [
      [[], /usage/],
      [['start', dir], /usage/],
      [['start', dir, 'notaport', '1'], /port must be a number/],
      [['start', dir, '3306', 'x; rm -rf /'], /server-id must be a number/],
      [['start', dir, '3306', '1', '/no/such.cnf'], /no such config file/],
      [['frobnicate', dir], /unknown command/],
    ];
    for (const [args, msg] of cases) {
      const r = await runProgram(INSTANCE, args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, msg, args.join(' '));
    }
    const status = await runProgram(INSTANCE, ['status', dir]);
    assert.notEqual(status.code, 0, 'nothing runs there');
    const stop = await runProgram(INSTANCE, ['stop', dir]);
    assert.equal(stop.code, 0, 'stopping what is not running is fine');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('setup-replication.sh: missing or bad options, no password, unreachable servers', async () => {
  const closed = await freeTcpPort();
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [[], { REPL_PASSWORD: 'x' }, /--primary HOST:PORT and --replica HOST:PORT are required/],
    [['--primary', '127.0.0.1:1', '--replica', '127.0.0.1:2', '--bogus', '1'], { REPL_PASSWORD: 'x' }, /unknown option --bogus/],
    [['--primary', '127.0.0.1:1', '--replica', '127.0.0.1:2'], { REPL_PASSWORD: '' }, /set REPL_PASSWORD/],
    [['--primary', '127.0.0.1', '--replica', '127.0.0.1:2'], { REPL_PASSWORD: 'x' }, /no port in 127\.0\.0\.1/],
    [['--primary', `127.0.0.1:${closed}`, '--replica', `127.0.0.1:${closed}`], { REPL_PASSWORD: 'Hidden-Pw-9' }, /Can't connect|ERROR/],
  ];
  for (const [args, env, msg] of cases) {
    const r = await runProgram(SETUP, args, env, 20_000);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, msg, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, /Hidden-Pw-9/);
  }
});
