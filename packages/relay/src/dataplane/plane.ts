// The TCP plane: what a connection (connection.ts) and the proxy handler
// (handlers/proxy.ts) ask of whatever moves the bytes. Two implementations,
// one chosen at start for the whole process: the epoll engine on raw
// descriptors (engine.ts, the default), and Node streams (streams.ts) where the
// native layer cannot load or the platform is not supported. A client is
// accepted, read (PROXY header, ClientHello), connected and relayed by the same
// plane: its socket never changes hands (no fd into a Node socket and back).
//
// `C` is the plane's client handle, `U` its upstream handle (fds for the
// engine, Node sockets for streams): opaque to the callers.
import type { HostPort } from '@geoedge/shared';
import type { ProxyAddress } from '../wire/proxy-types.js';
import type { UpstreamServer } from '../upstream/server.js';

/** Hears the client's first bytes while a connection decides (PROXY header, preread). */
export interface ReadSink {
  /** Bytes the client sent: a copy the sink may keep. */
  onBytes(chunk: Buffer): void;
  /** The client half-closed (`error` undefined) or failed (`client_error:ECONNRESET`, say) while read. */
  onEnd(error: string | undefined): void;
}

/** Hears how a connect() ended, once, later (never from inside connect()). */
export interface ConnectWaiter<U> {
  /** `up` connected (failure undefined), or the failure's text (up undefined, the socket closed). */
  connected(up: U | undefined, failure: string | undefined): void;
}

export interface LinkStats {
  /** Client bytes written upstream after attach (not the head). */
  toUpstream: number;
  toClient: number;
  /** done, idle_timeout, drain_timeout, client_error:E, upstream_error:E, ... */
  reason: string;
}

/** The owner of a relayed pair of sockets; called as a method (the owner may be the connection itself). */
export interface LinkOwner {
  readonly idleMs: number;
  onClose(stats: LinkStats): void;
}

export interface PlaneLink {
  /** Closes both sockets now; onClose runs with this reason. */
  destroy(reason: string): void;
}

export interface AcceptOptions<C> {
  /** SO_REUSEPORT: cluster workers each bind their own socket. */
  reusePort: boolean;
  /** A new client; `local` is the address it connected to. */
  onAccept(client: C, peer: ProxyAddress, local: ProxyAddress): void;
  onError(message: string): void;
  /**
   * Sets options on the new listening socket before bind (tproxy, socket
   * options; accepted sockets inherit them); a failure's text refuses the
   * listen. The engine only: the streams plane refuses a listener that has one.
   */
  prepare?(fd: number, v6: boolean): string | undefined;
  /** Each connection's local address is its own (tproxy: the original destination), not the listener's. */
  localPerConnection?: boolean;
}

export interface BoundListener {
  readonly address: ProxyAddress;
  /** The listening socket's fd (the engine's), to read its options back. */
  readonly fd?: number;
  /** Stops accepting; accepted connections are left alone. */
  close(): void;
}

/** The accepting side: listeners and reading a client's first bytes. */
export interface ClientPlane<C> {
  listen(hp: HostPort, o: AcceptOptions<C>): Promise<BoundListener>;
  /** Delivers the client's bytes to `sink` until called again with undefined (bytes then wait in the socket for attach). */
  read(client: C, sink: ReadSink | undefined): void;
}

/** What the proxy handler needs: connect, attach, close. */
export interface ProxyPlane<C, U> {
  /**
   * Starts a non-blocking connect to `server` (or of `fd`, a socket made by
   * the transparent connector); the waiter hears the outcome. A failure at
   * once is returned as its text (the waiter then hears nothing).
   */
  connect(server: UpstreamServer, timeoutMs: number, w: ConnectWaiter<U>, fd?: number): string | undefined;
  /**
   * Relays client ↔ upstream, `head` (PROXY header, bytes already read) first
   * toward the upstream, both directions with backpressure and half-close;
   * undefined when it cannot (both sockets are then closed).
   */
  attach(client: C, up: U, head: Buffer | undefined, owner: LinkOwner): PlaneLink | undefined;
  /** Closes a client or upstream socket that is not attached. */
  close(sock: C | U): void;
}

export interface TcpPlane<C = any, U = any> extends ClientPlane<C>, ProxyPlane<C, U> {
  readonly kind: 'engine' | 'streams';
}
