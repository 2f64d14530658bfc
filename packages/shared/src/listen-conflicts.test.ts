import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenConflicts, type ListenEntry } from './listen-conflicts.js';
import { parseHostPort } from './hostport.js';

const entries = (...list: Array<[string, string[]]>): ListenEntry[] =>
  list.map(([addr, protocols], i) => ({ path: `/e/${i}`, protocols, ...parseHostPort(addr) }));

test('pairs that the second bind refuses (EADDRINUSE, EINVAL) are reported once, on the later entry', () => {
  const refused: Array<[Array<[string, string[]]>, string]> = [
    [[['0.0.0.0:53', ['udp']], ['127.0.0.1:53', ['udp']]], '/e/1: 127.0.0.1:53 (udp) overlaps 0.0.0.0:53 of an earlier entry (/e/0)'],
    [[['127.0.0.1:53', ['tcp']], ['0.0.0.0:53', ['tcp']]], '/e/1: 0.0.0.0:53 (tcp) overlaps 127.0.0.1:53 of an earlier entry (/e/0)'],
    [[['[::]:53', ['udp', 'tcp']], ['[::1]:53', ['tcp']]], '/e/1: [::1]:53 (tcp) overlaps [::]:53 of an earlier entry (/e/0)'],
    [[['[::1]:53', ['tcp']], ['[0:0:0::1]:53', ['tcp']]], '/e/1: [0:0:0::1]:53 (tcp) is already used by an earlier entry (/e/0)'],
    [[['[::ffff:10.0.0.1]:53', ['tcp']]], '/e/0: [::ffff:10.0.0.1]:53 is an IPv4-mapped address'],
  ];
  for (const [list, want] of refused) {
    const p = listenConflicts(entries(...list));
    assert.equal(p.length, 1, JSON.stringify(list));
    assert.ok(p[0]!.startsWith(want), `${p[0]}\n  should start with\n${want}`);
  }
});

test('what binds side by side passes', () => {
  for (const list of [
    [['0.0.0.0:53', ['tcp']], ['[::]:53', ['tcp']]], // IPv6 sockets are IPv6-only
    [['0.0.0.0:53', ['tcp']], ['0.0.0.0:53', ['udp']]],
    [['127.0.0.1:53', ['udp', 'tcp']], ['127.0.0.2:53', ['udp', 'tcp']]],
    [['0.0.0.0:0', ['tcp']], ['127.0.0.1:0', ['tcp']]],
    [['localhost:80', ['tcp']], ['127.0.0.2:80', ['tcp']]], // host names: compared as written
  ] as Array<Array<[string, string[]]>>) {
    assert.deepEqual(listenConflicts(entries(...list)), [], JSON.stringify(list));
  }
});
