// Runs Debian's dig and kdig against a server and parses what they print into
// sections, so tests read like a user checking answers by hand.
import { run } from './process.js';

export interface Rec {
  name: string;   // owner as printed (case kept)
  ttl: number;
  class: string;
  type: string;
  data: string;   // rdata as printed, whitespace collapsed
}

export interface DigReply {
  status: string;                 // NOERROR, NXDOMAIN, FORMERR, BADVERS, ...
  id: number;
  flags: Set<string>;             // qr aa tc rd ra ...
  opt?: { version: number; udp: number; flags: string; ecs?: string };
  question: string[];
  answer: Rec[];
  authority: Rec[];
  additional: Rec[];              // without the OPT pseudo-record
  /** The tool's whole output, for failure messages. */
  text: string;
}

export interface Server {
  host: string;
  port: number;
}

type Section = 'question' | 'answer' | 'authority' | 'additional' | undefined;

function parseRecord(line: string): Rec | undefined {
  const m = /^(\S+)\s+(\d+)\s+(IN|CH|HS|CLASS\d+)\s+(\S+)\s*(.*)$/.exec(line.trim());
  if (!m) return undefined;
  return { name: m[1]!, ttl: Number(m[2]), class: m[3]!, type: m[4]!, data: m[5]!.replace(/\s+/g, ' ').trim() };
}

/** Parses dig or kdig text output (one message; the first one if there are more). */
export function parseDigOutput(text: string): DigReply | undefined {
  const header = /->>HEADER<<- opcode: (\w+)[,;] status: (\w+)[,;] id: (\d+)/.exec(text);
  if (!header) return undefined;
  const reply: DigReply = { status: header[2]!, id: Number(header[3]), flags: new Set(), question: [], answer: [], authority: [], additional: [], text };
  const flags = /;; [Ff]lags: ([a-z ]*);/.exec(text);
  for (const f of (flags?.[1] ?? '').trim().split(/\s+/)) if (f) reply.flags.add(f);
  // dig: "; EDNS: version: 0, flags:; udp: 1232"; kdig: ";; Version: 0; flags: ; UDP size: 1232 B; ..."
  const edns = /; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(text) ?? /;; Version: (\d+); flags:([^;]*); UDP size: (\d+)/.exec(text);
  if (edns) {
    const ecs = /CLIENT-SUBNET: (\S+)/.exec(text);
    reply.opt = { version: Number(edns[1]), flags: edns[2]!.trim(), udp: Number(edns[3]), ...(ecs ? { ecs: ecs[1]! } : {}) };
  }
  let section: Section;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const head = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (head) { section = head[1]!.toLowerCase() as Section; continue; }
    if (line === '' ) continue;
    if (line.startsWith(';; ') && /^;; (Received|Time|From|Query time|SERVER|WHEN|MSG SIZE)/.test(line)) { section = undefined; continue; }
    if (section === 'question') { if (line.startsWith(';')) reply.question.push(line.replace(/^;+\s*/, '').replace(/\s+/g, ' ')); continue; }
    if (!section || line.startsWith(';')) continue;
    const rec = parseRecord(line);
    if (rec && rec.type !== 'OPT') reply[section].push(rec);
  }
  return reply;
}

function serverArgs(s: Server): string[] {
  return [`@${s.host}`, '-p', String(s.port)];
}

/** Runs `dig @server args...` (two tries, 3 s timeout each: a loaded shared machine may drop one datagram) and parses its answer; throws when no answer came. */
export async function dig(server: Server, args: string[]): Promise<DigReply> {
  const r = await run('dig', [...serverArgs(server), '+tries=2', '+time=3', '+nocmd', '+nostats', ...args]);
  const reply = parseDigOutput(r.stdout);
  if (!reply) throw new Error(`dig ${args.join(' ')} got no answer (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return reply;
}

/** Runs `kdig @server args...` and parses its answer; throws when no answer came. */
export async function kdig(server: Server, args: string[]): Promise<DigReply> {
  const r = await run('kdig', [...serverArgs(server), '+retry=1', '+time=3', ...args]);
  const reply = parseDigOutput(r.stdout);
  if (!reply) throw new Error(`kdig ${args.join(' ')} got no answer (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return reply;
}

/** "name ttl class type data" lines of a section, sorted: compare RRsets as sets. */
export function rrLines(recs: Rec[], opts: { ttl?: boolean; lowerNames?: boolean } = {}): string[] {
  return recs
    .map((r) => {
      const name = opts.lowerNames === false ? r.name : r.name.toLowerCase();
      return [name, ...(opts.ttl === false ? [] : [String(r.ttl)]), r.class, r.type, r.data].join(' ');
    })
    .sort();
}

/** Record data of one type in a section, sorted. */
export function datas(recs: Rec[], type: string): string[] {
  return recs.filter((r) => r.type === type).map((r) => r.data).sort();
}
