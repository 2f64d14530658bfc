// DNS over TCP with the limits a server on the public internet needs
// (RFC 1035 §4.2.2 framing; RFC 7766 §6.2 resource management). Each
// connection is in one of three states, each with its own timer:
//
//   idle     answered, nothing buffered     → closed after idleTimeoutMs
//   reading  just accepted, or a query's    → closed if the whole query is not
//            first byte came but not all       there queryTimeoutMs after the
//            of it                             accept / its first byte (not
//                                              reset per byte: slowloris)
//   paused   unsent answers > maxPendingBytes → reading stopped (the kernel then
//            (the client does not read)        pushes back on the client); resumed
//                                              on 'drain'; closed if nothing drains
//                                              for idleTimeoutMs
//
// Admission: at most maxConnectionsPerClient per IPv4 address / IPv6 /64;
// when the table (maxConnections) is full, the oldest idle connection is
// closed for the newcomer, else the one waiting longest for a whole query;
// only when every connection is paused (being answered) is the newcomer
// refused. A new connection counts as reading, not idle: otherwise, under a
// flood of connections stuck mid-query, each newcomer would be the only idle
// one and the next arrival would evict it before its query came (seen in
// test/dns-tcp-limits.test.ts).
import type { Socket } from 'node:net';
import type { Logger } from '@geoedge/shared';
import type { Handler, Peer } from '../server.js';
import { addressOctets } from '../wire/addr.js';

export interface TcpLimits {
  idleTimeoutMs: number;
  queryTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerClient: number;
  maxPendingBytes: number;
}

/** What the limits did, for metrics.ts; plain counter bumps. */
export interface TcpEvents {
  refused(reason: 'per_client' | 'full'): void;
  closed(reason: 'idle_timeout' | 'query_timeout' | 'write_timeout' | 'evicted' | 'bad_frame'): void;
  paused(): void;
}

/** Largest TCP message we accept; bigger frames can't be DNS queries we answer. */
const MAX_TCP_QUERY = 65535;
/** At most one refusal summary log line per this many ms (a flood must not flood the log). */
const REFUSAL_LOG_MS = 10_000;

type State = 'idle' | 'reading' | 'paused';

interface Conn {
  sock: Socket;
  peer: Peer;
  key: string;
  buf: Buffer;
  state: State;
  timer: NodeJS.Timeout | undefined;
  gone: boolean;
}

export interface TcpTable {
  /** Takes a freshly accepted socket: admits it (maybe evicting another) or refuses it. */
  accept(sock: Socket, local: string): void;
  size(): number;
  closeAll(): void;
}

/**
 * The per-client key: an IPv4 address (IPv4-mapped IPv6 included), or the /64
 * of an IPv6 address (one subscriber's usual allocation, RFC 6177).
 */
export function clientKey(address: string): string {
  if (!address.includes(':')) return address;
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  const [head = '', tail = ''] = lower.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = lower.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = lower.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => (g === '' ? '0' : g.replace(/^0+(?=.)/, ''))).join(':')}::/64`;
}

export function createTcpTable(limits: TcpLimits, handler: () => Handler, events: TcpEvents, log: Logger): TcpTable {
  const all = new Set<Conn>();
  // Insertion-ordered: the first entry is the one that entered the state longest ago.
  const idle = new Set<Conn>();
  const reading = new Set<Conn>();
  const perClient = new Map<string, number>();
  const refusals = { per_client: 0, full: 0 };
  let refusalLog: NodeJS.Timeout | undefined;

  function refuse(sock: Socket, reason: 'per_client' | 'full'): void {
    events.refused(reason);
    refusals[reason]++;
    sock.on('error', () => undefined);
    sock.destroy();
    refusalLog ??= setTimeout(() => {
      refusalLog = undefined;
      log.warn({ per_client: refusals.per_client, full: refusals.full, window_ms: REFUSAL_LOG_MS }, 'tcp connections refused (per-client cap / table full of connections being answered)');
      refusals.per_client = refusals.full = 0;
    }, REFUSAL_LOG_MS).unref();
  }

  /** Closes the oldest idle connection, else the oldest stuck mid-query; false if there is none. */
  function evictOne(): boolean {
    const victim = first(idle) ?? first(reading);
    if (!victim) return false;
    close(victim, 'evicted');
    return true;
  }

  function close(c: Conn, reason: Parameters<TcpEvents['closed']>[0]): void {
    if (c.gone) return;
    events.closed(reason);
    forget(c);
    c.sock.destroy();
  }

  /** Bookkeeping done at once (not on 'close'), so an evicted slot is free for the newcomer. */
  function forget(c: Conn): void {
    if (c.gone) return;
    c.gone = true;
    clearTimeout(c.timer);
    all.delete(c);
    idle.delete(c);
    reading.delete(c);
    const n = (perClient.get(c.key) ?? 1) - 1;
    if (n > 0) perClient.set(c.key, n);
    else perClient.delete(c.key);
  }

  function enter(c: Conn, state: State): void {
    idle.delete(c);
    reading.delete(c);
    c.state = state;
    clearTimeout(c.timer);
    if (state === 'idle') {
      idle.add(c);
      c.timer = setTimeout(() => close(c, 'idle_timeout'), limits.idleTimeoutMs);
    } else if (state === 'reading') {
      reading.add(c);
      c.timer = setTimeout(() => close(c, 'query_timeout'), limits.queryTimeoutMs);
    } else {
      c.timer = setTimeout(() => close(c, 'write_timeout'), limits.idleTimeoutMs);
    }
  }

  /** Whether answers wait beyond the bound (and Node will say 'drain' when they leave). */
  const backlogged = (s: Socket): boolean => s.writableLength > limits.maxPendingBytes && s.writableNeedDrain;

  /** Answers every whole query buffered, unless the client stops reading. */
  function serve(c: Conn): void {
    let answered = false;
    while (c.buf.length >= 2 && !c.gone) {
      if (backlogged(c.sock)) break;
      const len = c.buf.readUInt16BE(0);
      if (len < 12 || len > MAX_TCP_QUERY) return close(c, 'bad_frame');
      if (c.buf.length < 2 + len) break;
      const msg = c.buf.subarray(2, 2 + len);
      c.buf = c.buf.subarray(2 + len);
      answered = true;
      let out: Buffer | null = null;
      try {
        out = handler()(msg, c.peer);
      } catch (err) {
        log.error({ err, client: c.peer.address }, 'query handler threw');
      }
      if (out === null) return close(c, 'bad_frame'); // unreadable message: RFC 7766 §8 allows closing
      const frame = Buffer.allocUnsafe(2 + out.length);
      frame.writeUInt16BE(out.length, 0);
      out.copy(frame, 2);
      c.sock.write(frame);
    }
    if (c.gone) return;
    // A leftover that shares a large chunk's memory would pin it: keep only the bytes.
    if (c.buf.length > 0 && c.buf.buffer.byteLength > 4 * (2 + MAX_TCP_QUERY)) c.buf = Buffer.from(c.buf);
    if (backlogged(c.sock)) {
      if (c.state !== 'paused') { c.sock.pause(); events.paused(); enter(c, 'paused'); }
    } else if (c.buf.length === 0) {
      enter(c, 'idle');
    } else if (answered || c.state !== 'reading') {
      enter(c, 'reading'); // a new query's first byte came now: its deadline starts now
    }
  }

  return {
    accept(sock, local) {
      const key = clientKey(sock.remoteAddress ?? '');
      const mine = perClient.get(key) ?? 0;
      if (mine >= limits.maxConnectionsPerClient) return refuse(sock, 'per_client');
      if (all.size >= limits.maxConnections && !evictOne()) return refuse(sock, 'full');
      const ip = new Uint8Array(16);
      const address = sock.remoteAddress ?? '';
      const peer: Peer = { transport: 'tcp', address, port: sock.remotePort ?? 0, localAddress: local, ip, ipAt: 0, ipLen: addressOctets(address, ip) };
      const c: Conn = { sock, peer, key, buf: Buffer.alloc(0), state: 'idle', timer: undefined, gone: false };
      all.add(c);
      perClient.set(key, mine + 1);
      enter(c, 'reading'); // its first query is due within queryTimeoutMs
      sock.on('error', () => { /* reset by peer etc.: 'close' follows */ });
      sock.on('close', () => forget(c));
      sock.on('drain', () => {
        if (c.state !== 'paused' || c.gone) return;
        c.sock.resume();
        enter(c, c.buf.length === 0 ? 'idle' : 'reading');
        serve(c);
      });
      sock.on('data', (chunk: Buffer) => {
        c.buf = c.buf.length === 0 ? chunk : Buffer.concat([c.buf, chunk]);
        if (c.state !== 'paused') serve(c);
      });
    },
    size: () => all.size,
    closeAll() {
      clearTimeout(refusalLog);
      for (const c of [...all]) { forget(c); c.sock.destroy(); }
    },
  };
}

function first<T>(s: Set<T>): T | undefined {
  for (const v of s) return v;
  return undefined;
}
