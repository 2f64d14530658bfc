// TLS ClientHello preread: find SNI and ALPN without terminating TLS.
//
// RFC 8446 section 5.1 (record layer):
//   struct { ContentType type (22 = handshake); ProtocolVersion legacy_record_version;
//            uint16 length; opaque fragment[length]; } TLSPlaintext;   (length <= 2^14)
// RFC 8446 section 4 / 4.1.2 (handshake; may span several records):
//   struct { HandshakeType msg_type (1 = client_hello); uint24 length; ... } Handshake;
//   struct { ProtocolVersion legacy_version; Random random[32];
//            opaque legacy_session_id<0..32>; CipherSuite cipher_suites<2..2^16-2>;
//            opaque legacy_compression_methods<1..2^8-1>; Extension extensions<8..2^16-1>;
//   } ClientHello;
// RFC 6066 section 3 (server_name, type 0): ServerNameList <1..2^16-1> of
//   { NameType name_type (0 = host_name); opaque HostName<1..2^16-1> }
// RFC 7301 section 3.1 (ALPN, type 16): ProtocolNameList <2..2^16-1> of opaque ProtocolName<1..2^8-1>

export type HelloResult =
  | { kind: 'ok'; sni?: string; alpn: string[] }
  | { kind: 'need-more' }
  | { kind: 'not-tls'; reason: string }
  | { kind: 'too-large' };

const HANDSHAKE = 22;
const CLIENT_HELLO = 1;

/** Parses the first flight in `buf`; `max` bounds how many bytes we are willing to wait for. */
export function parseClientHello(buf: Buffer, max = 16384): HelloResult {
  const hs = reassemble(buf, max);
  if (hs.kind !== 'ok') return hs;
  return parseHello(hs.body);
}

/** Concatenates handshake record fragments until the whole ClientHello message is present. */
function reassemble(buf: Buffer, max: number): { kind: 'ok'; body: Buffer } | Exclude<HelloResult, { kind: 'ok' }> {
  // The declared ClientHello length is in the first record's first bytes: give up
  // early on an oversized hello instead of buffering up to the limit.
  if (buf.length >= 9 && buf[0] === HANDSHAKE && buf[5] === CLIENT_HELLO && 4 + buf.readUIntBE(6, 3) > max) return { kind: 'too-large' };
  const parts: Buffer[] = [];
  let have = 0;
  let want = -1;
  let o = 0;
  for (;;) {
    if (buf.length >= 1 && buf[0] !== HANDSHAKE) return { kind: 'not-tls', reason: 'first byte is not a TLS handshake record' };
    if (o + 5 > buf.length) return more(buf, max);
    if (buf[o] !== HANDSHAKE) return { kind: 'not-tls', reason: 'non-handshake record inside the first flight' };
    if (buf[o + 1] !== 3) return { kind: 'not-tls', reason: 'record version is not 3.x' };
    const len = buf.readUInt16BE(o + 3);
    if (len === 0 || len > 16384 + 256) return { kind: 'not-tls', reason: `bad record length ${len}` };
    if (o + 5 + len > buf.length) return more(buf, max);
    parts.push(buf.subarray(o + 5, o + 5 + len));
    have += len;
    o += 5 + len;
    if (want < 0 && have >= 4) {
      const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (head[0] !== CLIENT_HELLO) return { kind: 'not-tls', reason: 'first handshake message is not a ClientHello' };
      want = 4 + head.readUIntBE(1, 3);
      if (want > max) return { kind: 'too-large' };
    }
    if (want >= 0 && have >= want) {
      const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      return { kind: 'ok', body: all.subarray(4, want) };
    }
  }
}

function more(buf: Buffer, max: number): HelloResult & { kind: 'need-more' | 'too-large' } {
  return buf.length >= max ? { kind: 'too-large' } : { kind: 'need-more' };
}

/** Cursor-based reader: any read past the end throws RangeError, turned into not-tls. */
function parseHello(b: Buffer): HelloResult {
  try {
    let o = 2 + 32; // legacy_version, random
    o += 1 + b[o]!; // session id
    o += 2 + b.readUInt16BE(o); // cipher suites
    o += 1 + b[o]!; // compression methods
    if (o === b.length) return { kind: 'ok', alpn: [] }; // no extensions at all
    const extEnd = o + 2 + b.readUInt16BE(o);
    if (extEnd > b.length) return { kind: 'not-tls', reason: 'extensions run past the ClientHello' };
    o += 2;
    let sni: string | undefined;
    let alpn: string[] = [];
    while (o + 4 <= extEnd) {
      const type = b.readUInt16BE(o);
      const len = b.readUInt16BE(o + 2);
      const body = b.subarray(o + 4, o + 4 + len);
      if (body.length !== len) return { kind: 'not-tls', reason: 'extension runs past the ClientHello' };
      if (type === 0) sni = readSni(body);
      else if (type === 16) alpn = readAlpn(body);
      o += 4 + len;
    }
    return sni === undefined ? { kind: 'ok', alpn } : { kind: 'ok', sni, alpn };
  } catch {
    return { kind: 'not-tls', reason: 'truncated ClientHello' };
  }
}

function readSni(b: Buffer): string | undefined {
  const end = 2 + b.readUInt16BE(0);
  for (let o = 2; o + 3 <= end; ) {
    const type = b[o]!;
    const len = b.readUInt16BE(o + 1);
    if (type === 0) {
      const name = b.toString('latin1', o + 3, o + 3 + len).toLowerCase();
      // A host name is LDH labels only; anything else must not reach routing or logs.
      return /^[a-z0-9_.-]{1,253}$/.test(name) ? name.replace(/\.$/, '') : undefined;
    }
    o += 3 + len;
  }
  return undefined;
}

function readAlpn(b: Buffer): string[] {
  const out: string[] = [];
  const end = Math.min(b.length, 2 + b.readUInt16BE(0));
  for (let o = 2; o < end; ) {
    const len = b[o]!;
    out.push(b.toString('latin1', o + 1, o + 1 + len));
    o += 1 + len;
  }
  return out;
}

/**
 * Builds a syntactically valid ClientHello (for tests and health probes). `padding`
 * adds an extension of that many bytes, like a post-quantum key share would;
 * `recordSize` splits the handshake over several records.
 */
export function encodeClientHello(o: { sni?: string; alpn?: string[]; padding?: number; recordSize?: number }): Buffer {
  const exts: Buffer[] = [];
  if (o.sni !== undefined) {
    const n = Buffer.from(o.sni, 'latin1');
    exts.push(ext(0, Buffer.concat([u16(n.length + 3), Buffer.from([0]), u16(n.length), n])));
  }
  if (o.alpn?.length) {
    const list = Buffer.concat(o.alpn.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])));
    exts.push(ext(16, Buffer.concat([u16(list.length), list])));
  }
  if (o.padding) exts.push(ext(21, Buffer.alloc(o.padding)));
  const extBlock = Buffer.concat(exts);
  const hello = Buffer.concat([
    Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0]),
    u16(2), Buffer.from([0x13, 0x01]), Buffer.from([1, 0]),
    u16(extBlock.length), extBlock,
  ]);
  const hs = Buffer.concat([Buffer.from([CLIENT_HELLO]), u24(hello.length), hello]);
  const size = o.recordSize ?? 16384;
  const records: Buffer[] = [];
  for (let i = 0; i < hs.length; i += size) {
    const frag = hs.subarray(i, i + size);
    records.push(Buffer.from([HANDSHAKE, 3, 1]), u16(frag.length), frag);
  }
  return Buffer.concat(records);
}

function ext(type: number, body: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(body.length), body]);
}
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function u24(n: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUIntBE(n, 0, 3);
  return b;
}
