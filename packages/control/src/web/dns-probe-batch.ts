// Many ECS probes (dns-probe.ts) over one UDP socket: the web page's map asks
// geodns what it answers a client in each of thousands of places. A window of
// queries is kept in flight, each with its own 16-bit ID (a reply is matched to
// its query by ID, and by the question's client through the ID map); a query
// without a reply is sent again after `timeoutMs`, up to `tries` times, then
// reported as an error. The whole batch has one deadline.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { randomInt } from 'node:crypto';
import { typeCode } from '@geoedge/dnsdata';
import { buildProbeQuery, parseProbeReply, type ProbeResult, type ProbeTarget } from './dns-probe.js';

export interface BatchOptions {
  /** Queries in flight at once (default 100: at 200 a loaded geodns on loopback dropped some, and each drop costs a timeout). */
  window?: number;
  /** Wait for one reply before sending again (default 500 ms). */
  timeoutMs?: number;
  /** Sends per query (default 4). */
  tries?: number;
  /** The whole batch (default 15 s): what is unanswered then is an error. */
  deadlineMs?: number;
}

export function probeMany(target: ProbeTarget, qname: string, qtype: string, clients: string[], opts: BatchOptions = {}): Promise<ProbeResult[]> {
  const code = typeCode(qtype);
  if (code === undefined) return Promise.resolve(clients.map(() => ({ ok: false, error: `unknown type ${qtype}` })));
  const window = opts.window ?? 100, timeoutMs = opts.timeoutMs ?? 500, tries = opts.tries ?? 4;
  const results: Array<ProbeResult | undefined> = new Array(clients.length);
  const inFlight = new Map<number, { index: number; query: Buffer; sentAt: number; tries: number }>();
  const sock = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
  let next = 0, done = 0, idBase = randomInt(0, 0x10000);

  return new Promise((resolve) => {
    let finished = false;
    const finish = (error?: string): void => {
      if (finished) return;
      finished = true;
      clearInterval(ticker);
      clearTimeout(deadline);
      sock.close();
      resolve(results.map((r) => r ?? { ok: false, error: error ?? 'no answer' }));
    };
    const settle = (id: number, r: ProbeResult): void => {
      const q = inFlight.get(id);
      if (!q) return;
      inFlight.delete(id);
      results[q.index] = r;
      done++;
      fill();
    };
    const send = (id: number): void => {
      const q = inFlight.get(id)!;
      q.sentAt = Date.now();
      q.tries++;
      sock.send(q.query, target.port, target.host);
    };
    const fill = (): void => {
      while (inFlight.size < window && next < clients.length) {
        const index = next++;
        // IDs count up from a random start and skip any still in flight (a window is far below 65,536).
        let id = idBase++ & 0xffff;
        while (inFlight.has(id)) id = idBase++ & 0xffff;
        let query: Buffer;
        try {
          query = buildProbeQuery(id, qname, code, clients[index]!);
        } catch (err) {
          results[index] = { ok: false, error: (err as Error).message };
          done++;
          continue;
        }
        inFlight.set(id, { index, query, sentAt: 0, tries: 0 });
        send(id);
      }
      if (done === clients.length) finish();
    };
    // Resends what has waited too long; a few timers for the batch instead of one per query.
    const ticker = setInterval(() => {
      const now = Date.now();
      for (const [id, q] of inFlight) {
        if (now - q.sentAt < timeoutMs) continue;
        if (q.tries >= tries) settle(id, { ok: false, error: `no answer from geodns at ${target.host}:${target.port} after ${tries} tries` });
        else send(id);
      }
    }, Math.max(20, Math.floor(timeoutMs / 4)));
    const deadline = setTimeout(() => finish(`no answer within the batch's ${opts.deadlineMs ?? 15_000} ms`), opts.deadlineMs ?? 15_000);
    sock.on('error', (err) => finish(`geodns at ${target.host}:${target.port}: ${err.message}`));
    sock.on('message', (msg) => {
      if (msg.length < 2) return;
      const id = msg.readUInt16BE(0);
      if (!inFlight.has(id)) return;
      // TC on a small answer is geodns's response rate limiting slipping (RFC 5358 practice, BIND/Knot RRL):
      // these thousands of queries come from one address.
      if (msg.length >= 4 && (msg[2]! & 0x02) !== 0) settle(id, { ok: false, error: 'truncated reply: geodns rate-limits this address (add it to geodns\'s rrl.exempt)' });
      else settle(id, parseProbeReply(msg, id));
    });
    fill();
  });
}
