// SVCB and HTTPS, RFC 9460 §2.2 (wire) and §2.1 (text):
//
//   | SvcPriority (16) | TargetName (uncompressed) | SvcParams: { key (16) | length (16) | value }... |
//
//   1 svc.example.net. mandatory=alpn,port alpn=h2,h3 port=8443 ipv4hint=192.0.2.1 ech="…" ipv6hint=2001:db8::1
//
// Keys (§14.3.2): mandatory=0 alpn=1 no-default-alpn=2 port=3 ipv4hint=4 ech=5
// ipv6hint=6, anything else as keyNNNNN (value as a character-string). On the
// wire the params are sorted by key and a key may appear once (§2.2); mandatory
// lists keys, sorted, never itself (§8). A value may be quoted (`alpn="h2,h3"`,
// the tokenizer then gives `alpn=` and the quoted text as two tokens).
// The text we write is PowerDNS 4.7's: keys in order, alpn and hints bare,
// ech and unknown keys quoted.
import type { Cursor } from './rdata-cursor.js';
import { decodeCharString, encodeCharString } from './tokenizer.js';
import { ipv4ToBytes, bytesToIpv4, ipv6ToBytes, bytesToIpv6 } from './ip.js';
import { nameToWire, readWireName } from './rdata-names.js';

const KEYS = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint'];

function keyCode(word: string): number {
  const known = KEYS.indexOf(word.toLowerCase());
  if (known >= 0) return known;
  const m = /^key([0-9]{1,5})$/i.exec(word);
  if (!m || Number(m[1]) > 65534) throw new Error(`unknown SvcParamKey "${word}"`);
  return Number(m[1]);
}

function keyName(code: number): string {
  return KEYS[code] ?? `key${code}`;
}

/** Wire octets for SVCB/HTTPS text. */
export function parseSvcb(c: Cursor): Buffer {
  const prio = Buffer.alloc(2);
  prio.writeUInt16BE(c.uint('priority', 0xffff));
  const target = nameToWire(c.name('target'));
  const params = new Map<number, Buffer>();
  while (!c.done()) {
    const w = c.token('SvcParam');
    if (w.quoted) throw new Error(`SvcParam "${w.text}" must start with a key`);
    const eq = w.text.indexOf('=');
    const key = keyCode(eq < 0 ? w.text : w.text.slice(0, eq));
    let value: string | undefined = eq < 0 ? undefined : w.text.slice(eq + 1);
    if (value === '') value = c.token(`${keyName(key)} value`).text; // key="quoted value"
    if (params.has(key)) throw new Error(`SvcParam ${keyName(key)} is given twice`);
    params.set(key, paramValue(key, value));
  }
  checkMandatory(params);
  const parts: Buffer[] = [prio, target];
  for (const key of [...params.keys()].sort((a, b) => a - b)) {
    const v = params.get(key)!;
    const head = Buffer.alloc(4);
    head.writeUInt16BE(key, 0);
    head.writeUInt16BE(v.length, 2);
    parts.push(head, v);
  }
  return Buffer.concat(parts);
}

/** Splits on unescaped commas (RFC 9460 Appendix A.1), keeping escapes for the caller to decode. */
function commaList(v: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\' && i + 1 < v.length) { cur += v[i]! + v[i + 1]!; i++; continue; }
    if (v[i] === ',') { out.push(cur); cur = ''; continue; }
    cur += v[i];
  }
  out.push(cur);
  if (out.some((x) => x === '')) throw new Error(`empty item in list "${v}"`);
  return out;
}

function paramValue(key: number, v: string | undefined): Buffer {
  const name = keyName(key);
  if (key === 2) {
    if (v !== undefined) throw new Error('no-default-alpn takes no value');
    return Buffer.alloc(0);
  }
  if (v === undefined) {
    if (key > 6) return Buffer.alloc(0);
    throw new Error(`${name} needs a value`);
  }
  switch (key) {
    case 0: {
      const keys = commaList(v).map(keyCode).sort((a, b) => a - b);
      const b = Buffer.alloc(keys.length * 2);
      keys.forEach((k, i) => {
        if (k === 0) throw new Error('mandatory may not list itself');
        if (i > 0 && keys[i - 1] === k) throw new Error(`mandatory lists ${keyName(k)} twice`);
        b.writeUInt16BE(k, i * 2);
      });
      return b;
    }
    case 1: return Buffer.concat(commaList(v).map((id) => {
      const b = decodeCharString(id);
      if (b.length > 255) throw new Error(`alpn id of ${b.length} octets, over 255`);
      return Buffer.concat([Buffer.from([b.length]), b]);
    }));
    case 3: {
      if (!/^[0-9]{1,5}$/.test(v) || Number(v) > 0xffff) throw new Error(`port "${v}" must be an integer 0-65535`);
      const b = Buffer.alloc(2);
      b.writeUInt16BE(Number(v));
      return b;
    }
    case 4: return Buffer.concat(commaList(v).map(ipv4ToBytes));
    case 5: {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new Error('ech is not valid base64');
      return Buffer.from(v, 'base64');
    }
    case 6: return Buffer.concat(commaList(v).map(ipv6ToBytes));
    default: return decodeCharString(v);
  }
}

function checkMandatory(params: Map<number, Buffer>): void {
  const m = params.get(0);
  if (!m) return;
  for (let i = 0; i < m.length; i += 2) {
    const k = m.readUInt16BE(i);
    if (!params.has(k)) throw new Error(`mandatory lists ${keyName(k)}, which is not given`);
  }
}

/** PowerDNS's text for SVCB/HTTPS wire octets; undefined if malformed. */
export function formatSvcb(b: Buffer, noDot: boolean): string | undefined {
  if (b.length < 3) return undefined;
  const target = readWireName(b, 2);
  if (!target) return undefined;
  const out = [String(b.readUInt16BE(0)), noDot && target.name !== '.' ? target.name.slice(0, -1) : target.name];
  let off = target.end;
  let last = -1;
  while (off < b.length) {
    if (off + 4 > b.length) return undefined;
    const key = b.readUInt16BE(off);
    const len = b.readUInt16BE(off + 2);
    const v = b.subarray(off + 4, off + 4 + len);
    if (key <= last || v.length !== len) return undefined;
    last = key;
    off += 4 + len;
    const text = formatParam(key, v);
    if (text === undefined) return undefined;
    out.push(text);
  }
  return out.join(' ');
}

function formatParam(key: number, v: Buffer): string | undefined {
  const name = keyName(key);
  const list = (size: number, f: (x: Buffer) => string) => {
    if (v.length === 0 || v.length % size !== 0) return undefined;
    const items: string[] = [];
    for (let i = 0; i < v.length; i += size) items.push(f(v.subarray(i, i + size)));
    return `${name}=${items.join(',')}`;
  };
  switch (key) {
    case 0: return list(2, (x) => keyName(x.readUInt16BE(0)));
    case 1: {
      const ids: string[] = [];
      for (let i = 0; i < v.length; i += 1 + v[i]!) {
        if (v[i] === 0 || i + 1 + v[i]! > v.length) return undefined;
        ids.push(encodeCharString(v.subarray(i + 1, i + 1 + v[i]!)).slice(1, -1).replace(/,/g, '\\,'));
      }
      return ids.length ? `alpn=${ids.join(',')}` : undefined;
    }
    case 2: return v.length === 0 ? name : undefined;
    case 3: return v.length === 2 ? `port=${v.readUInt16BE(0)}` : undefined;
    case 4: return list(4, bytesToIpv4);
    case 5: return `ech="${v.toString('base64')}"`;
    case 6: return list(16, bytesToIpv6);
    default: return v.length === 0 ? name : `${name}=${encodeCharString(v)}`;
  }
}
