// "host:port" parsing used by every listen/upstream setting. IPv6 hosts must be
// bracketed ("[::1]:53"), as in nginx and URLs.
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  let host: string;
  let portText: string | undefined;
  if (m) {
    host = m[1]!;
    portText = m[2];
  } else if (defaultPort !== undefined && (isIP(text.replace(/^\[|\]$/g, '')) || /^[A-Za-z0-9.-]+$/.test(text))) {
    host = text.replace(/^\[|\]$/g, '');
  } else {
    throw new Error(`must be host:port (IPv6 as [addr]:port), got ${JSON.stringify(text)}`);
  }
  const port = portText === undefined ? defaultPort! : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port out of range (0 to 65535) in ${JSON.stringify(text)}`);
  if (host.includes(':') && isIP(host) !== 6) throw new Error(`bad IPv6 address in ${JSON.stringify(text)}`);
  return { host, port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
