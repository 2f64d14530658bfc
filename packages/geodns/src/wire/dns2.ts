// The only file that imports dns2 (the design's chosen DNS library). It is
// NOT on the serving path: dns2's parse + encode manages ~40k queries/s, below
// the ~130k/s target, so geodns parses and encodes with its own code
// (query.ts, message.ts, template.ts). dns2 stays as an independent decoder
// that tests use to cross-check what our encoder writes, and as the peer in
// scripts/bench/wire-micro.mjs.
import { Packet, type Resource } from 'dns2';

/** A dns2 view of the message: what a second, unrelated decoder makes of our bytes. */
export type Dns2Packet = Packet;

/** Decodes with dns2's Packet.parse; its own errors come back as { ok: false }. */
export function decodeWithDns2(buf: Buffer): { ok: true; packet: Dns2Packet } | { ok: false; error: string } {
  try {
    return { ok: true, packet: Packet.parse(buf) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** What a dns2-based server does per query: parse, build an A answer, encode (benchmark peer). */
export function answerWithDns2(query: Buffer, addresses: string[]): Buffer {
  const req = Packet.parse(query);
  const res = Packet.createResponseFromRequest(req);
  const name = req.questions[0].name;
  for (const address of addresses) {
    // dns2's typings want a Resource instance; at run time a plain record is what its encoder reads.
    res.answers.push({ name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 300, address } as Resource);
  }
  return res.toBuffer();
}
