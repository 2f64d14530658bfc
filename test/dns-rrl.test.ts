// Response rate limiting and DNS Cookies, against the real program on both UDP
// paths (batched recvmmsg and node:dgram): a flood of ~20,000 queries/s for
// one name from 50 loopback addresses in five /24s (127.x needs no set-up on
// Linux) gets at most the configured rate of answers per /24 and second, plus
// TC=1 slips; a client with a good server cookie inside a flooded /24 is
// answered every time; real dig and kdig learn our cookies and are accepted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GEODNS_MAIN, buildQuery, parseMessage, run, scrape, sum, startGeodns, tempDir, type Geodns } from './helpers/index.js';

const RATE = 20;
const FLOOD_QPS = 20_000;
const FLOOD_MS = 3000;
const PREFIXES = [1, 2, 3, 4, 5].map((n) => `127.0.${n}`);
const HOSTS = PREFIXES.flatMap((p) => Array.from({ length: 10 }, (_, i) => `${p}.${i + 10}`));
const COOKIE = 10;

let tmp: { dir: string; remove: () => void };
const servers: Record<'batched' | 'dgram' | 'workers', Geodns | undefined> = { batched: undefined, dgram: undefined, workers: undefined };

before(async () => {
  tmp = tempDir('geodns-rrl-');
  for (const kind of ['batched', 'dgram', 'workers'] as const) {
    const cfg = join(tmp.dir, `${kind}.yaml`);
    writeFileSync(cfg, [
      `udpBatch: ${kind !== 'dgram'}`,
      `workers: ${kind === 'workers' ? 2 : 1}`,
      `rrl: { enabled: true, responsesPerSecond: ${RATE}, slip: 2, window: 15 }`,
      'cookies: { secret: 000102030405060708090a0b0c0d0e0f }',
      '',
    ].join('\n'));
    servers[kind] = await startGeodns({ args: ['--config', cfg], metrics: true });
  }
});
after(async () => {
  await servers.batched?.stop();
  await servers.dgram?.stop();
  await servers.workers?.stop();
  tmp?.remove();
});

function bound(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, address, () => { s.off('error', reject); resolve(s); });
  });
}

/** One query from `sock` and its reply (undefined after timeoutMs). */
function exchange(sock: Socket, srv: Geodns, q: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const done = (v: Buffer | undefined) => { clearTimeout(t); sock.off('message', onMsg); resolve(v); };
    const onMsg = (m: Buffer) => { if (m.readUInt16BE(0) === q.readUInt16BE(0)) done(m); };
    const t = setTimeout(() => done(undefined), timeoutMs);
    sock.on('message', onMsg);
    sock.send(q, srv.port, srv.host);
  });
}

function cookieQuery(id: number, cookie: Buffer): Buffer {
  return buildQuery({ id, name: 'www.example.com', type: 'A', edns: { options: [{ code: COOKIE, data: cookie }] } });
}

function replyCookie(m: Buffer): Buffer | undefined {
  return parseMessage(m).opt?.options.find((o) => o.code === COOKIE)?.data;
}

interface Tally { answers: number[][]; slips: number[][]; other: number; sent: number }

/** Floods www.example.com A from HOSTS at FLOOD_QPS for FLOOD_MS; counts what comes back per /24 and second. */
async function flood(srv: Geodns, during: () => Promise<void>): Promise<Tally> {
  const socks = await Promise.all(HOSTS.map(bound));
  const seconds = Math.ceil(FLOOD_MS / 1000) + 1;
  const tally: Tally = { answers: PREFIXES.map(() => new Array(seconds).fill(0)), slips: PREFIXES.map(() => new Array(seconds).fill(0)), other: 0, sent: 0 };
  let start = Infinity;
  socks.forEach((s, i) => s.on('message', (m) => {
    const sec = Math.max(0, Math.min(seconds - 1, Math.floor((Date.now() - start) / 1000)));
    const p = Math.floor(i / 10);
    const tc = (m[2]! & 0x02) !== 0, an = m.readUInt16BE(6), rcode = m[3]! & 0xf;
    if (tc && an === 0) tally.slips[p]![sec]!++;
    else if (!tc && an === 1 && rcode === 0) tally.answers[p]![sec]!++;
    else tally.other++;
  }));
  const q = buildQuery({ id: 7, name: 'www.example.com', type: 'A', edns: {} });
  // geodns counts whole wall-clock seconds, and so does this tally: starting 200 ms into a second
  // keeps the first second's burst of answers away from a boundary (where a reply in flight would
  // be counted in the next second).
  await new Promise((r) => setTimeout(r, 1200 - (Date.now() % 1000)));
  start = Date.now() - 200;
  const sender = new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = Date.now() - start - 200;
      if (elapsed >= FLOOD_MS) { resolve(); return; }
      const due = Math.floor((elapsed * FLOOD_QPS) / 1000);
      // Capped per tick, so a stalled timer does not turn into one giant burst.
      for (let n = 0; tally.sent < due && n < 2000; n++, tally.sent++) socks[tally.sent % socks.length]!.send(q, srv.port, srv.host);
      setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all([sender, during()]);
  await new Promise((r) => setTimeout(r, 500));
  for (const s of socks) s.close();
  return tally;
}

// `workers` is two processes with the batched path: each allows ceil(20 / 2), and the kernel spreads
// the flood's 50 sockets over both (SO_REUSEPORT), so the total per /24 still stays within 20.
for (const kind of ['batched', 'dgram', 'workers'] as const) {
  test(`${kind} UDP: a flood from five /24s gets at most ${RATE} answers per /24 and second plus TC=1 slips; a client with a good cookie is answered every time`, async () => {
    const srv = servers[kind]!;
    // A well-behaved client inside the first flooded /24 learns its server cookie before the flood.
    const good = await bound('127.0.1.200');
    const first = await exchange(good, srv, cookieQuery(1, Buffer.from('0123456789abcdef', 'hex')));
    assert.ok(first, 'cookie client answered before the flood');
    const cookie = replyCookie(first)!;
    assert.equal(cookie?.length, 24, 'client + server cookie');
    const cookieResults: string[] = [];
    let retries = 0;
    const tally = await flood(srv, async () => {
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 40; i++) {
        // Like a real client, it asks again after a timeout: 20,000 packets/s on a shared 2-core
        // machine can overflow a socket buffer. A refusal by the limiter would be a TC=1 or
        // BADCOOKIE reply, or silence every time (the query is the same).
        let r: Buffer | undefined;
        for (let t = 0; t < 3 && !r; t++) { if (t > 0) retries++; r = await exchange(good, srv, cookieQuery(100 + i, cookie), 1000); }
        cookieResults.push(!r ? 'lost' : r[2]! & 0x02 ? 'tc' : r.readUInt16BE(6) === 1 ? 'answer' : `rcode ${r[3]! & 0xf}`);
        await new Promise((res) => setTimeout(res, 40));
      }
    });
    good.close();
    const rate = tally.sent / (FLOOD_MS / 1000);
    const detail = JSON.stringify({ sent: tally.sent, answers: tally.answers, slips: tally.slips, other: tally.other });
    // The load is real: each /24 sent far above the limit (a loaded machine may not reach the full 20,000/s).
    assert.ok(rate >= 4000, `flood reached only ${Math.round(rate)} queries/s: ${detail}`);
    for (let p = 0; p < PREFIXES.length; p++) {
      for (const [sec, n] of tally.answers[p]!.entries()) assert.ok(n <= RATE, `${PREFIXES[p]}.0/24 got ${n} answers in second ${sec} (limit ${RATE}): ${detail}`);
      const answered = tally.answers[p]!.reduce((a, b) => a + b, 0);
      const slipped = tally.slips[p]!.reduce((a, b) => a + b, 0);
      assert.ok(answered >= 1, `${PREFIXES[p]}.0/24 got no answer at all: ${detail}`);
      // slip 2: the first refusal and every second one is sent truncated, so a real client can retry over TCP.
      // `refused` counts what was sent, and a loaded machine's socket buffer drops some queries before
      // the server sees them (0.2 of sent arrived as slips in a run at load 13), hence the low floor.
      const refused = tally.sent / PREFIXES.length - answered;
      assert.ok(slipped > refused * 0.1 && slipped <= refused / 2 + 5, `${PREFIXES[p]}.0/24: ${slipped} slips of ~${Math.round(refused)} refused: ${detail}`);
    }
    assert.equal(tally.other, 0, detail);
    assert.deepEqual(cookieResults, new Array(40).fill('answer'), `the cookie client in 127.0.1.0/24: ${cookieResults.join(',')}`);
    assert.ok(retries <= 4, `the cookie client needed ${retries} retries`);
    const m = await scrape(srv.metricsUrl!);
    assert.ok(sum(m, 'geodns_rrl_limited_total', { kind: 'answer', action: 'dropped' }) > 0);
    assert.ok(sum(m, 'geodns_rrl_limited_total', { kind: 'answer', action: 'slipped' }) > 0);
    assert.ok(sum(m, 'geodns_cookies_total', { result: 'good' }) >= 40);
    assert.ok(srv.logs().some((l) => l.msg === 'rrl: limiting responses' && l.client === '127.0.1.0/24' && l.kind === 'answer'));
  });
}

test('kdig +cookie gets a server cookie, and a second query with it is accepted', async () => {
  const srv = servers.batched!;
  const before = sum(await scrape(srv.metricsUrl!), 'geodns_cookies_total', { result: 'good' });
  const k1 = await run('kdig', [`@${srv.host}`, '-p', String(srv.port), '-b', '127.0.9.1', '+cookie', 'www.example.com', 'A']);
  const got = /;; COOKIE: ([0-9A-F]{48})\b/.exec(k1.stdout)?.[1];
  assert.ok(got, `kdig shows a client + server cookie:\n${k1.stdout}${k1.stderr}`);
  assert.doesNotMatch(k1.stdout + k1.stderr, /bad cookie|WARNING/i);
  const k2 = await run('kdig', [`@${srv.host}`, '-p', String(srv.port), '-b', '127.0.9.1', `+cookie=${got}`, 'www.example.com', 'A']);
  assert.match(k2.stdout, /status: NOERROR/);
  assert.match(k2.stdout, new RegExp(`;; COOKIE: ${got}`), 'a fresh server cookie is echoed as received');
  assert.doesNotMatch(k2.stdout + k2.stderr, /bad cookie|WARNING/i);
  const after = sum(await scrape(srv.metricsUrl!), 'geodns_cookies_total', { result: 'good' });
  assert.equal(after - before, 1, 'the second query was counted as a good server cookie');
  // From another address the same cookie is not ours: answered (RFC 7873 §5.2.3), with a new one.
  const k3 = await run('kdig', [`@${srv.host}`, '-p', String(srv.port), '-b', '127.0.9.2', `+cookie=${got}`, 'www.example.com', 'A']);
  assert.match(k3.stdout, /status: NOERROR/);
  assert.doesNotMatch(k3.stdout, new RegExp(`;; COOKIE: ${got}`));
});

test('BIND dig +cookie accepts our cookies (and retries a BADCOOKIE slip with them)', async () => {
  const srv = servers.dgram!;
  const d1 = await run('dig', [`@${srv.host}`, '-p', String(srv.port), '-b', '127.0.9.3', '+cookie', '+tries=1', 'www.example.com', 'A']);
  const got = /; COOKIE: ([0-9a-f]{48}) \(good\)/.exec(d1.stdout)?.[1];
  assert.ok(got, `dig calls our cookie good:\n${d1.stdout}`);
  const d2 = await run('dig', [`@${srv.host}`, '-p', String(srv.port), '-b', '127.0.9.3', `+cookie=${got}`, '+tries=1', 'www.example.com', 'A']);
  assert.match(d2.stdout, /status: NOERROR/);
  assert.match(d2.stdout, /; COOKIE: [0-9a-f]{48} \(good\)/);
  // Exhaust 127.0.8.0/24's account without cookies, then dig with a fresh client cookie: it is
  // refused (dropped, or slipped as BADCOOKIE with a server cookie, which dig retries with).
  const s = await bound('127.0.8.1');
  const q = buildQuery({ id: 3, name: 'www.example.com', type: 'A' });
  for (let i = 0; i < 200; i++) s.send(q, srv.port, srv.host);
  await new Promise((r) => setTimeout(r, 200));
  s.close();
  let answered = 0;
  for (let i = 0; i < 4; i++) {
    const d = await run('dig', [`@${srv.host}`, '-p', String(srv.port), '-b', '127.0.8.2', '+cookie', '+tries=1', '+time=1', 'www.example.com', 'A']);
    if (/status: NOERROR/.test(d.stdout) && /ANSWER: 1/.test(d.stdout)) answered++;
  }
  assert.ok(answered >= 1, 'dig got through a limited /24 by retrying BADCOOKIE with the server cookie');
  const m = await scrape(srv.metricsUrl!);
  assert.ok(sum(m, 'geodns_rrl_limited_total', { kind: 'answer', action: 'badcookie' }) >= 1);
});

test('a malformed COOKIE option gets FORMERR (RFC 7873 §5.2.2)', async () => {
  const srv = servers.batched!;
  const s = await bound('127.0.9.9');
  const r = await exchange(s, srv, buildQuery({ id: 9, name: 'www.example.com', type: 'A', edns: { options: [{ code: COOKIE, data: Buffer.alloc(12) }] } }));
  s.close();
  assert.ok(r);
  assert.equal(parseMessage(r).rcode, 1);
});

test('cookie secret rotation: after SIGHUP a cookie of the previous secret is still good and renewed; once the previous line goes, it is not', async () => {
  const dir = tempDir('geodns-cookie-rotate-');
  const secretFile = join(dir.dir, 'cookie-secret');
  const oldSecret = 'dd3bdf9344b678b185a6f5cb60fca715', newSecret = '445536bcd2513298075a5d379663c962';
  writeFileSync(secretFile, `${oldSecret}\n`);
  const cfg = join(dir.dir, 'geodns.yaml');
  writeFileSync(cfg, `cookies: { secretFile: ${secretFile} }\n`);
  const srv = await startGeodns({ args: ['--config', cfg], metrics: true });
  const s = await bound('127.0.9.20');
  try {
    const learn = await exchange(s, srv, cookieQuery(1, Buffer.from('1111111111111111', 'hex')));
    const cookie = replyCookie(learn!)!;
    const good = async () => sum(await scrape(srv.metricsUrl!), 'geodns_cookies_total', { result: 'good' });
    const hup = async (text: string) => {
      writeFileSync(secretFile, text);
      const n = srv.logs().length;
      process.kill(srv.pid, 'SIGHUP');
      await srv.waitForLog((l) => /cookie secrets/.test(l.msg) && srv.logs().length > n);
    };
    await hup(`${newSecret}\n${oldSecret}\n`);
    const g0 = await good();
    const renewed = replyCookie((await exchange(s, srv, cookieQuery(2, cookie)))!)!;
    assert.equal(await good(), g0 + 1, 'the old cookie is good under the previous secret');
    assert.notDeepEqual(renewed, cookie, 'and renewed under the new one');
    assert.deepEqual(renewed.subarray(0, 8), cookie.subarray(0, 8));
    await hup(`${newSecret}\n`);
    await exchange(s, srv, cookieQuery(3, cookie));
    assert.equal(await good(), g0 + 1, 'without the previous secret the old cookie is not good');
    await exchange(s, srv, cookieQuery(4, renewed));
    assert.equal(await good(), g0 + 2, 'the renewed one is');
    // A broken file on reload keeps the secrets in use.
    await hup('CHANGE-ME\n');
    assert.ok(srv.logs().some((l) => l.msg === 'cookie secrets not reloaded; keeping the ones in use'));
    await exchange(s, srv, cookieQuery(5, renewed));
    assert.equal(await good(), g0 + 3);
  } finally {
    s.close();
    await srv.stop();
    dir.remove();
  }
});

test('a missing cookie secret file stops the start with an error naming the key', async () => {
  const dir = tempDir('geodns-cookie-missing-');
  try {
    const cfg = join(dir.dir, 'geodns.yaml');
    writeFileSync(cfg, `cookies: { secretFile: ${join(dir.dir, 'nope')} }\n`);
    const r = await run(process.execPath, [GEODNS_MAIN, '--config', cfg, '--listen', '127.0.0.1:0'], { timeoutMs: 20_000 });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /\/cookies\/secretFile: cannot read/);
  } finally {
    dir.remove();
  }
});

test('random names under one wildcard share one account (BIND, Knot): at most the rate per /24 and second, on the resolved and the cached path; another name from the same /24 keeps its own account', async () => {
  const srv = servers.batched!;
  // 127.0.6.0/24: a prefix no other test floods. 600 names, each asked three times (the
  // third ask of a name is answered from the static answer cache).
  const socks = await Promise.all(Array.from({ length: 10 }, (_, i) => bound(`127.0.6.${i + 10}`)));
  const names = Array.from({ length: 600 }, (_, i) => `r${i}-${Math.random().toString(36).slice(2, 8)}.wild.example.com`);
  const seconds = 4;
  const answers = new Array(seconds).fill(0);
  let slips = 0, other = 0, sent = 0;
  let start = Infinity;
  for (const s of socks) s.on('message', (m) => {
    const sec = Math.max(0, Math.min(seconds - 1, Math.floor((Date.now() - start) / 1000)));
    const tc = (m[2]! & 0x02) !== 0, an = m.readUInt16BE(6), rcode = m[3]! & 0xf;
    if (tc && an === 0) slips++;
    else if (!tc && an === 1 && rcode === 0) answers[sec]++;
    else other++;
  });
  await new Promise((r) => setTimeout(r, 1200 - (Date.now() % 1000)));
  start = Date.now() - 200;
  // 1,800 queries over ~1.5 s, 60 every 50 ms: far above 20 a second, well within a socket buffer.
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < names.length; i += 40) {
      for (const name of names.slice(i, i + 40)) {
        const q = buildQuery({ id: sent & 0xffff, name, type: 'A', edns: {} });
        socks[sent++ % socks.length]!.send(q, srv.port, srv.host);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  }
  // The same /24 asking a name of its own is answered: the flood used the wildcard's account only.
  const own = await exchange(socks[0]!, srv, buildQuery({ id: 60000, name: 'mail.example.com', type: 'A', edns: {} }));
  await new Promise((r) => setTimeout(r, 500));
  for (const s of socks) s.close();
  const detail = JSON.stringify({ sent, answers, slips, other });
  for (const [sec, n] of answers.entries()) assert.ok(n <= RATE, `127.0.6.0/24 got ${n} wildcard answers in second ${sec} (limit ${RATE}): ${detail}`);
  assert.ok(answers.reduce((a, b) => a + b, 0) >= 1, `no answer at all: ${detail}`);
  assert.ok(slips > 100, `refused wildcard answers are slipped (TC=1) or dropped: ${detail}`);
  assert.equal(other, 0, detail);
  assert.ok(own && (own[2]! & 0x02) === 0 && own.readUInt16BE(6) >= 1, 'mail.example.com answered to the same /24');
});
