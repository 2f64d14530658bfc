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
    servers: Type.Array(Type.Union([HostPort, ServerSchema]), { minItems: 1 }),
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
