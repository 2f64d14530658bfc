// lego (Debian's lego 4.9, `--dns pdns`) gets certificates from Debian's pebble
// ACME test server for a zone of each kind, Native and Master, through geoctl's
// PowerDNS API. pebble validates the DNS-01 challenge for real (no
// PEBBLE_VA_ALWAYS_VALID): its VA asks geodns (`-dnsserver`) for
// _acme-challenge.<name> TXT, which geodns serves from the row lego wrote through
// geoctl. lego sends `PUT …/notify` with Content-Type: application/json and an
// empty body after every change, which geoctl must answer 200 as PowerDNS does.
// lego's own propagation check asks geodns too (`--dns.resolvers`); its
// "all authoritative servers" step is off (`--dns.disable-cp`), since it would ask
// the zone's NS names on port 53. Without that step lego does not wait for the
// record to be served, and geodns picks a database change up within about a
// second, so pebble asks through `propagationWait`: a loopback UDP relay to geodns
// that holds an empty answer for an _acme-challenge name and asks again for up to
// 10 s, as a real CA's retries and a real propagation wait would cover. The answer
// pebble gets is always geodns's own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { freePort, startProcess, tempDir, type Proc } from './helpers/index.js';
import { startStack, run, type Stack } from './clients-harness.js';

const KEY = 'lego-client-test-key-5d1';
let stack: Stack;
let pebble: Proc;
let tmp: { dir: string; remove: () => void };
let acme = '';
let relay: Socket;

/** UDP relay to `target`: answers without records for _acme-challenge names are retried for up to 10 s. */
async function propagationWait(target: number): Promise<Socket> {
  const sock = createSocket('udp4');
  const ask = (query: Buffer) => new Promise<Buffer | undefined>((resolve) => {
    const up = createSocket('udp4');
    const timer = setTimeout(() => { up.close(); resolve(undefined); }, 2000);
    up.once('message', (m) => { clearTimeout(timer); up.close(); resolve(m); });
    up.send(query, target, '127.0.0.1');
  });
  sock.on('message', (query, from) => {
    void (async () => {
      const challenge = query.includes(Buffer.from('_acme-challenge'));
      const until = Date.now() + 10_000;
      let reply = await ask(query);
      while (challenge && Date.now() < until && (!reply || reply.readUInt16BE(6) === 0)) {
        await new Promise((r) => setTimeout(r, 200));
        reply = await ask(query);
      }
      if (reply) sock.send(reply, from.port, from.address);
    })();
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return sock;
}

before(async () => {
  stack = await startStack('lego', KEY);
  tmp = tempDir('lego');
  const cert = join(tmp.dir, 'pebble.pem');
  const key = join(tmp.dir, 'pebble.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const [port, mgmt, http, tls] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config = join(tmp.dir, 'pebble.json');
  writeFileSync(config, JSON.stringify({ pebble: {
    listenAddress: `127.0.0.1:${port}`, managementListenAddress: `127.0.0.1:${mgmt}`, certificate: cert, privateKey: key,
    httpPort: http, tlsPort: tls, ocspResponderURL: '', externalAccountBindingRequired: false,
  } }));
  const env: NodeJS.ProcessEnv = { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' };
  delete env.PEBBLE_VA_ALWAYS_VALID;
  relay = await propagationWait(stack.geodns.port);
  pebble = startProcess('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${relay.address().port}`], { env });
  await pebble.waitForLine(/Listening on/, 20_000);
  acme = `https://127.0.0.1:${port}/dir`;
});
after(async () => {
  await pebble?.stop();
  relay?.close();
  await stack?.close();
  tmp?.remove();
});

async function certificateFor(zone: string, kind: 'Native' | 'Master'): Promise<void> {
  const created = await stack.api('POST', '/zones', { name: `${zone}.`, kind, nameservers: [`ns1.${zone}.`] });
  assert.equal(created.status, 201, created.text);
  await stack.served(zone);
  const name = `www.${zone}`;
  const path = join(tmp.dir, zone);
  const r = await run('lego', [
    '--server', acme, '--accept-tos', '--email', `admin@${zone}`, '--key-type', 'ec256', '--path', path,
    '--dns', 'pdns', '--dns.resolvers', `127.0.0.1:${stack.geodns.port}`, '--dns.disable-cp', '--domains', name, 'run',
  ], {
    env: {
      ...process.env, PDNS_API_URL: stack.base, PDNS_API_KEY: KEY, PDNS_PROPAGATION_TIMEOUT: '60', PDNS_POLLING_INTERVAL: '1', PDNS_TTL: '60',
      LEGO_CA_CERTIFICATES: join(tmp.dir, 'pebble.pem'),
    },
    timeoutMs: 150_000,
  });
  assert.equal(r.code, 0, `lego for ${name} (${kind})\n${r.out}\n${stack.logs()}\n--- pebble\n${pebble.tail(30)}`);
  const crt = join(path, 'certificates', `${name}.crt`);
  assert.ok(existsSync(crt), `no certificate at ${crt}\n${r.out}`);
  const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], { input: readFileSync(crt) }).toString();
  assert.match(text, new RegExp(`DNS:${name.replace(/\./g, '\\.')}`));
  // pebble's VA asked geodns for the challenge (the real DNS-01 check), and lego notified geoctl.
  const asked = stack.geodns.logs().filter((l) => String(l.qname ?? '').toLowerCase() === `_acme-challenge.${name}.` && l.qtype === 'TXT');
  assert.ok(asked.some((l) => l.rcode === 'NOERROR'), `geodns answered the challenge\n${JSON.stringify(asked)}`);
  const lines = stack.geoctl.stdout.map((l) => { try { return JSON.parse(l) as { reqId?: string; req?: { method: string; url: string }; res?: { statusCode: number } }; } catch { return {}; } });
  const notifies = lines.filter((l) => l.req?.method === 'PUT' && l.req.url.endsWith(`/zones/${zone}./notify`)).map((l) => l.reqId);
  assert.ok(notifies.length > 0, 'lego sent notify');
  for (const id of notifies) assert.equal(lines.find((l) => l.reqId === id && l.res)?.res?.statusCode, 200, 'notify answered 200');
  // lego cleaned up: the challenge RRset is gone again, and the zone was notified.
  const z = JSON.parse((await stack.api('GET', `/zones/${zone}.`)).text) as { rrsets: Array<{ name: string }>; notified_serial: number; serial: number };
  assert.deepEqual(z.rrsets.filter((s) => s.name.startsWith('_acme-challenge')), []);
  assert.ok(z.notified_serial > 0, 'notified_serial recorded');
}

test('lego gets a certificate for a name in a Native zone', { timeout: 180_000 }, async () => {
  await certificateFor('native.test', 'Native');
});

test('lego gets a certificate for a name in a Master zone', { timeout: 180_000 }, async () => {
  await certificateFor('master.test', 'Master');
});
