// The TCP plane on raw descriptors (Linux, through @geoedge/linux): one epoll loop
// (loop.ts) that accepts and reads clients' first bytes (listen.ts), connects
// upstreams (connect.ts) and relays (pump.ts). A client's descriptor is the
// engine's from accept4 to close. The same loop watches the UDP sockets of
// dataplane/udp.ts and answers /healthz's probe.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { K, loadLibc, watchFd, type Libc } from '@geoedge/linux';
import { sockaddr } from '../net/sockaddr.js';
import type { ProxyAddress } from '../wire/proxy-types.js';
import { Loop, type WatchFd } from './loop.js';
import { Pump } from './pump.js';
import { Connector } from './connect.js';
import { Acceptor, ClientReader } from './listen.js';
import type { TcpPlane } from './plane.js';

export interface Probe {
  poke(): void;
  readonly pokedAt: number;
  readonly answeredAt: number;
  close(): void;
}

/** The engine: the TCP plane on fds, and what the UDP plane and /healthz use of its loop. */
export interface DataPlane extends TcpPlane<number, number> {
  readonly kind: 'engine';
  /** The local address of a socket (getsockname). */
  localAddress(fd: number): ProxyAddress | undefined;
  /** Calls onReadable from the loop while `fd` is readable (level-triggered); false if epoll refuses it. */
  watch(fd: number, onReadable: () => void): boolean;
  /** Stops watching `fd` (before the caller closes it). */
  unwatch(fd: number): void;
  /**
   * A liveness probe through the engine's own loop (epoll set, uv_poll watch,
   * handler): `poke()` writes a byte to a pipe in the set, and the loop stamps
   * `answeredAt` when it reads it. /healthz compares the two (liveness.ts).
   */
  probe(): Probe | undefined;
  /** Test hook (EDGE_RELAY_TEST_HOOKS=1, SIGUSR2): the loop takes no events for `ms`, as a wedged engine. */
  stall(ms: number): void;
  readonly libc: Libc;
}

export interface EngineOptions {
  splice: boolean;
  /** Hears exceptions thrown by the handlers the loop calls (bugs); the loop goes on. */
  onError?: (err: unknown) => void;
  /** Name resolution of upstream servers given by name (node:dns lookup; unit tests pass their own). */
  resolve?: (host: string) => Promise<{ address: string }>;
}

let engine: DataPlane | undefined;

/** The process's engine (options of the first call win); throws where koffi/libc cannot be loaded. */
export function dataPlane(o: EngineOptions): DataPlane {
  return (engine ??= createEngine(loadLibc(), o));
}

/** An engine over `c` (a fake libc and watch in unit tests). */
export function createEngine(c: Libc, o: EngineOptions, watch: WatchFd = watchFd, arch: string = process.arch): DataPlane {
  const onError = o.onError ?? ((err) => { process.emitWarning(`data plane: ${(err as Error).stack ?? err}`); });
  const loop = new Loop(c, watch, onError, arch);
  const pump = new Pump(loop, o.splice);
  const connector = new Connector(loop, (fd) => pump.socketError(fd));
  const acceptor = new Acceptor(loop);
  const reader = new ClientReader(loop);
  const pipeFds = Buffer.alloc(8);
  const resolveHost = o.resolve ?? ((host: string) => lookup(host));

  const plane: DataPlane = {
    kind: 'engine',
    libc: c,
    async listen(hp, opts) {
      const host = isIP(hp.host) ? hp.host : (await lookup(hp.host)).address;
      const r = acceptor.listen(host, hp.port, opts);
      if (!r.ok) throw new Error(r.message);
      const fd = r.fd;
      return { address: r.address, fd, close: () => acceptor.unlisten(fd) };
    },
    read(fd, sink) {
      if (!reader.read(fd, sink)) sink?.onEnd(`client_error:epoll_ctl`);
    },
    connect(server, timeoutMs, w, fd) {
      if (server.sockaddr) return connector.connect(server.sockaddr, timeoutMs, w, fd);
      // A server given by name: resolved per connection (the resolver caches as the system does).
      // connect_timeout bounds the look-up and the connect together, as the streams plane's
      // timer does: a resolver that does not answer (getaddrinfo's own retries take 10 s
      // and more) must not hold the client past it. A late answer is dropped.
      const start = performance.now();
      let settled = false;
      const fail = (reason: string) => {
        settled = true;
        clearTimeout(timer);
        if (fd !== undefined) c.close(fd);
        w.connected(undefined, reason);
      };
      const timer = setTimeout(() => fail(`resolve ${server.cfg.host}: timed out after ${timeoutMs} ms`), timeoutMs);
      resolveHost(server.cfg.host).then(
        ({ address }) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const left = Math.max(1, Math.round(timeoutMs - (performance.now() - start)));
          const failure = connector.connect(sockaddr(address, server.cfg.port)!, left, w, fd);
          if (failure !== undefined) w.connected(undefined, failure);
        },
        (err: Error) => {
          if (!settled) fail(`resolve ${server.cfg.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        },
      );
      return undefined;
    },
    attach(a, b, head, owner) {
      reader.read(a, undefined);
      if (!loop.has(a) && !loop.addEdge(a)) {
        loop.closeFd(a);
        loop.closeFd(b);
        return undefined;
      }
      return pump.link(a, b, head, owner, reader.takeEmpty(a));
    },
    close: (fd) => loop.closeFd(fd),
    localAddress: (fd) => acceptor.localAddress(fd),
    watch(fd, onReadable) {
      if (!loop.addLevel(fd)) return false;
      loop.on(fd, { onEvent: onReadable });
      return true;
    },
    unwatch(fd) {
      if (!loop.handler(fd)) return;
      loop.off(fd);
      loop.del(fd);
    },
    probe() {
      if (c.pipe2(pipeFds, K.O_NONBLOCK | K.O_CLOEXEC) < 0) return undefined;
      const [r, w] = [pipeFds.readInt32LE(0), pipeFds.readInt32LE(4)];
      const byte = Buffer.alloc(16);
      const p = {
        pokedAt: 0,
        answeredAt: 0,
        poke() { if (c.write(w, byte, 1) === 1) p.pokedAt = Date.now(); },
        close: () => { plane.unwatch(r); c.close(r); c.close(w); },
      };
      if (!plane.watch(r, () => { while (Number(c.read(r, byte, byte.length)) > 0); p.answeredAt = Date.now(); })) {
        c.close(r); c.close(w);
        return undefined;
      }
      return p;
    },
    stall: (ms) => loop.stall(ms),
  };
  return plane;
}
