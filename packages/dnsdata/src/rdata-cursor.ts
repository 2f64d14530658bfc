// A cursor over one record's data tokens that names each field in its errors.
import { parseName } from './name.js';
import { parseTtl } from './ttl.js';
import { type Token, decodeCharString } from './tokenizer.js';

/** Walks the tokens of one record's data, naming each field in errors. */
export class Cursor {
  private i: number;
  constructor(private readonly tokens: Token[], private readonly origin: string, start = 0) {
    this.i = start;
  }
  done(): boolean { return this.i >= this.tokens.length; }
  token(field: string): Token {
    if (this.done()) throw new Error(`missing ${field}`);
    return this.tokens[this.i++];
  }
  word(field: string): string { return this.token(field).text; }
  name(field: string): string {
    const t = this.word(field);
    try {
      return parseName(t, this.origin);
    } catch (err) {
      throw new Error(`${field}: ${(err as Error).message}`);
    }
  }
  uint(field: string, max: number): number {
    const t = this.word(field);
    if (!/^[0-9]{1,10}$/.test(t) || Number(t) > max) throw new Error(`${field} "${t}" must be an integer 0-${max}`);
    return Number(t);
  }
  time(field: string): number {
    const t = this.word(field);
    try {
      return parseTtl(t);
    } catch (err) {
      throw new Error(`${field}: ${(err as Error).message}`);
    }
  }
  charString(field: string): Buffer {
    const b = decodeCharString(this.word(field));
    if (b.length > 255) throw new Error(`${field} string is ${b.length} octets, over the 255 limit`);
    return b;
  }
  /** A TXT/SPF string: any length (the wire splits it into 255-octet pieces). */
  text(field: string): Buffer {
    return decodeCharString(this.word(field));
  }
  /** The remaining tokens as one hex string (blanks allowed between digits, RFC 4034 §5.3). */
  hex(field: string): Buffer {
    let hex = this.word(field);
    while (!this.done()) hex += this.word(field);
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new Error(`${field} "${hex}" is not an even number of hex digits`);
    return Buffer.from(hex, 'hex');
  }
  /** The remaining tokens as one base64 string (RFC 4034 §2.2 allows blanks inside). */
  base64(field: string): Buffer {
    let b64 = this.word(field);
    while (!this.done()) b64 += this.word(field);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new Error(`${field} is not valid base64`);
    return Buffer.from(b64, 'base64');
  }
  end(): void {
    if (!this.done()) throw new Error(`unexpected extra data "${this.tokens[this.i].text}"`);
  }
}
