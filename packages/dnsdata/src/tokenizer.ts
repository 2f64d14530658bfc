// Master-file tokens (RFC 1035 §5.1), shared by the zone-file parser and
// by record-content parsing (PowerDNS "content" strings, API input).
//
//   - tokens are separated by blanks (space, tab, CR);
//   - "..." is one token that may hold blanks and ';'; `\X` quotes X;
//   - ';' starts a comment to the end of the line (not inside quotes);
//   - '(' ... ')' lets one record span lines; newlines inside are blanks,
//     except inside a quoted string, which keeps them (a multi-line LUA script);
//   - in a one-record text (tokenize(): PowerDNS content), a quoted string may
//     hold newlines without parentheses (octoDNS stores multi-line scripts so);
//   - a line starting with a blank has no owner (it reuses the previous one).
//
// Tokens keep their escapes (`\.`, `\DDD`): names and character-strings
// decode them differently, so the consumer decides (parseName, decodeCharString).
// The scanner walks character codes once with no regular expressions, so
// large zones tokenize in linear time.
import { readEscape } from './name.js';

export interface Token {
  text: string;      // raw text, escapes kept, quotes removed
  quoted: boolean;
}

/** One record's worth of tokens (possibly spanning lines via parentheses). */
export interface LogicalLine {
  line: number;       // 1-based line where it starts
  indented: boolean;  // starts with a blank: no owner field
  tokens: Token[];
  error?: string;     // a lexical problem; the line should be reported, not used
}

/**
 * Longest record text (one logical line, parentheses included). The largest
 * RDATA, 65,535 octets written as \DDD escapes, is 262,140 characters; with
 * comments inside the parentheses 1 Mi characters is still generous. Past it a
 * "(" was surely never closed: without this a file of garbage that opens more
 * than it closes is one "record" of the whole file (seconds, a million tokens).
 */
export const MAX_RECORD_TEXT = 1 << 20;

const SP = 0x20, TAB = 0x09, CR = 0x0d, LF = 0x0a, SEMI = 0x3b, LP = 0x28, RP = 0x29, DQ = 0x22, BS = 0x5c;

export class Tokenizer {
  private pos = 0;
  private lineNo = 1;
  private rewound = false;
  /** `multiline`: quoted strings may span lines outside parentheses too (one-record texts). */
  constructor(private readonly src: string, private readonly multiline = false) {}

  /** The next logical line with at least one token or an error; null at the end. */
  next(): LogicalLine | null {
    const s = this.src;
    while (this.pos < s.length) {
      const start = this.pos;
      const startLine = this.lineNo;
      const c0 = s.charCodeAt(start);
      const out: LogicalLine = { line: startLine, indented: c0 === SP || c0 === TAB, tokens: [] };
      this.scanRecord(out, start, startLine);
      if (out.tokens.length > 0 || out.error) return out;
    }
    return null;
  }

  /** Scans from `start` to the end of the record, filling `out`. */
  private scanRecord(out: LogicalLine, start: number, startLine: number): void {
    const s = this.src;
    let depth = 0;
    let reopen = -1; // where to restart if a '(' is never closed
    let i = start;
    while (i < s.length) {
      if (i - start > MAX_RECORD_TEXT) {
        // Give up on this record; the next physical line starts afresh.
        out.error ??= `record text longer than ${MAX_RECORD_TEXT} characters${depth > 0 ? ' (a "(" never closed?)' : ''}`;
        out.tokens.length = 0;
        const lf = s.indexOf('\n', i);
        i = lf < 0 ? s.length : lf;
        depth = 0;
        break;
      }
      const c = s.charCodeAt(i);
      if (c === SP || c === TAB || c === CR) { i++; continue; }
      if (c === LF) {
        this.lineNo++;
        i++;
        if (depth === 0) break;
        if (reopen < 0) reopen = i;
        continue;
      }
      if (c === SEMI) { while (i < s.length && s.charCodeAt(i) !== LF) i++; continue; }
      if (c === LP) { depth++; i++; continue; }
      if (c === RP) {
        if (depth === 0) out.error ??= `unbalanced ")"`;
        else depth--;
        i++;
        continue;
      }
      if (c === DQ) {
        i = this.scanQuoted(out, i, depth > 0 || this.multiline);
        if (out.error && depth > 0) depth = 0; // don't let a lost quote swallow later records
        continue;
      }
      i = this.scanWord(out, i);
    }
    if (depth > 0) {
      out.error ??= `unbalanced "(": not closed before the end of the file`;
      if (reopen >= 0 && !this.rewound) {
        // Resume right after the line that opened it, so later records are still
        // checked. Only once: rewinding for every unclosed "(" would make a file
        // full of them take quadratic time.
        this.rewound = true;
        i = reopen;
        this.lineNo = startLine + 1;
      }
    }
    this.pos = i;
  }

  /** A quoted string from `q`; it may span lines when `lines` (inside parentheses, or multiline). */
  private scanQuoted(out: LogicalLine, q: number, lines: boolean): number {
    const s = this.src;
    const line = this.lineNo;
    let firstLf = -1;
    let i = q + 1;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === DQ) {
        out.tokens.push({ text: s.slice(q + 1, i), quoted: true });
        return i + 1;
      }
      if (c === LF) {
        if (!lines) break;
        if (firstLf < 0) firstLf = i;
        this.lineNo++;
      }
      i += c === BS && s.charCodeAt(i + 1) !== LF ? 2 : 1;
    }
    if (!lines) {
      out.error ??= `unterminated quoted string (a string spanning lines must be inside "( )")`;
      return Math.min(i, s.length);
    }
    out.error ??= `unterminated quoted string`;
    if (firstLf < 0) return s.length;
    // Never closed: go on from the next line, so the records after it are still read.
    this.lineNo = line;
    return firstLf;
  }

  private scanWord(out: LogicalLine, w: number): number {
    const s = this.src;
    let i = w;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === SP || c === TAB || c === CR || c === LF || c === SEMI || c === LP || c === RP || c === DQ) break;
      if (c === BS) {
        if (i + 1 >= s.length || s.charCodeAt(i + 1) === LF) { out.error ??= `dangling backslash`; i++; break; }
        i += 2;
        continue;
      }
      i++;
    }
    out.tokens.push({ text: s.slice(w, i), quoted: false });
    return i;
  }
}

/** All tokens of a one-record text such as a PowerDNS content string; throws on lexical errors. */
export function tokenize(text: string): Token[] {
  const t = new Tokenizer(text, true);
  const tokens: Token[] = [];
  for (let l = t.next(); l; l = t.next()) {
    if (l.error) throw new Error(l.error);
    tokens.push(...l.tokens);
  }
  return tokens;
}

/** The octets of a character-string token (RFC 1035 §5.1 escapes; other text as UTF-8). */
export function decodeCharString(raw: string): Buffer {
  if (raw.indexOf('\\') < 0) return Buffer.from(raw, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === BS) i = readEscape(raw, i, out);
    else if (c < 0x80) out.push(c);
    else {
      const cp = raw.codePointAt(i)!;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(out);
}

/** A quoted character-string: `"` and `\` escaped, non-printable octets as \DDD. */
export function encodeCharString(bytes: Buffer): string {
  let out = '"';
  for (const b of bytes) {
    if (b === DQ || b === BS) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${b.toString().padStart(3, '0')}`;
  }
  return out + '"';
}
