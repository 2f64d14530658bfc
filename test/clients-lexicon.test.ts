// lexicon (Debian's lexicon 3.11, provider powerdns) against geoctl: create, list,
// update and delete records in a Master zone (lexicon then sends
// `PUT …/zones/<name>/notify` with a `{}` body) and a Native zone; each change is
// checked over DNS against geodns reading the same database. Zones sit below
// example.com because lexicon splits names with the public suffix list (.test is
// not on it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@geoedge/zonedb/testing';
import { dig } from './helpers/index.js';
import { startStack, run, type Stack } from './clients-harness.js';

const KEY = 'lexicon-client-test-key-9b2';
let stack: Stack;
before(async () => { stack = await startStack('lexicon', KEY); });
after(async () => { await stack?.close(); });

async function lexicon(action: string, zone: string, type: string, ...opts: string[]) {
  // lexicon finds the zone with the public suffix list (example.com), then --delegated names the zone below it.
  const r = await run('lexicon', ['--delegated', zone, 'powerdns', action, zone, type, '--auth-token', KEY, '--pdns-server', stack.base, '--output', 'JSON', ...opts], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `lexicon ${action} ${zone} ${type} ${opts.join(' ')}\n${r.out}\n${stack.logs()}`);
  return r.out;
}

/** What geodns answers, once it equals `want` (geodns polls the database). */
async function served(name: string, type: string, want: string[]): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor(`${name} ${type}`, async () => {
      last = (await dig(stack.geodns, [name, type])).answer.filter((a) => a.type === type).map((a) => a.data).sort();
      return JSON.stringify(last) === JSON.stringify([...want].sort()) ? true : undefined;
    }, 10_000);
  } catch {
    assert.deepEqual(last, [...want].sort(), `geodns for ${name} ${type}`);
  }
}

for (const kind of ['Master', 'Native'] as const) {
  test(`lexicon create, list, update, delete in a ${kind} zone`, { timeout: 120_000 }, async () => {
    const zone = `lex-${kind.toLowerCase()}.example.com`;
    const created = await stack.api('POST', '/zones', { name: `${zone}.`, kind, nameservers: [`ns1.${zone}.`] });
    assert.equal(created.status, 201, created.text);
    await lexicon('create', zone, 'A', '--name', 'www', '--content', '192.0.2.10');
    await lexicon('create', zone, 'A', '--name', 'www', '--content', '192.0.2.11');
    await lexicon('create', zone, 'TXT', '--name', '_acme-challenge', '--content', 'token-one');
    await lexicon('create', zone, 'CNAME', '--name', 'docs', '--content', `www.${zone}`);
    await served(`www.${zone}`, 'A', ['192.0.2.10', '192.0.2.11']);
    await served(`_acme-challenge.${zone}`, 'TXT', ['"token-one"']);

    const listed = JSON.parse(await lexicon('list', zone, 'A')) as Array<{ name: string; content: string; id: string }>;
    assert.deepEqual(listed.map((r) => `${r.name} ${r.content}`).sort(), [`www.${zone} 192.0.2.10`, `www.${zone} 192.0.2.11`]);
    const txt = JSON.parse(await lexicon('list', zone, 'TXT', '--name', '_acme-challenge')) as Array<{ content: string; id: string }>;
    assert.deepEqual(txt.map((r) => r.content), ['token-one']);

    await lexicon('update', zone, 'TXT', '--identifier', txt[0]!.id, '--name', '_acme-challenge', '--content', 'token-two');
    await served(`_acme-challenge.${zone}`, 'TXT', ['"token-two"']);
    await lexicon('delete', zone, 'A', '--name', 'www', '--content', '192.0.2.10');
    await served(`www.${zone}`, 'A', ['192.0.2.11']);
    await lexicon('delete', zone, 'TXT', '--name', '_acme-challenge');
    await waitFor('TXT gone', async () => ((await dig(stack.geodns, [`_acme-challenge.${zone}`, 'TXT'])).status === 'NXDOMAIN' ? true : undefined));
    await served(`docs.${zone}`, 'CNAME', [`www.${zone}.`]);
    const z = JSON.parse((await stack.api('GET', `/zones/${zone}.`)).text) as { notified_serial: number; serial: number };
    if (kind === 'Master') assert.equal(z.notified_serial, z.serial, 'lexicon notified after its last change');
    else assert.equal(z.notified_serial, 0, 'lexicon notifies Master zones only');
  });
}
