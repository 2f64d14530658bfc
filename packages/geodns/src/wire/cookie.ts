// DNS Cookies, RFC 7873, with server cookies in the interoperable format of
// RFC 9018 (so NS1 and NS2, or geodns and another implementation behind one
// address, accept each other's cookies when they share the secret).
//
// COOKIE option (code 10), RFC 7873 §4:
//     | OPTION-CODE = 10 | OPTION-LENGTH = 8, or 16..40 |
//     | Client Cookie (8 octets) | Server Cookie (0, or 8..32 octets) |
// Server Cookie, RFC 9018 §4.2 (16 octets):
//     | Version = 1 (1) | Reserved (3) | Timestamp (4, Unix seconds) | Hash (8) |
//     Hash = SipHash-2-4(Client Cookie | Version | Reserved | Timestamp | Client IP, secret)
// A server cookie is good when its hash matches (under the current or the
// previous secret) and its timestamp lies within [now - 1 h, now + 5 min]
// (§4.3). A fresh one is made when the one received is older than half an
// hour or was made with the previous secret; otherwise it is echoed.
//
// RFC 7873 §5.2: no COOKIE → normal; malformed length → FORMERR; client cookie
// only, or a server cookie that is not good → processed as client-only
// (normal answer with a new server cookie; BADCOOKIE is a policy choice, made
// by stages/rrl.ts when the client is being rate limited); good → normal, and
// the client is known to receive at its address (exempt from RRL).
import { siphash24 } from './siphash.js';

export const OPTION_COOKIE = 10;

/** What a query's cookie says (the chain's view; `none` = no COOKIE option). */
export const COOKIE = { NONE: 0, CLIENT: 1, BAD: 2, GOOD: 3, MALFORMED: 4 } as const;

/** The RCODE BADCOOKIE (RFC 7873 §8): 23, so 7 in the header and 1 in the OPT's extended RCODE. */
export const RCODE_BADCOOKIE = 23;

const VALID_BEFORE = 3600, VALID_AHEAD = 300, RENEW_AFTER = 1800;

/** True when the option length is one RFC 7873 §5.2.2 allows (8, or 16..40). */
export function cookieLengthOk(len: number): boolean {
  return len === 8 || (len >= 16 && len <= 40);
}

export class CookieSigner {
  /** The COOKIE option data to send back (client cookie + our server cookie), filled by check(). */
  readonly reply = Buffer.alloc(24);
  private readonly msg = new Uint8Array(8 + 8 + 16);
  private readonly hash = new Uint8Array(8);

  private secret!: Uint8Array;
  private previous: Uint8Array | undefined;

  /** @param secret 16 bytes; @param previous the secret before the last rotation, still accepted */
  constructor(secret: Uint8Array, previous?: Uint8Array) {
    this.setSecrets(secret, previous);
  }

  /** Rotation: cookies made under `previous` stay good (and are renewed under `secret`). */
  setSecrets(secret: Uint8Array, previous?: Uint8Array): void {
    if (secret.length !== 16 || (previous && previous.length !== 16)) throw new Error('cookie secrets are 16 bytes');
    this.secret = Uint8Array.from(secret);
    this.previous = previous && Uint8Array.from(previous);
  }

  /**
   * Judges the COOKIE option data at opt[at, at+len) from a client at
   * ip[ipAt, +ipLen) (4 or 16 octets) at Unix time `now`; unless MALFORMED,
   * `reply` then holds the option data to answer with. Allocates nothing.
   */
  check(opt: Uint8Array, at: number, len: number, ip: Uint8Array, ipAt: number, ipLen: number, now: number): number {
    if (!cookieLengthOk(len)) return COOKIE.MALFORMED;
    const m = this.msg;
    for (let i = 0; i < 8; i++) m[i] = opt[at + i]!;
    for (let i = 0; i < ipLen; i++) m[16 + i] = ip[ipAt + i]!;
    let status: number = len === 8 ? COOKIE.CLIENT : COOKIE.BAD;
    let renew = true;
    if (len === 24 && opt[at + 8] === 1) {
      const ts = ((opt[at + 12]! << 24) | (opt[at + 13]! << 16) | (opt[at + 14]! << 8) | opt[at + 15]!) >>> 0;
      const age = (now - ts) | 0; // serial arithmetic: the timestamp wraps in 2106
      if (age <= VALID_BEFORE && age >= -VALID_AHEAD) {
        for (let i = 0; i < 8; i++) m[8 + i] = opt[at + 8 + i]!;
        if (this.matches(this.secret, opt, at, ipLen)) {
          status = COOKIE.GOOD;
          renew = age > RENEW_AFTER;
        } else if (this.previous && this.matches(this.previous, opt, at, ipLen)) {
          status = COOKIE.GOOD; // made before the rotation: good, but answer with one under the new secret
        }
      }
    }
    const r = this.reply;
    if (!renew) {
      for (let i = 0; i < 24; i++) r[i] = opt[at + i]!;
      return status;
    }
    this.make(now, ipLen);
    return status;
  }

  /** The server cookie for the client cookie and address in `msg` at time `now`, into reply[8..24). */
  private make(now: number, ipLen: number): void {
    const m = this.msg, r = this.reply;
    m[8] = 1; m[9] = 0; m[10] = 0; m[11] = 0;
    m[12] = (now >>> 24) & 0xff; m[13] = (now >>> 16) & 0xff; m[14] = (now >>> 8) & 0xff; m[15] = now & 0xff;
    siphash24(this.secret, m, 16 + ipLen, r, 16);
    for (let i = 0; i < 16; i++) r[i] = m[i]!;
  }

  private matches(secret: Uint8Array, opt: Uint8Array, at: number, ipLen: number): boolean {
    const h = this.hash;
    siphash24(secret, this.msg, 16 + ipLen, h, 0);
    for (let i = 0; i < 8; i++) if (h[i] !== opt[at + 16 + i]) return false;
    return true;
  }
}
