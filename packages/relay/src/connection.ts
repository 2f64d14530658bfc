// One TCP connection, start to end, on whichever plane accepted it: caps →
// PROXY header (trusted sources only) → preread until a route decides →
// handler → one access log line. The plane reads the client's first bytes on
// the socket it accepted and relays on the same socket: the client never
// changes hands.
import { parseClientHello, type HelloResult } from './wire/client-hello.js';
import { decodeProxyHeader, headerAddresses } from './wire/proxy-header.js';
import type { ProxyAddress } from './wire/proxy-types.js';
import { selectRoute, type Route } from './route.js';
import { addClient, type ListenerRuntime, type Snapshot } from './listen/runtime.js';
import { finishConnection, noteInternalError, type ConnInfo } from './conn-info.js';
import { ProxyHandler, type ProxiedConnection } from './handlers/proxy.js';
import type { ReadSink, TcpPlane } from './dataplane/plane.js';

/** Routes that need no bytes decide without them: the ClientHello is never there. */
const NO_HELLO = (): HelloResult => ({ kind: 'need-more' });
const EMPTY = Buffer.alloc(0);
const PROXY = 1, PREREAD = 2, HANDLED = 3, ENDED = 4;

/** A client a listener's plane accepted. */
export function acceptTcp(plane: TcpPlane, ref: unknown, peer: ProxyAddress, local: ProxyAddress, rt: ListenerRuntime): void {
  const snap = rt.snapshot;
  const l = snap.listener;
  const k = new TcpConnection(plane, ref, rt, snap, peer, local);
  try {
    if (rt.open.size >= l.maxConnections) return k.refuse('limit_total');
    rt.open.add(k);
    const pp = l.proxyAccept;
    if (pp) {
      if (!pp.trusted.has(peer.address)) {
        rt.log.warn({ client: peer.address }, 'PROXY header from an untrusted source: closed');
        return k.refuse('untrusted_proxy_source');
      }
      return k.startReading(PROXY, pp.timeoutMs);
    }
    if (!l.needBytes) return k.decide(true); // the common plain-TCP case: no timer, no reading
    k.startReading(PREREAD, l.prereadTimeoutMs);
    // Routes that need no bytes (client CIDR, default) decide at once: server-speaks-first works.
    k.decide(false);
  } catch (err) {
    k.abort(err);
  }
}

function onTimer(k: TcpConnection): void {
  k.timedOut();
}

/**
 * The connection: its drain entry (in rt.open), the sink of its first bytes,
 * the access log's fields, and what the proxy handler needs of it. One object,
 * so a plain connection allocates little besides its handler and link.
 */
class TcpConnection implements ConnInfo, ReadSink, ProxiedConnection {
  readonly start = Date.now();
  proxied: ProxyAddress | undefined = undefined;
  destination: ProxyAddress;
  sni: string | undefined = undefined;
  alpn: string[] | undefined = undefined;
  route: number | undefined = undefined;
  upstream: string | undefined = undefined;
  reason = 'done';
  counted: string | undefined = undefined;
  readBytes = 0;
  private phase = 0;
  private buf: Buffer = EMPTY;
  private timer: NodeJS.Timeout | undefined = undefined;
  private helloLen = -1;
  private hello: HelloResult = { kind: 'need-more' };
  private handler: ProxyHandler | undefined = undefined;

  constructor(readonly plane: TcpPlane, readonly ref: unknown, readonly rt: ListenerRuntime, readonly snap: Snapshot, readonly client: ProxyAddress, local: ProxyAddress) {
    this.destination = local;
  }

  /** Reads the client's first bytes; `ms` bounds the phase (set once per phase, not per byte). */
  startReading(phase: number, ms: number): void {
    this.phase = phase;
    this.timer = setTimeout(onTimer, ms, this);
    this.plane.read(this.ref, this);
  }

  private stopReading(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.phase === PROXY || this.phase === PREREAD) this.plane.read(this.ref, undefined);
  }

  onBytes(chunk: Buffer): void {
    if (this.phase !== PROXY && this.phase !== PREREAD) return;
    this.readBytes += chunk.length;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    try {
      if (this.phase === PROXY) this.readProxy();
      else this.decide(this.buf.length >= this.snap.listener.prereadMax);
    } catch (err) {
      this.abort(err);
    }
  }

  onEnd(error: string | undefined): void {
    try {
      if (error !== undefined) this.close(error, false);
      else if (this.phase === PROXY) this.close('proxy_header_incomplete');
      else if (this.phase === PREREAD) this.decide(true);
    } catch (err) {
      this.abort(err);
    }
  }

  timedOut(): void {
    this.timer = undefined;
    try {
      if (this.phase === PROXY) this.close('proxy_header_timeout');
      else if (this.phase === PREREAD) this.decide(true);
    } catch (err) {
      this.abort(err);
    }
  }

  private readProxy(): void {
    const r = decodeProxyHeader(this.buf);
    if (r.kind === 'need-more') return;
    if (r.kind === 'error') return this.close(r.code);
    const named = headerAddresses(r.header);
    if (named) {
      this.proxied = named.source;
      this.destination = named.destination;
    }
    this.buf = this.buf.subarray(r.length);
    const l = this.snap.listener;
    clearTimeout(this.timer);
    this.phase = PREREAD;
    // Routes that need no bytes decide now: no preread timer to set and clear.
    this.timer = l.needBytes ? setTimeout(onTimer, l.prereadTimeoutMs, this) : undefined;
    this.decide(this.buf.length >= l.prereadMax);
  }

  private helloOf(): HelloResult {
    if (this.helloLen !== this.buf.length) {
      this.hello = parseClientHello(this.buf, this.snap.listener.prereadMax);
      this.helloLen = this.buf.length;
    }
    return this.hello;
  }

  /** Routes on what is known; `final`: no more bytes will come (timeout, FIN, preread_max). */
  decide(final: boolean): void {
    if (this.phase === ENDED || this.phase === HANDLED) return;
    const l = this.snap.listener;
    const rt = this.rt;
    const client = (this.proxied ?? this.client).address;
    if (this.counted === undefined) {
      if (!addClient(rt, client, l.maxPerClient)) return this.close('limit_per_client');
      this.counted = client;
    }
    if (!l.needBytes) {
      const d = selectRoute(l.routes, { client, dest: this.destination, hello: NO_HELLO, final: true });
      return d.kind === 'route' ? this.dispatch(d.route) : this.close('no_route');
    }
    if (l.onPrereadFail === 'close') {
      const h = this.helloOf();
      if (h.kind === 'not-tls' || h.kind === 'too-large' || (h.kind === 'need-more' && final)) return this.close(`preread_${h.kind}`);
    }
    const d = selectRoute(l.routes, { client, dest: this.destination, hello: () => this.helloOf(), final });
    if (d.kind === 'need-more') return;
    const h = this.helloOf();
    if (h.kind === 'ok') {
      if (h.sni !== undefined) this.sni = h.sni;
      this.alpn = h.alpn;
    }
    if (d.kind === 'none') return this.close('no_route');
    this.dispatch(d.route);
  }

  private dispatch(route: Route): void {
    this.stopReading();
    this.phase = HANDLED;
    this.route = route.index;
    if (route.handler.kind === 'close') return this.close('route_close', false);
    const group = this.snap.groups.get(route.handler.upstream)!;
    const first = this.buf;
    this.buf = EMPTY;
    this.handler = new ProxyHandler(this, group, first);
    this.handler.start();
  }

  /** Closes the client (nothing relayed) and ends the connection with `reason`, counted as an error unless told. */
  close(reason: string, counted = true): void {
    if (this.phase === ENDED) return;
    this.stopReading();
    this.reason = reason;
    if (counted) this.rt.metrics.errors.inc2(this.rt.name, reason);
    this.plane.close(this.ref);
    this.end(this.readBytes, 0);
  }

  refuse(reason: string): void {
    this.close(reason);
  }

  end(bytesIn: number, bytesOut: number): void {
    if (this.phase === ENDED) return;
    this.phase = ENDED;
    finishConnection(this.rt, this, this, bytesIn, bytesOut);
  }

  /** The drain deadline (rt.open entries). */
  destroy(): void {
    if (!this.handler?.destroy('drain_timeout')) this.close('drain_timeout', false);
  }

  abort(err: unknown): void {
    if (this.phase === ENDED) return;
    noteInternalError(this.rt, err);
    if (this.handler?.destroy('internal_error')) return;
    this.close('internal_error', false);
  }
}
