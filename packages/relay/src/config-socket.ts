// Compiles a `socket:` block (listener or upstream group) into the values the
// native layer sets (native/sockopts.ts): durations become seconds or ms, dscp
// becomes the TOS byte. The congestion control name is checked against the
// kernel's list here, so `--check` and start refuse a name the kernel does not
// have instead of every connect failing later with ENOENT.
import { readFileSync } from 'node:fs';
import type { ListenerSocketInput, UpstreamSocketInput } from './config-schema.js';
import { parseDuration } from './net/duration.js';

export interface SocketOptions {
  congestion?: string;
  /** Listener: the TFO queue length. */
  fastopenQueue?: number;
  /** Upstream: TCP_FASTOPEN_CONNECT. */
  fastopenConnect?: boolean;
  /** Seconds, seconds, probes. */
  keepalive?: { idle: number; interval: number; count: number };
  mark?: number;
  tos?: number;
  rcvbuf?: number;
  sndbuf?: number;
  userTimeoutMs?: number;
}

export const CONGESTION_FILE = '/proc/sys/net/ipv4/tcp_available_congestion_control';

/** The kernel's available congestion control algorithms (undefined where the file cannot be read). */
export function availableCongestion(file = CONGESTION_FILE): string[] | undefined {
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
}

export interface SocketCompileContext {
  problems: string[];
  /** The available congestion controls (tests pass their own list). */
  congestion: string[] | undefined;
}

export function compileSocketOptions(
  s: ListenerSocketInput | UpstreamSocketInput,
  path: string,
  protocol: 'tcp' | 'udp' | 'upstream',
  ctx: SocketCompileContext,
): SocketOptions {
  const out: SocketOptions = {};
  const tcpOnly = (key: string) => {
    if (protocol === 'udp') ctx.problems.push(`${path}/${key}: a TCP option; a UDP listener takes mark, tos, dscp, rcvbuf and sndbuf`);
  };
  if (s.congestion !== undefined) {
    tcpOnly('congestion');
    const have = ctx.congestion;
    if (have && !have.includes(s.congestion)) {
      ctx.problems.push(`${path}/congestion: ${JSON.stringify(s.congestion)} is not available in this kernel; ${CONGESTION_FILE} lists ${have.join(', ')}` +
        ` (load its module first, e.g. modprobe tcp_${s.congestion})`);
    }
    out.congestion = s.congestion;
  }
  if (s.keepalive) {
    tcpOnly('keepalive');
    const sec = (d: string, key: string) => {
      const ms = parseDuration(d);
      if (ms < 1000 || ms > 32767 * 1000) ctx.problems.push(`${path}/keepalive/${key}: expected whole seconds from 1s to 32767s, got ${d}`);
      return Math.max(1, Math.round(ms / 1000));
    };
    out.keepalive = { idle: sec(s.keepalive.idle, 'idle'), interval: sec(s.keepalive.interval, 'interval'), count: s.keepalive.count };
  }
  if (s.user_timeout !== undefined) {
    tcpOnly('user_timeout');
    out.userTimeoutMs = parseDuration(s.user_timeout);
  }
  if (s.fastopen !== undefined && s.fastopen !== false) {
    tcpOnly('fastopen');
    if (typeof s.fastopen === 'number') out.fastopenQueue = s.fastopen;
    else out.fastopenConnect = true;
  }
  if (s.tos !== undefined && s.dscp !== undefined) ctx.problems.push(`${path}: give one of "tos" or "dscp", not both`);
  if (s.tos !== undefined) out.tos = s.tos;
  if (s.dscp !== undefined) out.tos = s.dscp << 2;
  if (s.mark !== undefined) out.mark = s.mark;
  if (s.rcvbuf !== undefined) out.rcvbuf = s.rcvbuf;
  if (s.sndbuf !== undefined) out.sndbuf = s.sndbuf;
  return out;
}

/** The options as the access log reports them (config names). */
export function describeSocketOptions(o: SocketOptions): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (o.congestion) d.congestion = o.congestion;
  if (o.fastopenQueue) d.fastopen = o.fastopenQueue;
  if (o.fastopenConnect) d.fastopen = true;
  if (o.keepalive) d.keepalive = o.keepalive;
  if (o.mark !== undefined) d.mark = o.mark;
  if (o.tos !== undefined) d.tos = o.tos;
  if (o.rcvbuf !== undefined) d.rcvbuf = o.rcvbuf;
  if (o.sndbuf !== undefined) d.sndbuf = o.sndbuf;
  if (o.userTimeoutMs !== undefined) d.user_timeout_ms = o.userTimeoutMs;
  return d;
}
