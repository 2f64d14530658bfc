// A routed test topology: client — veth — router — veth — server, three network
// namespaces where the router sits on both links (unlike createTestNet's one
// bridged segment). The client's only way out is its default route through the
// router; whether the router forwards, and whether the server routes back
// through it, is the caller's choice (a relay that terminates connections on the
// router needs neither; one that intercepts forwarded traffic needs both).
// destroy() is safe after a partial setup. Needs root and iproute2.
import { namespaceOps, sh, type TestNet } from './netns.js';

export type RoutedHost = 'client' | 'router' | 'server';

/**
 * Addresses with their prefix length, per interface; IPv6 ones (with a colon)
 * are added without duplicate address detection so they are usable at once.
 */
export interface RoutedPlan {
  client: string[];
  /** The router's interface on the client's link, then on the server's link. */
  router: { client: string[]; server: string[] };
  server: string[];
}

export interface RoutedNet extends TestNet {
  /** Namespace names (`<tag>-client` etc.). */
  ns: Record<RoutedHost, string>;
  /** The router's interfaces (deploy scripts take these names): towards the client, towards the server. */
  routerDev: { client: string; server: string };
}

const family = (addr: string) => (addr.includes(':') ? '-6' : '-4');
const bare = (addr: string) => addr.split('/')[0]!;

/**
 * Makes the three namespaces. `tag` is short (it prefixes device names, at
 * most 15 characters): devices are `<tag>c` (client), `<tag>r0`/`<tag>r1`
 * (router) and `<tag>s` (server). With `forward`, the router forwards IPv4 and
 * IPv6 and the server's default route goes through it.
 */
export function createRoutedNet(tag: string, plan: RoutedPlan, opts: { forward?: boolean } = {}): RoutedNet {
  if (`${tag}r0`.length > 15) throw new Error(`createRoutedNet: tag ${tag} is too long for device names (at most 13 characters)`);
  const ns: Record<RoutedHost, string> = { client: `${tag}-client`, router: `${tag}-router`, server: `${tag}-server` };
  const names: string[] = [];
  const ops = namespaceOps((h) => ns[h as RoutedHost] ?? `${tag}-${h}`, names);
  const net: RoutedNet = { ...ops, ns, routerDev: { client: `${tag}r0`, server: `${tag}r1` } };
  const ifaces: Array<[RoutedHost, string, string[]]> = [
    ['client', `${tag}c`, plan.client], ['router', net.routerDev.client, plan.router.client],
    ['router', net.routerDev.server, plan.router.server], ['server', `${tag}s`, plan.server],
  ];
  /** Default routes of `host` through the router's addresses on its link, one per family. */
  const defaultVia = (host: RoutedHost, routerAddrs: string[]) => {
    for (const a of routerAddrs) net.exec(host, ['ip', family(a), 'route', 'add', 'default', 'via', bare(a)]);
  };
  try {
    for (const n of Object.values(ns)) { sh(['ip', 'netns', 'add', n]); names.push(n); }
    sh(['ip', 'link', 'add', `${tag}c`, 'netns', ns.client, 'type', 'veth', 'peer', 'name', net.routerDev.client, 'netns', ns.router]);
    sh(['ip', 'link', 'add', `${tag}s`, 'netns', ns.server, 'type', 'veth', 'peer', 'name', net.routerDev.server, 'netns', ns.router]);
    for (const [host, dev, addrs] of ifaces) {
      for (const a of addrs) net.exec(host, ['ip', family(a), 'addr', 'add', a, 'dev', dev, ...(family(a) === '-6' ? ['nodad'] : [])]);
      net.exec(host, ['ip', 'link', 'set', dev, 'up']);
      net.exec(host, ['ip', 'link', 'set', 'lo', 'up']);
    }
    defaultVia('client', plan.router.client);
    if (opts.forward) {
      defaultVia('server', plan.router.server);
      net.exec('router', ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      net.exec('router', ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
    }
  } catch (err) {
    net.destroy();
    throw err;
  }
  return net;
}
