// The TCP plane on Node streams: the fallback where the engine cannot run
// (koffi or glibc missing, an architecture whose epoll layout is not known) or
// `data_plane: streams`. Same contract as the engine: a client is accepted,
// read, connected and relayed as one net.Socket; pipe() gives backpressure in
// both directions and half-close (one direction ends with FIN while the other
// keeps flowing).
import { connect as netConnect, createServer, Socket, type AddressInfo } from 'node:net';
import { addressOf } from '../conn-info.js';
import type { ReadSink, TcpPlane } from './plane.js';

const state = Symbol('geoedge-read');

/** What the plane keeps on a client socket while it is read. */
interface ReadState {
  sink: ReadSink | undefined;
  /** Bytes handed to sinks (the link counts from there). */
  delivered: number;
  /** The first error the socket reported before attach. */
  error: string | undefined;
  onData(chunk: Buffer): void;
  onEnd(): void;
}
type Client = Socket & { [state]?: ReadState };

const code = (err: NodeJS.ErrnoException) => err.code ?? 'unknown';

function readState(s: Client): ReadState {
  let st = s[state];
  if (st) return st;
  st = {
    sink: undefined, delivered: 0, error: undefined,
    onData(chunk) { st!.delivered += chunk.length; st!.sink?.onBytes(chunk); },
    onEnd() { const k = st!.sink; st!.sink = undefined; k?.onEnd(undefined); },
  };
  s[state] = st;
  return st;
}

export function streamsPlane(): TcpPlane<Socket, Socket> {
  return {
    kind: 'streams',
    async listen(hp, o) {
      if (o.prepare) throw new Error('socket options before bind (tproxy, socket) need the data plane engine, which is not running');
      // allowHalfOpen: a client's FIN only ends its direction (half-close).
      // pauseOnConnect: nothing is read until a route needs bytes.
      const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (sock: Client) => {
        const st = readState(sock);
        // Every socket has an error listener from its first moment: an error is remembered, never thrown.
        sock.on('error', (err: NodeJS.ErrnoException) => {
          st.error ??= `client_error:${code(err)}`;
          const k = st.sink;
          st.sink = undefined;
          k?.onEnd(st.error);
        });
        o.onAccept(sock, addressOf(sock.remoteAddress, sock.remotePort), addressOf(sock.localAddress, sock.localPort));
      });
      server.on('error', (err) => o.onError(err.message));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // ipv6Only so "[::]:443" and "0.0.0.0:443" can both be listed, as in nginx.
        server.listen({ host: hp.host, port: hp.port, backlog: 4096, ipv6Only: hp.host.includes(':') }, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      const a = server.address() as AddressInfo;
      return {
        address: addressOf(a.address, a.port),
        // server.close() calls back only when every connection has ended; connections are drained by the app.
        close: () => { server.close(); },
      };
    },
    read(sock: Client, sink) {
      const st = readState(sock);
      if (!sink) {
        st.sink = undefined;
        sock.removeListener('data', st.onData);
        sock.removeListener('end', st.onEnd);
        sock.pause();
        return;
      }
      st.sink = sink;
      sock.on('data', st.onData);
      sock.on('end', st.onEnd);
      sock.resume();
    },
    connect(server, timeoutMs, w, fd) {
      let sock: Socket;
      try {
        sock = fd === undefined
          ? netConnect({ host: server.cfg.host, port: server.cfg.port, allowHalfOpen: true, noDelay: true })
          : new Socket({ fd, allowHalfOpen: true, readable: true, writable: true }).connect({ host: server.cfg.host, port: server.cfg.port });
      } catch (err) {
        return (err as Error).message;
      }
      const timer = setTimeout(() => fail(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
      function fail(err: Error) {
        clearTimeout(timer);
        sock.removeListener('connect', ok);
        sock.destroy();
        w.connected(undefined, err.message);
      }
      function ok() {
        clearTimeout(timer);
        sock.removeListener('error', fail);
        w.connected(sock, undefined);
      }
      sock.once('connect', ok);
      sock.once('error', fail);
      return undefined;
    },
    attach(client: Client, up, head, owner) {
      const st = readState(client);
      if (client.destroyed) {
        up.destroy();
        return undefined;
      }
      let reason = st.error ?? 'done';
      let ended = false;
      let closes = 0;
      const end = () => {
        if (ended || ++closes < 2) return;
        ended = true;
        // Bytes the socket had read past the sinks (paused, not consumed) are relayed too.
        owner.onClose({ toUpstream: client.bytesRead - st.delivered, toClient: client.bytesWritten, reason });
      };
      const destroy = (r: string) => {
        if (reason === 'done') reason = r;
        client.destroy();
        up.destroy();
      };
      up.on('error', (err: NodeJS.ErrnoException) => { destroy(`upstream_error:${code(err)}`); });
      // An error on the client side ends the upstream too; a clean close of one side
      // does not, so bytes still queued toward the other side are delivered.
      client.on('error', (err: NodeJS.ErrnoException) => { destroy(`client_error:${code(err)}`); });
      client.once('close', (hadError) => { if (hadError) up.destroy(); end(); });
      up.once('close', end);
      if (head?.length) up.write(head);
      client.setTimeout(owner.idleMs, () => destroy('idle_timeout'));
      client.pipe(up);
      up.pipe(client);
      if (st.error) destroy(st.error);
      return { destroy };
    },
    close(sock) {
      sock.destroy();
    },
  };
}
