// One record of every rdata kind the encoder knows, shared by the wire tests.
import { TYPE, type RR, type Rdata } from '@geoedge/dnsdata';

export const rr = (name: string, type: number, data: Rdata, ttl = 300): RR => ({ name, type, class: 1, ttl, data });

export const everyKind: RR[] = [
  rr('www.example.com.', TYPE.A, { kind: 'a', address: '192.0.2.1' }),
  rr('www.example.com.', TYPE.AAAA, { kind: 'aaaa', address: '2001:db8::1' }),
  rr('example.com.', TYPE.NS, { kind: 'name', target: 'ns1.example.com.' }),
  rr('alias.example.com.', TYPE.CNAME, { kind: 'name', target: 'www.example.com.' }),
  rr('1.2.0.192.in-addr.arpa.', TYPE.PTR, { kind: 'name', target: 'www.example.com.' }),
  rr('example.com.', TYPE.MX, { kind: 'mx', preference: 10, exchange: 'mail.example.com.' }),
  rr('example.com.', TYPE.TXT, { kind: 'txt', strings: [Buffer.from('v=spf1 -all'), Buffer.from(''), Buffer.alloc(255, 0x41)] }),
  rr('example.com.', TYPE.SOA, { kind: 'soa', mname: 'ns1.example.com.', rname: 'hostmaster.example.com.', serial: 2026112201, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 }),
  rr('_sip._tcp.example.com.', TYPE.SRV, { kind: 'srv', priority: 10, weight: 60, port: 5060, target: 'sip.example.com.' }),
  rr('example.com.', TYPE.CAA, { kind: 'caa', flags: 128, tag: 'issue', value: Buffer.from('letsencrypt.org') }),
  rr('example.com.', TYPE.NAPTR, { kind: 'naptr', order: 100, preference: 10, flags: Buffer.from('S'), services: Buffer.from('SIP+D2U'), regexp: Buffer.from(''), replacement: '_sip._udp.example.com.' }),
  rr('example.com.', TYPE.DS, { kind: 'ds', keyTag: 12345, algorithm: 13, digestType: 2, digest: Buffer.alloc(32, 0xab) }),
  rr('example.com.', TYPE.SSHFP, { kind: 'raw', bytes: Buffer.from([1, 2, 0xde, 0xad]) }),
  rr('a\\.b\\032c.example.com.', TYPE.A, { kind: 'a', address: '10.0.0.1' }),
];
