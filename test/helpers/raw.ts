// Raw UDP and TCP senders for byte-level tests: send exact bytes, get exact
// bytes back (or nothing, within a timeout).
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { buildQuery } from './wire.js';
import type { Server } from './dig.js';

/** Sends one datagram and resolves with the first reply, or undefined after `timeoutMs`. */
export function udpExchange(server: Server, packet: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    const finish = (v: Buffer | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('message', (msg) => finish(msg));
    sock.on('error', () => finish(undefined));
    sock.send(packet, server.port, server.host);
  });
}

/** Prefixes a message with its two-byte length (RFC 1035 §4.2.2, RFC 7766). */
export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** A TCP connection that splits the byte stream back into DNS messages. */
export class TcpClient {
  readonly messages: Buffer[] = [];
  readonly closed: Promise<void>;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const len = this.buf.readUInt16BE(0);
        this.messages.push(this.buf.subarray(2, 2 + len));
        this.buf = this.buf.subarray(2 + len);
      }
      this.wake();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => { this.isClosed = true; this.wake(); resolve(); }));
    socket.on('error', () => undefined);
  }

  /** `localAddress` picks the source address (another 127.x address looks like another client). */
  static connect(server: Server, timeoutMs = 3000, localAddress?: string): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: server.host, port: server.port, ...(localAddress ? { localAddress } : {}) });
      const timer = setTimeout(() => { socket.destroy(); reject(new Error('TCP connect timeout')); }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(new TcpClient(socket)); });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Sends each message framed, all in one write (pipelined). */
  send(...msgs: Buffer[]): void {
    this.socket.write(Buffer.concat(msgs.map(frame)));
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits until `n` messages arrived in total, or the timeout / close; returns those received. */
  async waitFor(n: number, timeoutMs = 3000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n && !this.isClosed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.messages.slice(0, n);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One query over a fresh TCP connection. */
export async function tcpExchange(server: Server, packet: Buffer, timeoutMs = 3000, localAddress?: string): Promise<Buffer | undefined> {
  const c = await TcpClient.connect(server, timeoutMs, localAddress);
  try {
    c.send(packet);
    const [m] = await c.waitFor(1, timeoutMs);
    return m;
  } finally {
    c.close();
  }
}

/** Polls with a UDP query until the server answers anything (REFUSED counts). */
export async function waitForAnswer(server: Server, timeoutMs: number, isDead?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (isDead?.()) throw new Error('process exited while waiting for it to answer');
    const reply = await udpExchange(server, buildQuery({ name: 'example.com', type: 'SOA' }), 300);
    if (reply) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no DNS answer from ${server.host}:${server.port} within ${timeoutMs} ms`);
}
