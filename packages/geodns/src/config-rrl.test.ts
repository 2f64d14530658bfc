// Config keys: rrl.* (response rate limiting) and cookies.* (DNS Cookies).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@geoedge/shared';
import { loadConfig, readCookieSecretFile, rrlOptions } from './config.js';

const refused = (over: Record<string, unknown>, key: RegExp) =>
  assert.throws(() => loadConfig(undefined, over as never), (e: unknown) => e instanceof ConfigError && key.test(e.message), JSON.stringify(over));

test('defaults: RRL off (BIND/Knot figures when on), cookies on with no secret', () => {
  const c = loadConfig(undefined, {});
  assert.equal(c.rrl.enabled, false);
  assert.deepEqual(rrlOptions(c.rrl), {
    rates: { answer: 20, nodata: 20, nxdomain: 20, referral: 20, error: 20 },
    slip: 2, window: 15, ipv4PrefixLength: 24, ipv6PrefixLength: 56, exempt: [], logOnly: false, tableSize: 262_144,
  });
  assert.deepEqual(c.cookies, { enabled: true });
  const r = rrlOptions(loadConfig(undefined, { rrl: { enabled: true, responsesPerSecond: 5, nxdomainsPerSecond: 2, errorsPerSecond: 0, exempt: ['10.0.0.0/8'] } } as never).rrl);
  assert.deepEqual(r.rates, { answer: 5, nodata: 5, nxdomain: 2, referral: 5, error: 0 });
  assert.deepEqual(r.exempt, [{ v6: false, bytes: new Uint8Array([10, 0, 0, 0]), prefix: 8 }]);
});

test('bad rrl and cookies values are config errors naming the key', () => {
  refused({ rrl: { responsesPerSecond: -1 } }, /\/rrl\/responsesPerSecond/);
  refused({ rrl: { slip: 'often' } }, /\/rrl\/slip/);
  refused({ rrl: { window: 0 } }, /\/rrl\/window/);
  refused({ rrl: { ipv4PrefixLength: 33 } }, /\/rrl\/ipv4PrefixLength/);
  refused({ rrl: { ipv6PrefixLength: 8 } }, /\/rrl\/ipv6PrefixLength/);
  refused({ rrl: { exempt: ['192.0.2.0/24', 'localhost'] } }, /\/rrl\/exempt\/1: "localhost" is not an IPv4 or IPv6 address/);
  refused({ rrl: { exempt: ['192.0.2.0/40'] } }, /\/rrl\/exempt\/0: prefix length "40"/);
  refused({ rrl: { rate: 5 } }, /\/rrl.*rate|rate/);
  refused({ rrl: { tableSize: 10 } }, /\/rrl\/tableSize/);
  refused({ cookies: { secret: 'CHANGE-ME' } }, /\/cookies\/secret/);
  refused({ cookies: { secret: '00'.repeat(15) } }, /\/cookies\/secret/);
  refused({ cookies: { previousSecret: '00'.repeat(16) } }, /\/cookies\/previousSecret: needs \/cookies\/secret/);
  refused({ cookies: { secret: '00'.repeat(16), secretFile: '/x' } }, /\/cookies\/secretFile: give the secret either/);
});

test('the cookie secret file: current, then previous; anything else names the key and the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodns-cookie-'));
  try {
    const f = join(dir, 'secret');
    writeFileSync(f, '# rotated 2026-12-07\n445536bcd2513298075a5d379663c962\ndd3bdf9344b678b185a6f5cb60fca715\n');
    const s = readCookieSecretFile(f);
    assert.equal(s.secret.toString('hex'), '445536bcd2513298075a5d379663c962');
    assert.equal(s.previous?.toString('hex'), 'dd3bdf9344b678b185a6f5cb60fca715');
    writeFileSync(f, '445536bcd2513298075a5d379663c962\n');
    assert.equal(readCookieSecretFile(f).previous, undefined);
    for (const bad of ['', 'CHANGE-ME\n', `${'a'.repeat(32)}\n${'b'.repeat(32)}\n${'c'.repeat(32)}\n`]) {
      writeFileSync(f, bad);
      assert.throws(() => readCookieSecretFile(f), (e: unknown) => e instanceof ConfigError && /\/cookies\/secretFile: .*one or two lines of 32 hex digits/.test(e.message));
    }
    assert.throws(() => readCookieSecretFile(join(dir, 'missing')), (e: unknown) => e instanceof ConfigError && /\/cookies\/secretFile: cannot read/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
