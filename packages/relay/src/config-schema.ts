// The relay's config schema (TypeBox). Shape follows caddy-l4: listeners hold
// routes; a route's matchers (sni, alpn, client) select a handler (an upstream
// group, or close). Checked by @geoedge/shared checkConfig; errors by path.
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_FORM, DURATION_PATTERN } from './net/duration.js';

// `expected` is what a config error says the key accepts (@geoedge/shared checkConfig).
const Duration = (def: string, description?: string) => Type.String({ pattern: DURATION_PATTERN, default: def, description, expected: DURATION_FORM });
const HostPort = Type.String({ pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]\\s]+):\\d{1,5}$', description: 'host:port, IPv6 as [addr]:port', expected: 'host:port (IPv6 as [addr]:port), such as 10.0.0.2:443' });
const CidrList = Type.Array(Type.String({ minLength: 1, expected: 'an address or CIDR such as 192.0.2.0/24' }), { minItems: 1 });
const Name = Type.String({ pattern: '^[A-Za-z0-9_.-]+$', expected: 'a name of letters, digits, "_", "." and "-"' });

export const ServerSchema = Type.Object(
  {
    address: HostPort,
    weight: Type.Integer({ minimum: 1, maximum: 1000, default: 1 }),
    backup: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

// Socket options (native/sockopts.ts sets them; the listener's first log line
// reports what the kernel holds). TCP-only keys on a UDP listener are config errors.
const SocketCommon = {
  /** TCP congestion control (TCP_CONGESTION), checked against the kernel's available list. */
  congestion: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,15}$', expected: 'a congestion control name such as bbr or cubic' })),
  /** SO_KEEPALIVE with TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT. */
  keepalive: Type.Optional(Type.Object({ idle: Duration('2h'), interval: Duration('75s'), count: Type.Integer({ minimum: 1, maximum: 127, default: 9 }) }, { additionalProperties: false })),
  /** SO_MARK (policy routing: ip rule fwmark); needs CAP_NET_ADMIN. */
  mark: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, expected: 'an integer from 0 to 4294967295' })),
  /** IP_TOS / IPV6_TCLASS byte, or `dscp` (the upper six bits); at most one of the two. */
  tos: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, expected: 'an integer from 0 to 255' })),
  dscp: Type.Optional(Type.Integer({ minimum: 0, maximum: 63, expected: 'an integer from 0 to 63 (46 = EF)' })),
  /** SO_RCVBUF / SO_SNDBUF in bytes (the kernel doubles it and caps it at net.core.[rw]mem_max). */
  rcvbuf: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1 << 30, expected: 'bytes, from 1024 to 1073741824' })),
  sndbuf: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1 << 30, expected: 'bytes, from 1024 to 1073741824' })),
  /** TCP_USER_TIMEOUT: how long sent data may stay unacknowledged before the connection is dropped. */
  user_timeout: Type.Optional(Type.String({ pattern: DURATION_PATTERN, expected: DURATION_FORM })),
};
/** On a listener `fastopen` is the TFO queue length (TCP_FASTOPEN on the listening socket). */
export const ListenerSocketSchema = Type.Object(
  { ...SocketCommon, fastopen: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, expected: 'the TCP Fast Open queue length, 1 to 65535' })) },
  { additionalProperties: false },
);
/** On an upstream group `fastopen: true` sets TCP_FASTOPEN_CONNECT on its connects (SYN carries the first bytes). */
export const UpstreamSocketSchema = Type.Object(
  { ...SocketCommon, fastopen: Type.Optional(Type.Boolean({ expected: 'true or false (TCP_FASTOPEN_CONNECT)' })) },
  { additionalProperties: false },
);

export const HealthCheckSchema = Type.Object(
  {
    interval: Duration('5s'),
    timeout: Duration('2s'),
    /** Consecutive failed checks before a server is marked down, and passes before up again. */
    fails: Type.Integer({ minimum: 1, default: 2 }),
    passes: Type.Integer({ minimum: 1, default: 1 }),
  },
  { additionalProperties: false },
);

export const UpstreamSchema = Type.Object(
  {
    servers: Type.Optional(Type.Array(Type.Union([HostPort, ServerSchema]), { minItems: 1 })),
    /** Instead of servers: connect to each connection's original destination (tproxy listeners, or a PROXY header's). */
    original_destination: Type.Boolean({ default: false }),
    balance: Type.Union([Type.Literal('round_robin'), Type.Literal('least_conn'), Type.Literal('hash')], { default: 'round_robin' }),
    proxy_protocol: Type.Union([Type.Literal('none'), Type.Literal('v1'), Type.Literal('v2')], { default: 'none' }),
    /** v2 only: add AUTHORITY (SNI) and ALPN TLVs when known. */
    proxy_protocol_tlvs: Type.Boolean({ default: true }),
    connect_timeout: Duration('5s'),
    /** How many servers one connection may try (connect failure → next server). */
    tries: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
    max_fails: Type.Integer({ minimum: 0, default: 1 }),
    fail_timeout: Duration('10s'),
    health_check: Type.Optional(HealthCheckSchema),
    /** Connect with the client's address as source (IP_TRANSPARENT); last hop only. */
    transparent: Type.Boolean({ default: false }),
    socket: Type.Optional(UpstreamSocketSchema),
  },
  { additionalProperties: false },
);

export const RouteSchema = Type.Object(
  {
    match: Type.Optional(
      Type.Object(
        {
          sni: Type.Optional(Type.Array(Type.String({ pattern: '^(\\*\\.)?[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*\\.?$', expected: 'a host name, or *.domain for any name under it' }), { minItems: 1 })),
          alpn: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1 })),
          client: Type.Optional(CidrList),
          /** The connection's destination: the original one on a tproxy listener. */
          dest: Type.Optional(Type.Object({
            addresses: Type.Optional(CidrList),
            ports: Type.Optional(Type.Array(Type.Union([
              Type.Integer({ minimum: 1, maximum: 65535, expected: 'a port from 1 to 65535, or a range such as "8000-8099"' }),
              Type.String({ pattern: '^\\d{1,5}-\\d{1,5}$', expected: 'a port range such as "8000-8099", or a port from 1 to 65535' }),
            ], { expected: 'a port (443) or a range ("8000-8099")' }), { minItems: 1 })),
          }, { additionalProperties: false })),
          /** Matches when the first flight is not TLS (plain HTTP, SSH...). */
          not_tls: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    upstream: Type.Optional(Type.String({ minLength: 1 })),
    close: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ListenerSchema = Type.Object(
  {
    name: Name,
    protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { default: 'tcp' }),
    listen: Type.Array(HostPort, { minItems: 1 }),
    /** Accept PROXY v1/v2 from these sources only; others are closed and logged. */
    proxy_protocol: Type.Optional(
      Type.Object({ trusted: CidrList, timeout: Duration('5s') }, { additionalProperties: false }),
    ),
    preread_timeout: Duration('5s'),
    preread_max_bytes: Type.Integer({ minimum: 512, maximum: 65536, default: 16384 }),
    /** What to do when SNI routes cannot read a ClientHello: fall through to later routes, or close. */
    on_preread_fail: Type.Union([Type.Literal('continue'), Type.Literal('close')], { default: 'continue' }),
    idle_timeout: Duration('10m', 'TCP idle timeout, or UDP session idle timeout'),
    max_connections: Type.Integer({ minimum: 1, default: 10000, description: 'TCP connections or UDP sessions' }),
    max_per_client: Type.Integer({ minimum: 0, default: 0, description: '0 = no per-client limit' }),
    routes: Type.Array(RouteSchema, { minItems: 1 }),
    /**
     * TPROXY interception: IP_TRANSPARENT on the listening socket, so it takes
     * connections and datagrams for any destination the host's TPROXY rules send
     * it (deploy/tproxy/); the original destination feeds `dest` and `original_destination`.
     */
    tproxy: Type.Boolean({ default: false }),
    socket: Type.Optional(ListenerSocketSchema),
  },
  { additionalProperties: false },
);

export const RelayConfigSchema = Type.Object(
  {
    log_level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
    /** Prometheus /metrics and /healthz; omitted = no admin port. */
    admin: Type.Optional(HostPort),
    drain_timeout: Duration('10s'),
    /** Worker processes sharing the listening sockets (like nginx worker_processes). */
    workers: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
    /**
     * engine: TCP bytes move in an epoll loop over raw fds (Linux, through koffi),
     * never as JavaScript objects; streams: Node's pipe().
     */
    data_plane: Type.Union([Type.Literal('engine'), Type.Literal('streams')], { default: 'engine' }),
    /** In the engine, a direction whose read fills the 256 KiB buffer switches to splice(2). */
    splice: Type.Boolean({ default: false }),
    // Checked one by one against UpstreamSchema (TypeBox fills no defaults inside a Record).
    upstreams: Type.Record(Name, Type.Unknown()),
    listeners: Type.Array(ListenerSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type RelayConfigInput = Static<typeof RelayConfigSchema>;  // upstreams: unknown until checked
export type UpstreamInput = Static<typeof UpstreamSchema>;
export type ListenerInput = Static<typeof ListenerSchema>;
export type RouteInput = Static<typeof RouteSchema>;
export type ListenerSocketInput = Static<typeof ListenerSocketSchema>;
export type UpstreamSocketInput = Static<typeof UpstreamSocketSchema>;
