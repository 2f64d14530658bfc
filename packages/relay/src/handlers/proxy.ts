// The proxy handler: connect to the route's upstream group (servers in
// balancer order, up to `tries`), send the PROXY header whole in front of the
// bytes already read, then let the plane relay both ways. One handler for
// every plane (engine or streams, plane.ts): the plane's connect, attach and
// close are all it uses.
//
// One object per connection is the plane's connect waiter and the owner of its
// relayed link: no promise, timer or closure per connection. Short connections
// per second are made of such costs: an async version's frames, promises and
// closures were ~4 KB of the 5.4 KB a connection allocated, and the scavenger
// a quarter of the relay's user time (bench:relay, perf and an inspector
// allocation profile).
import type { ConnInfo } from '../conn-info.js';
import type { ListenerRuntime, Snapshot } from '../listen/runtime.js';
import type { UpstreamGroup } from '../upstream/group.js';
import type { UpstreamServer } from '../upstream/server.js';
import { Attempts } from '../upstream/connect.js';
import type { ConnectWaiter, LinkOwner, LinkStats, PlaneLink, TcpPlane } from '../dataplane/plane.js';
import { buildProxyHeader } from './proxy-header-out.js';
import { upstreamSocketFd } from '../upstream/upstream-socket.js';

/** What the handler needs of its connection (connection.ts). */
export interface ProxiedConnection extends ConnInfo {
  readonly rt: ListenerRuntime;
  /** The configuration the connection was accepted under (a reload does not change it). */
  readonly snap: Snapshot;
  readonly plane: TcpPlane;
  /** The client as the plane holds it. */
  readonly ref: unknown;
  /** Bytes read from the client before the handler (PROXY header, preread). */
  readonly readBytes: number;
  /** Closes the client (nothing relayed) and ends the connection with `reason`, counted as an error. */
  refuse(reason: string): void;
  /** Ends the connection: its slots, metrics and log line (once). */
  end(bytesIn: number, bytesOut: number): void;
  /** A bug on this connection's path: it ends (`internal_error`), the process goes on. */
  abort(err: unknown): void;
}

export class ProxyHandler implements ConnectWaiter<unknown>, LinkOwner {
  readonly idleMs: number;
  private readonly attempts: Attempts;
  private link: PlaneLink | undefined;
  /** Drain reached its deadline (or a bug ended it) while connecting: closed when the connect ends. */
  private gone = false;
  /** A plane connect is pending. */
  private connecting = false;

  constructor(private readonly conn: ProxiedConnection, group: UpstreamGroup, private readonly first: Buffer) {
    this.idleMs = conn.snap.listener.idleTimeoutMs;
    this.attempts = new Attempts(group, (conn.proxied ?? conn.client).address, conn.destination);
  }

  start(): void {
    this.tryNext();
  }

  /**
   * Drain's deadline, or an internal error: closes the link now, or as soon
   * as the pending connect ends. False when neither is there (the caller closes).
   */
  destroy(reason: string): boolean {
    if (this.link) this.link.destroy(reason);
    else if (this.connecting) {
      this.conn.reason = reason;
      this.gone = true;
    } else return false;
    return true;
  }

  private tryNext(): void {
    const at = this.attempts;
    const cfg = at.group.cfg;
    for (let s = at.next(); s; s = at.next()) {
      let fd: number | undefined;
      let failure: string | undefined;
      try {
        // Transparent (bound to the client's address) and/or the group's socket options, set before connect.
        if (cfg.transparent || cfg.socket) fd = upstreamSocketFd(this.conn.rt, cfg, this.conn.proxied ?? this.conn.client, s);
      } catch (err) {
        failure = (err as Error).message;
      }
      failure ??= this.conn.plane.connect(s, cfg.connectTimeoutMs, this, fd);
      if (failure === undefined) { this.connecting = true; return; } // connected() comes later
      this.attemptFailed(failure);
    }
    this.conn.refuse(at.code === 'ERR_NO_UPSTREAM' ? 'no_upstream' : 'upstream_connect_failed');
  }

  private attemptFailed(failure: string): void {
    const at = this.attempts;
    const s = at.current!;
    at.failed(s);
    noteConnectFailure(this.conn.rt, at.group, s, failure);
  }

  connected(up: unknown, failure: string | undefined): void {
    this.connecting = false;
    try {
      this.onConnected(up, failure);
    } catch (err) {
      if (up !== undefined && !this.link && !this.gone && !this.connecting) {
        this.attempts.current!.active--;
        this.conn.plane.close(up);
      }
      this.conn.abort(err);
    }
  }

  private onConnected(up: unknown, failure: string | undefined): void {
    const conn = this.conn;
    if (failure !== undefined) {
      if (this.gone) {
        this.attempts.failed(this.attempts.current!);
        conn.plane.close(conn.ref);
        return conn.end(conn.readBytes, 0);
      }
      this.attemptFailed(failure);
      return this.tryNext();
    }
    const at = this.attempts;
    const server = at.current!;
    server.succeeded();
    if (this.gone) {
      server.active--;
      conn.plane.close(up);
      conn.plane.close(conn.ref);
      return conn.end(conn.readBytes, 0);
    }
    conn.upstream = server.cfg.address;
    let head: Buffer | undefined = this.first;
    const header = buildProxyHeader(at.group.cfg, conn);
    if (header) head = head.length ? Buffer.concat([header, head]) : header;
    this.link = conn.plane.attach(conn.ref, up, head, this);
    if (!this.link) {
      // The plane closed both sockets (the client had gone, or epoll refused it).
      server.active--;
      conn.end(conn.readBytes, 0);
    }
  }

  /** The link's end (LinkOwner). */
  onClose(s: LinkStats): void {
    this.attempts.current!.active--;
    const conn = this.conn;
    conn.reason = s.reason;
    conn.end(conn.readBytes + s.toUpstream, s.toClient);
  }
}

/** A failed connect to one server: counted and logged (the next server may still answer). */
function noteConnectFailure(rt: ListenerRuntime, group: UpstreamGroup, server: UpstreamServer, message: string): void {
  rt.metrics.upstreamFailures.inc2(group.cfg.name, server.cfg.address);
  rt.log.warn({ upstream: server.cfg.address, err: message }, 'upstream connect failed');
}
