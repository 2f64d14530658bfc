// Prometheus metrics of a running geodns, scraped over HTTP and checked to
// move with the queries sent: counts by rcode/qtype/transport, the answer
// latency histogram, zones loaded. geodns only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildQuery, dig, has, scrape, startGeodns, sum, TARGET, udpExchange, type Geodns } from './helpers/index.js';

const skip = TARGET === 'pdns' && 'geodns metrics';
let g: Geodns;
before(async () => { if (!skip) g = await startGeodns({ metrics: true }); });
after(async () => { await g?.stop(); });

test('metrics are served and name every documented series', { skip }, async () => {
  const m = await scrape(g.metricsUrl!);
  for (const name of ['geodns_queries_total', 'geodns_answer_seconds_bucket', 'geodns_answer_seconds_count', 'geodns_zones_loaded']) {
    assert.ok(has(m, name), `${name} exposed`);
  }
  assert.equal(sum(m, 'geodns_zones_loaded'), 3, 'the three example zones');
  const res = await fetch(g.metricsUrl!.replace('/metrics', '/nothing-here'));
  assert.equal(res.status, 404);
});

test('query counters move by rcode, qtype and transport', { skip }, async () => {
  const before = await scrape(g.metricsUrl!);
  for (let i = 0; i < 3; i++) await dig(g, ['www.example.com', 'A', '+notcp']);
  await dig(g, ['nope.example.com', 'AAAA', '+notcp']);
  await dig(g, ['example.net', 'MX', '+notcp']);
  await dig(g, ['example.com', 'SOA', '+tcp']);
  const bad = buildQuery({ id: 9, name: 'www.example.com' });
  bad.writeUInt16BE(2, 4); // QDCOUNT=2: FORMERR
  await udpExchange(g, bad);
  const after = await scrape(g.metricsUrl!);
  const delta = (labels: Record<string, string>): number => sum(after, 'geodns_queries_total', labels) - sum(before, 'geodns_queries_total', labels);
  // dig may retry a datagram on a loaded machine, so "at least".
  assert.ok(delta({ rcode: 'NOERROR', qtype: 'A', transport: 'udp' }) >= 3);
  assert.ok(delta({ rcode: 'NXDOMAIN', qtype: 'AAAA', transport: 'udp' }) >= 1);
  assert.ok(delta({ rcode: 'REFUSED', qtype: 'MX', transport: 'udp' }) >= 1);
  assert.ok(delta({ rcode: 'NOERROR', qtype: 'SOA', transport: 'tcp' }) >= 1);
  assert.ok(delta({ rcode: 'FORMERR' }) >= 1);
  assert.ok(delta({}) >= 7 && delta({}) <= 14, `total moved by ${delta({})}`);
  const count = sum(after, 'geodns_answer_seconds_count') - sum(before, 'geodns_answer_seconds_count');
  assert.ok(count >= 7, `latency observed for each answer (${count})`);
  assert.ok(sum(after, 'geodns_answer_seconds_sum') > sum(before, 'geodns_answer_seconds_sum'));
});

test('garbage sent to the metrics port does not hurt the DNS or metrics service', { skip }, async () => {
  const { connect } = await import('node:net');
  const url = new URL(g.metricsUrl!);
  for (const junk of [Buffer.from('GET /metrics HTTP/9.9\r\n\r\n'), Buffer.from([0, 1, 2, 255, 254, 10, 13, 10, 13]), Buffer.alloc(70_000, 65)]) {
    await new Promise<void>((resolve) => {
      const s = connect({ host: url.hostname, port: Number(url.port) }, () => s.end(junk));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.resume();
    });
  }
  assert.equal((await dig(g, ['www.example.com', 'A'])).status, 'NOERROR');
  assert.ok(has(await scrape(g.metricsUrl!), 'geodns_queries_total'));
});
