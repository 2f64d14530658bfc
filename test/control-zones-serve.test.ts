// geoctl serve as a process with --db, and geodns --db on the same database:
// a zone created and changed through the PowerDNS-compatible API is answered
// by geodns (dig), including a LUA record once ENABLE-LUA-RECORDS is set, and
// a deleted RRset disappears. The API key never shows in geoctl's logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, waitFor, type ScratchDb } from '@geoedge/zonedb/testing';
import { dig, freePort, startGeodns, startProcess, REPO_ROOT, type Geodns, type Proc } from './helpers/index.js';

const GEOCTL = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');
const KEY = 'serve-zones-key-7c1e0b';
let s: ScratchDb;
let geoctl: Proc;
let geodns: Geodns;
let base = '';

before(async () => {
  s = await scratchDatabase('serve');
  assert.ok((await migrate(s.db)).ok);
  const port = await freePort();
  geoctl = startProcess(process.execPath, [GEOCTL, 'serve', '--listen', `127.0.0.1:${port}`, '--db', s.url, '--api-key', KEY], {
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  await geoctl.waitForLine(/Server listening/, 15_000);
  base = `http://127.0.0.1:${port}`;
  geodns = await startGeodns({ args: ['--db', s.url] });
});
after(async () => {
  await geodns?.stop();
  await geoctl?.stop();
  await s?.drop();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(`${base}/api/v1/servers/localhost${path}`, {
    method, headers: { 'X-API-Key': KEY, ...(body ? { 'Content-Type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, text: await r.text() };
}

const answers = async (name: string, type: string) => (await dig(geodns, [name, type])).answer.map((a) => a.data).sort();

test('a zone written through geoctl is served by geodns; changes and deletions follow', async () => {
  const created = await api('POST', '/zones', { name: 'serve.test.', kind: 'Native', nameservers: ['ns1.serve.test.'] });
  assert.equal(created.status, 201, created.text);
  const patched = await api('PATCH', '/zones/serve.test.', { rrsets: [
    { name: 'www.serve.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: '192.0.2.77', disabled: false }] },
    { name: 'serve.test.', type: 'MX', ttl: 60, changetype: 'REPLACE', records: [{ content: '10 mail.serve.test.', disabled: false }] },
    { name: 'geo.serve.test.', type: 'LUA', ttl: 60, changetype: 'REPLACE', records: [{ content: `A "'192.0.2.88'"`, disabled: false }] },
  ] });
  assert.equal(patched.status, 204, patched.text);
  assert.deepEqual(await waitFor('www A from geodns', async () => {
    const a = await answers('www.serve.test', 'A');
    return a.length ? a : undefined;
  }), ['192.0.2.77']);
  assert.deepEqual(await answers('serve.test', 'MX'), ['10 mail.serve.test.']);
  assert.equal((await api('PUT', '/zones/serve.test./metadata/ENABLE-LUA-RECORDS', { metadata: ['1'] })).status, 200);
  assert.deepEqual(await waitFor('LUA answer', async () => {
    const a = await answers('geo.serve.test', 'A');
    return a.length ? a : undefined;
  }), ['192.0.2.88']);
  assert.equal((await api('PATCH', '/zones/serve.test.', { rrsets: [{ name: 'www.serve.test.', type: 'A', changetype: 'DELETE' }] })).status, 204);
  await waitFor('www gone', async () => ((await dig(geodns, ['www.serve.test', 'A'])).status === 'NXDOMAIN' ? true : undefined));
  const soa = (await dig(geodns, ['serve.test', 'SOA'])).answer[0]?.data ?? '';
  const zone = JSON.parse((await api('GET', '/zones/serve.test.?rrsets=false')).text) as { serial: number };
  assert.equal(soa.split(' ')[2], String(zone.serial), 'geodns serves the serial the API bumped');
  assert.ok(!geoctl.stdout.concat(geoctl.stderr).some((l) => l.includes(KEY)), 'the API key is never logged');
});
