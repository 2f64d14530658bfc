// DNS transports: UDP and TCP on every listen address. The query path itself is
// chain.ts; this file only moves bytes. TCP follows RFC 1035 §4.2.2 (2-byte
// length prefix) and RFC 7766 (pipelining, answers may be sent as each is ready,
// timeouts, connection caps: listen/tcp.ts).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { isIPv6 } from 'node:net';
import { nativeRefusal } from '@geoedge/linux';
import { parseHostPort, type Logger, type Service } from '@geoedge/shared';
import { createTcpTable, type TcpEvents, type TcpLimits, type TcpTable } from './listen/tcp.js';
import { addressOctets } from './wire/addr.js';

export interface Peer {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  localAddress: string;
  /** The address as octets, ip[ipAt, +ipLen) (4 or 16; 0 if unknown): RRL and cookies read it without a string. */
  ip: Uint8Array;
  ipAt: number;
  ipLen: number;
}


/**
 * Answers one DNS message; null means send nothing (unreadable packet). Never throws.
 * With udpBatch, `msg` and `peer` are reused once it returns: copy what must outlive the call.
 */
export type Handler = (msg: Buffer, peer: Peer) => Buffer | null;

export interface ServerOptions {
  listen: string[];
  tcp: TcpLimits;
  /** What the TCP limits did (metrics). */
  tcpEvents: TcpEvents;
  log: Logger;
  /** recvmmsg/sendmmsg through @geoedge/linux (listen/udp-mmsg.ts); falls back to node:dgram. */
  udpBatch?: boolean;
}

export function createDnsServer(opts: ServerOptions, handler: () => Handler): Service & { addresses(): Array<{ transport: string; address: string; port: number }>; tcpConnections(): number } {
  const udp: UdpSocket[] = [];
  const batched: Array<{ close(): void; address: string; port: number }> = [];
  const tcp: Server[] = [];
  // One table for every listen address: the caps are per process (per worker with `workers`).
  const table = createTcpTable(opts.tcp, handler, opts.tcpEvents, opts.log);

  return {
    name: 'dns-server',
    async start() {
      for (const l of opts.listen) {
        const { host, port } = parseHostPort(l);
        const t = await listenTcp(host, port, opts, table);
        tcp.push(t);
        // Bind UDP to the TCP port actually chosen, so ":0" gives one port for both.
        const actual = (t.address() as { port: number }).port;
        const b = opts.udpBatch ? await listenUdpBatch(host, actual, opts.log, handler) : undefined;
        if (b) batched.push(b);
        else udp.push(await listenUdp(host, actual, opts.log, handler));
        opts.log.info({ listen: l, port: actual }, 'dns listening');
      }
    },
    async close() {
      for (const s of udp) s.close();
      for (const s of batched) s.close();
      // server.close() calls back only once every connection is gone: close them first.
      const stopped = tcp.map((s) => new Promise<void>((r) => s.close(() => r())));
      table.closeAll();
      await Promise.all(stopped);
    },
    tcpConnections: () => table.size(),
    addresses() {
      return [
        ...udp.map((s) => ({ transport: 'udp', ...s.address() })),
        ...batched.map((s) => ({ transport: 'udp', address: s.address, port: s.port })),
        ...tcp.map((s) => ({ transport: 'tcp', ...(s.address() as { address: string; port: number }) })),
      ];
    },
  };
}

function listenUdp(host: string, port: number, log: Logger, handler: () => Handler): Promise<UdpSocket> {
  const sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: true, ipv6Only: isIPv6(host) });
  const local = host;
  const ip = new Uint8Array(16);
  sock.on('message', (msg, rinfo) => {
    let out: Buffer | null = null;
    try {
      const ipLen = addressOctets(rinfo.address, ip);
      out = handler()(msg, { transport: 'udp', address: rinfo.address, port: rinfo.port, localAddress: local, ip, ipAt: 0, ipLen });
    } catch (err) {
      // The chain never throws by contract; if it does, keep serving the others.
      log.error({ err, client: rinfo.address }, 'query handler threw');
    }
    if (out) sock.send(out, rinfo.port, rinfo.address);
  });
  sock.on('error', (err) => log.error({ err }, 'udp socket error'));
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => {
      sock.off('error', reject);
      // Bigger kernel buffers absorb bursts (benchmarks, floods) instead of dropping.
      try { sock.setRecvBufferSize(4 << 20); sock.setSendBufferSize(4 << 20); } catch { /* not permitted: keep defaults */ }
      resolve(sock);
    });
  });
}

let warnedArch = false;

/** The batched listener, or undefined (after a warning) when it can't run here: caller uses dgram. */
async function listenUdpBatch(host: string, port: number, log: Logger, handler: () => Handler): Promise<{ close(): void; address: string; port: number } | undefined> {
  // Unknown architecture or no glibc (@geoedge/linux nativeRefusal): node:dgram, said once.
  const refused = nativeRefusal();
  if (refused) {
    if (!warnedArch) log.warn({ arch: process.arch }, `${refused}; udpBatch: using node:dgram`);
    warnedArch = true;
    return undefined;
  }
  let mod: typeof import('./listen/udp-mmsg.js');
  try {
    mod = await import('./listen/udp-mmsg.js');
  } catch (err) {
    log.warn({ err }, 'udpBatch: the native layer did not load, using node:dgram');
    return undefined;
  }
  const handle = (msg: Buffer, peer: Peer): Buffer | null => {
    try {
      return handler()(msg, peer);
    } catch (err) {
      log.error({ err, client: peer.address }, 'query handler threw');
      return null;
    }
  };
  const r = mod.openBatchUdp(host, port, handle, (message) => log.error({ listen: host, port }, message));
  if (!r.ok) {
    log.warn({ listen: host, port, reason: r.message }, 'udpBatch: batched socket failed, using node:dgram');
    return undefined;
  }
  return { close: () => r.socket.close(), address: host, port };
}

function listenTcp(host: string, port: number, opts: ServerOptions, table: TcpTable): Promise<Server> {
  // No server.maxConnections: the table admits, evicts or refuses (listen/tcp.ts).
  const server = createServer({ noDelay: true }, (sock) => table.accept(sock, host));
  server.on('error', (err) => opts.log.error({ err }, 'tcp server error'));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ipv6Only: isIPv6(host) }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
