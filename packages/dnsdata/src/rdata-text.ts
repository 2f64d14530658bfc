// Record data in presentation form (RFC 1035 §5.1 and each type's RFC):
//   A 192.0.2.1 | AAAA 2001:db8::1 | NS/CNAME/PTR name | MX pref name
//   SOA mname rname serial refresh retry expire minimum   (timers may be 1h, 2d, 1w)
//   TXT/SPF one or more character-strings | SRV prio weight port target
//   CAA flags tag value | NAPTR order pref flags services regexp replacement
//   DS keytag alg digesttype hex... | any type: \# <len> <hex...> (RFC 3597 §5)
//   LUA <type> "chunk" ["chunk"...]   (PowerDNS; chunks are joined with no separator)
//   DNAME name | ALIAS name (PowerDNS) | RP mbox txtname | URI prio weight "target"
//   LOC (RFC 1876 §3) | SVCB/HTTPS prio target key=value... (RFC 9460 §2.1)
// TXT/SPF strings may be longer than 255 octets (long SPF, 2048-bit DKIM keys):
// they are kept whole and split on the wire, as PowerDNS does.
// formatRdata writes the PowerDNS "content" form: names absolute with the
// trailing dot, strings quoted, as the PowerDNS HTTP API and zone export show.
import type { Rdata } from './types.js';
import { TYPE } from './types.js';
import { checkIpv4, ipv6ToBytes, bytesToIpv6 } from './ip.js';
import { rdataFromWire } from './rdata-wire.js';
import { META_TYPES, typeCode, typeName } from './rr-type.js';
import { type Token, tokenize, decodeCharString, encodeCharString } from './tokenizer.js';
import { Cursor } from './rdata-cursor.js';
import { parseOtherText, formatOtherText, CDS } from './rdata-other.js';

export { typeCode, typeName } from './rr-type.js';

/** Outcome form of parseRdata, for callers validating input (API bodies). */
export type RdataResult = { ok: true; data: Rdata } | { ok: false; error: string };

/** Parses record data text for `type`; relative names are made absolute against `origin`. Throws on bad input. */
export function parseRdata(type: number, text: string, origin: string): Rdata {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (err) {
    throw new Error(`${typeName(type)} record data: ${(err as Error).message}`);
  }
  return parseRdataTokens(type, tokens, origin);
}

export function checkRdata(type: number, text: string, origin: string): RdataResult {
  try {
    return { ok: true, data: parseRdata(type, text, origin) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Like parseRdata, from tokens already split by the master-file tokenizer (the data starts at `start`). */
export function parseRdataTokens(type: number, tokens: Token[], origin: string, start = 0): Rdata {
  try {
    if (META_TYPES.has(type)) throw new Error('is a meta type and cannot hold record data');
    const first = tokens[start];
    if (first && !first.quoted && first.text === '\\#') return parseGeneric(type, tokens.slice(start));
    const c = new Cursor(tokens, origin, start);
    const data = parseTyped(type, c);
    c.end();
    return data;
  } catch (err) {
    throw new Error(`${typeName(type)} record data: ${(err as Error).message}`);
  }
}

/** RFC 3597 §5: `\# <length> <hex>...`; known types become their typed variant. */
function parseGeneric(type: number, tokens: Token[]): Rdata {
  if (type === TYPE.LUA) throw new Error('LUA records have no \\# form');
  if (tokens.length < 2 || !/^[0-9]{1,5}$/.test(tokens[1].text)) throw new Error('\\# needs a decimal length');
  const len = Number(tokens[1].text);
  const hex = tokens.slice(2).map((t) => t.text).join('');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`\\# data "${hex}" is not an even number of hex digits`);
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length !== len) throw new Error(`\\# length ${len} does not match ${bytes.length} octets of data`);
  return rdataFromWire(type, bytes) ?? { kind: 'raw', bytes };
}

function parseTyped(type: number, c: Cursor): Rdata {
  switch (type) {
    case TYPE.A: { const address = c.word('address'); checkIpv4(address); return { kind: 'a', address }; }
    case TYPE.AAAA: return { kind: 'aaaa', address: bytesToIpv6(ipv6ToBytes(c.word('address'))) };
    case TYPE.NS: case TYPE.CNAME: case TYPE.PTR: case TYPE.DNAME: case TYPE.ALIAS:
      return { kind: 'name', target: c.name('target') };
    case TYPE.MX: return { kind: 'mx', preference: c.uint('preference', 0xffff), exchange: c.name('exchange') };
    case TYPE.SOA:
      return {
        kind: 'soa', mname: c.name('mname'), rname: c.name('rname'), serial: c.uint('serial', 0xffffffff),
        refresh: c.time('refresh'), retry: c.time('retry'), expire: c.time('expire'), minimum: c.time('minimum'),
      };
    case TYPE.TXT: case TYPE.SPF: {
      const strings = [c.text('text')];
      while (!c.done()) strings.push(c.text('text'));
      const len = txtWireLength(strings);
      if (len > 0xffff) throw new Error(`the strings take ${len} octets on the wire, over 65535`);
      return { kind: 'txt', strings };
    }
    case TYPE.SRV:
      return {
        kind: 'srv', priority: c.uint('priority', 0xffff), weight: c.uint('weight', 0xffff),
        port: c.uint('port', 0xffff), target: c.name('target'),
      };
    case TYPE.CAA: return parseCaa(c);
    case TYPE.NAPTR:
      return {
        kind: 'naptr', order: c.uint('order', 0xffff), preference: c.uint('preference', 0xffff),
        flags: c.charString('flags'), services: c.charString('services'), regexp: c.charString('regexp'),
        replacement: c.name('replacement'),
      };
    case TYPE.DS: case CDS: return parseDs(c);
    case TYPE.LUA: return parseLua(c);
    default: {
      const bytes = parseOtherText(type, c);
      if (!bytes) throw new Error(`no text form is known for this type; write it as \\# <length> <hex>`);
      return { kind: 'raw', bytes };
    }
  }
}

function parseCaa(c: Cursor): Rdata {
  const flags = c.uint('flags', 255);
  const tag = c.word('tag');
  if (!/^[A-Za-z0-9]{1,255}$/.test(tag)) throw new Error(`CAA tag "${tag}" must be letters and digits`);
  const value = decodeCharString(c.token('value').text);
  if (value.length > 65535) throw new Error('CAA value is too long');
  return { kind: 'caa', flags, tag, value };
}

function parseDs(c: Cursor): Rdata {
  const keyTag = c.uint('key tag', 0xffff);
  const algorithm = c.uint('algorithm', 255);
  const digestType = c.uint('digest type', 255);
  return { kind: 'ds', keyTag, algorithm, digestType, digest: c.hex('digest') };
}

function parseLua(c: Cursor): Rdata {
  const inner = c.word('record type');
  const innerType = typeCode(inner);
  if (innerType === undefined || innerType === TYPE.LUA || META_TYPES.has(innerType)) {
    throw new Error(`"${inner}" is not a record type a LUA record can produce`);
  }
  const chunks = [decodeCharString(c.token('code').text)];
  while (!c.done()) chunks.push(decodeCharString(c.token('code').text));
  return { kind: 'lua', innerType, code: Buffer.concat(chunks).toString('utf8') };
}

/**
 * RDATA octets of TXT/SPF strings: each string as ⌈len/255⌉ character-strings of
 * 255 octets (the last shorter; an empty string is one empty character-string),
 * which is how PowerDNS (DNSPacketWriter::xfrText) sends a string over 255 octets.
 */
export function txtWireLength(strings: Buffer[]): number {
  let n = 0;
  for (const s of strings) n += s.length + Math.max(1, Math.ceil(s.length / 255));
  return n;
}

/**
 * PowerDNS "content" text for record data of `type`. `noDot` writes the names
 * inside RP and SVCB/HTTPS data without their trailing dot, PowerDNS's stored
 * (gmysql) form; callers strip the other types' names themselves.
 */
export function formatRdata(type: number, data: Rdata, noDot = false): string {
  switch (data.kind) {
    case 'a': case 'aaaa': return data.address;
    case 'name': return data.target;
    case 'mx': return `${data.preference} ${data.exchange}`;
    case 'soa':
      return `${data.mname} ${data.rname} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
    case 'txt': return data.strings.map(encodeCharString).join(' ');
    case 'srv': return `${data.priority} ${data.weight} ${data.port} ${data.target}`;
    case 'caa': return `${data.flags} ${data.tag} ${encodeCharString(data.value)}`;
    case 'naptr':
      return `${data.order} ${data.preference} ${encodeCharString(data.flags)} ${encodeCharString(data.services)} ` +
        `${encodeCharString(data.regexp)} ${data.replacement}`;
    case 'ds': return `${data.keyTag} ${data.algorithm} ${data.digestType} ${data.digest.toString('hex')}`;
    // PowerDNS writes empty generic data as "\# 0 " (trailing space); we match it byte for byte.
    case 'raw': return formatOtherText(type, data.bytes, noDot) ?? `\\# ${data.bytes.length} ${data.bytes.toString('hex')}`;
    case 'lua': return `${typeName(data.innerType)} ${encodeCharString(Buffer.from(data.code, 'utf8'))}`;
    default: {
      const never: never = data;
      throw new Error(`formatRdata: unknown rdata kind for ${typeName(type)}: ${JSON.stringify(never)}`);
    }
  }
}
