#!/usr/bin/env node
// Micro-benchmark of geodns's wire hot path against dns2 (the peer) in one run.
// Runs the compiled code in packages/geodns/dist/wire (build first:
// `npx tsc -b packages/geodns`). Each case runs ROUNDS rounds of a fixed
// duration; the median ops/s is printed with its ratio to the dns2 peer.
//   node scripts/bench/wire-micro.mjs [--round-ms 500] [--rounds 5]
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const { values } = parseArgs({ options: { 'round-ms': { type: 'string', default: '500' }, rounds: { type: 'string', default: '5' } } });
const ROUND_MS = Number(values['round-ms']);
const ROUNDS = Number(values.rounds);

const wire = join(dirname(fileURLToPath(import.meta.url)), '../../packages/geodns/dist/wire');
const load = (f) => import(join(wire, f));
const { parseQuery } = await load('query.js');
const { encodeResponse } = await load('message.js');
const { makeTemplate, renderTemplate } = await load('template.js');
const { buildQuery } = await load('query-builder.js');
const { answerWithDns2, decodeWithDns2 } = await load('dns2.js');

const A = (address) => ({ name: 'www.example.com.', type: 1, class: 1, ttl: 300, data: { kind: 'a', address } });
const plain = buildQuery({ id: 1, qname: 'WWW.example.com.', qtype: 1 });
const withEcs = buildQuery({ id: 2, qname: 'www.example.com.', qtype: 1, edns: { payload: 1232, ecs: { family: 1, sourcePrefix: 24, scopePrefix: 0, address: '198.51.100.0' } } });
const resp = {
  id: 0, flags: 0x8400,
  question: buildQuery({ qname: 'www.example.com.', qtype: 1 }).subarray(12),
  answer: [A('192.0.2.1'), A('192.0.2.2')], authority: [], additional: [],
};
const template = makeTemplate(resp);
const optFor = (q) => q.edns ? { payload: 1232, extendedRcode: 0, dnssecOk: q.edns.dnssecOk, ecs: q.edns.ecs ? { ...q.edns.ecs, scopePrefix: 24 } : undefined } : undefined;

let sink = 0;
const cases = {
  'parse (plain)': () => { sink += parseQuery(plain).kind.length; },
  'parse (EDNS+ECS)': () => { sink += parseQuery(withEcs).kind.length; },
  'parse+render (plain)': () => { const r = parseQuery(plain); sink += renderTemplate(template, r.query, undefined, 512).length; },
  'parse+render (EDNS+ECS)': () => { const r = parseQuery(withEcs); sink += renderTemplate(template, r.query, optFor(r.query), 1232).length; },
  'parse+encodeResponse (EDNS+ECS)': () => { const r = parseQuery(withEcs); const q = r.query; sink += encodeResponse({ ...resp, id: q.id, question: q.question, opt: optFor(q) }, 1232).length; },
  'dns2 parse only (peer)': () => { sink += decodeWithDns2(plain).ok ? 1 : 0; },
  'dns2 parse+encode (peer)': () => { sink += answerWithDns2(plain, ['192.0.2.1', '192.0.2.2']).length; },
};

/** One fixed-duration round: [ops per wall second, ops per CPU second of this process]. */
function round(fn) {
  const cpu = process.cpuUsage();
  const end = performance.now() + ROUND_MS;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 256; i++) fn();
    n += 256;
  }
  const u = process.cpuUsage(cpu);
  return [(n * 1000) / ROUND_MS, n / ((u.user + u.system) / 1e6)];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const names = Object.keys(cases);
const wall = Object.fromEntries(names.map((n) => [n, []]));
const cpu = Object.fromEntries(names.map((n) => [n, []]));
for (const name of names) round(cases[name]); // warm-up (JIT)
// Rounds are interleaved so a busy machine slows every case alike.
for (let r = 0; r < ROUNDS; r++) {
  for (const name of names) {
    const [w, c] = round(cases[name]);
    wall[name].push(w);
    cpu[name].push(c);
  }
}

const peer = median(wall['dns2 parse+encode (peer)']);
const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(12);
console.log(`wire micro-benchmark: ${ROUNDS} interleaved rounds × ${ROUND_MS} ms; medians; ratio = wall ops/s over dns2 parse+encode`);
console.log(`${'case'.padEnd(34)} ${'ops/s'.padStart(12)} ${'ops/cpu-s'.padStart(12)}   ratio`);
for (const name of names) {
  const w = median(wall[name]);
  console.log(`${name.padEnd(34)} ${fmt(w)} ${fmt(median(cpu[name]))}   x${(w / peer).toFixed(1)}`);
}
console.log(`parse/sec ${Math.round(median(wall['parse (EDNS+ECS)']))}  render/sec ${Math.round(median(wall['parse+render (EDNS+ECS)']))}  (sink ${sink % 10})`);
