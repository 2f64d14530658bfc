// DNS transports: UDP and TCP on every listen address. The query path itself is
// chain.ts; this file only moves bytes. TCP follows RFC 1035 §4.2.2 (2-byte
// length prefix) and RFC 7766 (pipelining, answers may be sent as each is ready,
// idle timeout, connection cap).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import { batchedUdpRefusal } from '@geoedge/shared';
import { parseHostPort, type Logger, type Service } from '@geoedge/shared';

export interface Peer {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  localAddress: string;
}

/**
 * Answers one DNS message; null means send nothing (unreadable packet). Never throws.
 * With udpBatch, `msg` and `peer` are reused once it returns: copy what must outlive the call.
 */
export type Handler = (msg: Buffer, peer: Peer) => Buffer | null;

export interface ServerOptions {
  listen: string[];
  idleTimeoutMs: number;
  maxConnections: number;
  log: Logger;
  /** recvmmsg/sendmmsg through koffi (listen/udp-mmsg.ts); falls back to node:dgram. */
  udpBatch?: boolean;
}

/** Largest TCP message we accept; bigger frames can't be DNS queries we answer. */
const MAX_TCP_QUERY = 65535;

export function createDnsServer(opts: ServerOptions, handler: () => Handler): Service & { addresses(): Array<{ transport: string; address: string; port: number }> } {
  const udp: UdpSocket[] = [];
  const batched: Array<{ close(): void; address: string; port: number }> = [];
  const tcp: Server[] = [];
  const conns = new Set<Socket>();

  return {
    name: 'dns-server',
    async start() {
      for (const l of opts.listen) {
        const { host, port } = parseHostPort(l);
        const t = await listenTcp(host, port, opts, handler, conns);
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
      await Promise.all(tcp.map((s) => new Promise<void>((r) => s.close(() => r()))));
      for (const c of conns) c.destroy();
    },
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
  sock.on('message', (msg, rinfo) => {
    let out: Buffer | null = null;
    try {
      out = handler()(msg, { transport: 'udp', address: rinfo.address, port: rinfo.port, localAddress: local });
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
  // Struct layouts known for x64 and arm64 only (@geoedge/shared native-layout): elsewhere (32-bit ARM…) node:dgram, said once.
  const refused = batchedUdpRefusal();
  if (refused) {
    if (!warnedArch) log.warn({ arch: process.arch }, refused);
    warnedArch = true;
    return undefined;
  }
  let mod: typeof import('./listen/udp-mmsg.js');
  try {
    mod = await import('./listen/udp-mmsg.js');
  } catch (err) {
    log.warn({ err }, 'udpBatch: koffi unavailable, using node:dgram');
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

function listenTcp(host: string, port: number, opts: ServerOptions, handler: () => Handler, conns: Set<Socket>): Promise<Server> {
  const server = createServer({ noDelay: true }, (sock) => serveTcp(sock, opts, handler, conns, host));
  server.maxConnections = opts.maxConnections;
  server.on('drop', (d) => opts.log.warn({ client: d?.remoteAddress }, 'tcp connection refused: maxConnections reached'));
  server.on('error', (err) => opts.log.error({ err }, 'tcp server error'));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ipv6Only: isIPv6(host) }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function serveTcp(sock: Socket, opts: ServerOptions, handler: () => Handler, conns: Set<Socket>, local: string): void {
  conns.add(sock);
  const peer: Peer = { transport: 'tcp', address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0, localAddress: local };
  let buf = Buffer.alloc(0);
  sock.setTimeout(opts.idleTimeoutMs, () => sock.destroy());
  sock.on('error', () => { /* reset by peer etc.: nothing to do but forget it */ });
  sock.on('close', () => conns.delete(sock));
  sock.on('data', (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    // Several pipelined queries may sit in one chunk; a query may span chunks.
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len < 12 || len > MAX_TCP_QUERY) { sock.destroy(); return; }
      if (buf.length < 2 + len) break;
      const msg = buf.subarray(2, 2 + len);
      buf = buf.subarray(2 + len);
      let out: Buffer | null = null;
      try {
        out = handler()(msg, peer);
      } catch (err) {
        opts.log.error({ err, client: peer.address }, 'query handler threw');
      }
      if (out === null) { sock.destroy(); return; } // unreadable message: RFC 7766 §8 allows closing
      const frame = Buffer.allocUnsafe(2 + out.length);
      frame.writeUInt16BE(out.length, 0);
      out.copy(frame, 2);
      sock.write(frame);
    }
    if (buf.length > 0 && buf.buffer.byteLength > 4 * (2 + MAX_TCP_QUERY)) buf = Buffer.from(buf);
  });
}
