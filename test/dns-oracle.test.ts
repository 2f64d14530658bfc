// PowerDNS as an oracle: the same zone directory served by pdns_server (bind
// backend) and by geodns, the same dig queries to both, and the replies
// compared section by section (rcode, AA/TC, answer/authority/additional as
// sets of RRs; owner names compared case-insensitively).
//
// Deliberate differences, each checked by its own rule below:
//  - ANY over UDP: geodns answers one RRset (RFC 8482 §4.1), PowerDNS 4.7 all
//    of them; geodns's RRset must be one of PowerDNS's. (dig 9.18 sends ANY
//    over TCP by default, hence +notcp.)
//  - CNAME loops: PowerDNS answers SERVFAIL with no records; geodns returns the
//    chain up to the loop, NOERROR (both stop; dns-behaviour checks the bound).
//  - Truncated (TC) replies: only rcode and flags are compared, the partial
//    content is each server's choice.
//  - BADVERS: PowerDNS sets AA, geodns does not (RFC 6891 says nothing of AA
//    there; the rcode and the version-0 OPT are compared).
//  - Additional-section processing: PowerDNS adds addresses only from the
//    zone of the answer; geodns from every zone it serves (as BIND does), so
//    NS ns1.example.com for example.org gets ns1's addresses. PowerDNS's
//    additional records must all be there; the extra ones must be A/AAAA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dig, rrLines, startPdns, startTarget, DEFAULT_ZONES, TARGET, type DigReply, type Pdns, type Target } from './helpers/index.js';

let pdns: Pdns;
let srv: Target;
before(async () => {
  [pdns, srv] = await Promise.all([startPdns({ zonesDir: DEFAULT_ZONES }), startTarget({ zonesDir: DEFAULT_ZONES })]);
});
after(async () => { await Promise.all([pdns?.stop(), srv?.stop()]); });

type Rule = 'same' | 'any-subset' | 'loop' | 'flags-only' | 'no-aa' | 'more-additional';

const QUERIES: Array<[string[], Rule?]> = [
  // apex, every type
  [['example.com', 'SOA']], [['example.com', 'NS']], [['example.com', 'A']], [['example.com', 'AAAA']],
  [['example.com', 'MX']], [['example.com', 'TXT']], [['example.com', 'CAA']], [['example.com', 'DNSKEY']],
  [['example.com', 'DS']], [['example.com', 'ANY', '+notcp'], 'any-subset'], [['example.com', 'ANY', '+tcp']],
  // hosts
  [['www.example.com', 'A']], [['www.example.com', 'AAAA']], [['www.example.com', 'MX']], [['WwW.ExAmple.com', 'A']],
  [['mail.example.com', 'A']], [['ns1.example.com', 'AAAA']], [['ns2.example.com', 'ANY', '+notcp'], 'any-subset'],
  [['www.example.com', 'A', '+noedns']], [['www.example.com', 'A', '+subnet=198.51.100.0/24']],
  [['www.example.com', 'AAAA', '+subnet=2001:db8:77::/56']], [['www.example.com', 'A', '+edns=1', '+noednsneg'], 'no-aa'],
  [['www.example.com', 'A', '+subnet=2001:db8::1/128']], [['www.example.com', 'A', '+subnet=0.0.0.0/0']],
  [['www.example.com', 'A', '+dnssec']], [['nope.example.com', 'A', '+tcp', '+dnssec']], [['www.example.com', 'NSEC']],
  [['example.org', 'DS']],
  // negative
  [['nope.example.com', 'A']], [['deep.nope.example.com', 'TXT']], [['nope.example.org', 'A']], [['99.2.0.192.in-addr.arpa', 'PTR']],
  [['example.net', 'A']], [['org', 'SOA']],
  // types
  [['long.example.com', 'TXT']], [['multi.example.com', 'TXT']], [['spaces.example.com', 'TXT']],
  [['_sip._udp.example.com', 'SRV']], [['_sip._tcp.example.com', 'SRV']], [['naptr.example.com', 'NAPTR']],
  [['host-ptr.example.com', 'PTR']], [['tls.example.com', 'CAA']], [['unknown.example.com', 'TYPE65280']],
  [['unknown.example.com', 'A']],
  // delegations
  [['sub.example.com', 'A']], [['host.sub.example.com', 'AAAA']], [['ns1.sub.example.com', 'A']], [['sub.example.com', 'NS']],
  [['sub.example.com', 'DS']], [['secure.example.com', 'DS']], [['www.secure.example.com', 'A']],
  // CNAMEs
  [['alias.example.com', 'A']], [['alias.example.com', 'AAAA']], [['alias.example.com', 'CNAME']], [['alias2.example.com', 'TXT']],
  [['ftp.example.com', 'A']], [['external.example.com', 'A']], [['www.example.org', 'A']], [['www.example.org', 'MX']],
  [['loop1.example.com', 'A'], 'loop'], [['self.example.com', 'AAAA'], 'loop'],
  // wildcards and empty non-terminals
  [['anything.wild.example.com', 'A']], [['a.b.c.wild.example.com', 'TXT']], [['anything.wild.example.com', 'MX']],
  [['*.wild.example.com', 'A']], [['AnYthing.WILD.example.com', 'A']], [['x.wild.example.com', 'ANY', '+notcp'], 'any-subset'], [['sub.wild.example.com', 'A']], [['x.sub.wild.example.com', 'A']], [['host.sub.wild.example.com', 'A']],
  [['x.cname-wild.example.com', 'A']], [['ent.example.com', 'A']], [['b.ent.example.com', 'A']], [['c.ent.example.com', 'A']],
  [['a.b.ent.example.com', 'A']],
  // other zones
  [['example.org', 'A']], [['example.org', 'NS'], 'more-additional'], [['mail.example.org', 'MX']], [['2.0.192.in-addr.arpa', 'SOA']],
  [['10.2.0.192.in-addr.arpa', 'PTR']], [['2.0.192.in-addr.arpa', 'NS'], 'more-additional'],
  // sizes
  [['big.example.com', 'A']], [['big.example.com', 'A', '+tcp']], [['huge.example.com', 'TXT', '+tcp']],
  [['big.example.com', 'A', '+noedns', '+ignore'], 'flags-only'], [['huge.example.com', 'TXT', '+ignore'], 'flags-only'],
  [['huge.example.com', 'TXT', '+bufsize=100', '+ignore'], 'flags-only'],
];

function summary(r: DigReply): Record<string, unknown> {
  return {
    status: r.status,
    aa: r.flags.has('aa'),
    tc: r.flags.has('tc'),
    ra: r.flags.has('ra'),
    opt: r.opt ? { version: r.opt.version, udp: r.opt.udp, flags: r.opt.flags, ecs: r.opt.ecs } : undefined,
  };
}

function sections(r: DigReply): Record<string, string[]> {
  return { answer: rrLines(r.answer), authority: rrLines(r.authority), additional: rrLines(r.additional) };
}

test(`the oracle list has at least 40 queries (${QUERIES.length})`, () => {
  assert.ok(QUERIES.length >= 40);
});

for (const [args, rule = 'same'] of QUERIES) {
  test(`dig ${args.join(' ')} (${rule})`, { skip: TARGET === 'pdns' && rule === 'any-subset' && 'geodns-only rule' }, async () => {
    const [want, got] = await Promise.all([dig(pdns, args), dig(srv, args)]);
    const ctx = `\n--- PowerDNS:\n${want.text}\n--- ${srv.kind}:\n${got.text}`;
    if (rule === 'loop') {
      assert.ok(['NOERROR', 'SERVFAIL'].includes(got.status), ctx);
      assert.ok(got.answer.every((a) => a.type === 'CNAME'), ctx);
      return;
    }
    if (rule === 'any-subset') {
      assert.deepEqual({ ...summary(got) }, { ...summary(want) }, ctx);
      const pdnsSet = new Set(rrLines(want.answer));
      const mine = rrLines(got.answer);
      assert.ok(mine.length > 0 && mine.every((l) => pdnsSet.has(l)), `geodns's ANY RRset must be one of PowerDNS's:${ctx}`);
      assert.equal(new Set(got.answer.map((a) => a.type)).size, 1, ctx);
      return;
    }
    if (rule === 'no-aa') {
      assert.deepEqual({ ...summary(got), aa: undefined }, { ...summary(want), aa: undefined }, `rcode/flags/OPT differ:${ctx}`);
    } else {
      assert.deepEqual(summary(got), summary(want), `rcode/flags/OPT differ:${ctx}`);
    }
    if (rule === 'flags-only') return;
    const g = sections(got);
    const w = sections(want);
    assert.deepEqual(g.answer, w.answer, `answer differs:${ctx}`);
    assert.deepEqual(g.authority, w.authority, `authority differs:${ctx}`);
    if (rule === 'more-additional') {
      const mine = new Set(g.additional);
      assert.ok(w.additional.every((l) => mine.has(l)), `PowerDNS's additional records missing:${ctx}`);
      assert.ok(got.additional.every((a) => a.type === 'A' || a.type === 'AAAA'), `extra additional records must be addresses:${ctx}`);
      return;
    }
    assert.deepEqual(g.additional, w.additional, `additional differs:${ctx}`);
  });
}
