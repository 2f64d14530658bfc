// Master (zone) files, RFC 1035 §5.1:
//
//   $ORIGIN <domain-name> [<comment>]
//   $INCLUDE <file-name> [<domain-name>] [<comment>]
//   $TTL <ttl>                                              (RFC 2308 §4)
//   <domain-name><rr> [<comment>]
//   <blank><rr> [<comment>]                                 (owner = previous owner)
//   <rr> ::= [<TTL>] [<class>] <type> <RDATA>  |  [<class>] [<TTL>] <type> <RDATA>
//
// TTL of a record without one, in this order (what BIND does):
//   1. the last $TTL directive;
//   2. else the last TTL written explicitly on an earlier record (RFC 1035's rule);
//   3. else, for the SOA record itself, its MINIMUM field (it then counts as the last TTL);
//   4. else `opts.defaultTtl`;
//   5. else an error asking for $TTL.
// After an $INCLUDE the origin and current owner return to the including
// file's values (RFC 1035 §5.1); TTL state carries on, as in BIND.
// Every problem becomes a ZoneTextError with file and line, and parsing goes on
// up to MAX_ERRORS, so one pass reports the first few dozen (BIND and PowerDNS
// stop at the first; a file overwritten with garbage would otherwise cost a
// parse of every line and a list of a million errors). Only class IN is served.
// parseMasterFileSteps yields every few hundred lines, so a caller can parse a
// huge file in slices between answering queries (geodns zones/slices.ts).
import type { RR, ZoneTextError } from './types.js';
import { CLASS_IN, TYPE } from './types.js';
import { parseName } from './name.js';
import { parseTtl } from './ttl.js';
import { typeCode } from './rr-type.js';
import { parseRdataTokens } from './rdata-text.js';
import { Tokenizer, type LogicalLine, type Token } from './tokenizer.js';

export interface MasterFileOptions {
  origin: string;                       // absolute, e.g. "example.com."
  file: string;                         // named in errors
  defaultTtl?: number;
  include?: (path: string) => string;   // reads an $INCLUDE file; without it $INCLUDE is an error
}

export interface MasterFileResult {
  records: RR[];
  errors: ZoneTextError[];
}

/** RFC 2181 §8: TTLs are 31-bit. */
const MAX_TTL = 0x7fffffff;
const MAX_INCLUDE_DEPTH = 16;
/** Includes per parse: nested fan-out (A includes B 100 times, B includes C 100 times...) must not explode. */
const MAX_INCLUDES = 1000;
/** Errors reported before parsing stops (the last one says so). */
export const MAX_ERRORS = 50;
/** Logical lines between yields of parseMasterFileSteps. */
const STEP_LINES = 512;

const CLASSES: Record<string, number> = { IN: 1, CS: 2, CH: 3, HS: 4, NONE: 254, ANY: 255 };

interface Shared {
  opts: MasterFileOptions;
  out: MasterFileResult;
  dollarTtl?: number;
  lastTtl?: number;
  includeStack: string[];
  includes: number;
  stopped: boolean;
  lines: number;
}

interface FileState {
  file: string;
  origin: string;
  owner?: string;
}

export function parseMasterFile(text: string, opts: MasterFileOptions): MasterFileResult {
  const steps = parseMasterFileSteps(text, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** parseMasterFile as a generator: yields every few hundred lines, returns the result. */
export function* parseMasterFileSteps(text: string, opts: MasterFileOptions): Generator<void, MasterFileResult> {
  const shared: Shared = { opts, out: { records: [], errors: [] }, includeStack: [opts.file], includes: 0, stopped: false, lines: 0 };
  let origin = opts.origin;
  try {
    origin = parseName(opts.origin, '.');
  } catch (err) {
    shared.out.errors.push({ file: opts.file, line: 0, message: `origin: ${(err as Error).message}` });
    return shared.out;
  }
  // A UTF-8 byte-order mark (some Windows editors write one) is not part of the first owner name.
  yield* parseText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, { file: opts.file, origin }, shared);
  return shared.out;
}

function* parseText(text: string, st: FileState, sh: Shared): Generator<void, void> {
  const tok = new Tokenizer(text);
  for (let l = tok.next(); l && !sh.stopped; l = tok.next()) {
    if (++sh.lines % STEP_LINES === 0) yield;
    try {
      if (l.error) throw new Error(l.error);
      const first = l.tokens[0];
      if (!l.indented && !first.quoted && first.text.toUpperCase() === '$INCLUDE') yield* include(l, st, sh);
      else if (!l.indented && !first.quoted && first.text.startsWith('$')) directive(l, st, sh);
      else {
        const rr = record(l, st, sh);
        sh.out.records.push(rr);
      }
    } catch (err) {
      sh.out.errors.push({ file: st.file, line: l.line, message: (err as Error).message });
      if (sh.out.errors.length >= MAX_ERRORS && !sh.stopped) {
        sh.stopped = true;
        sh.out.errors.push({ file: st.file, line: l.line, message: `${MAX_ERRORS} errors: parsing stopped here` });
      }
    }
  }
}

function want(name: string, args: string[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    throw new Error(`${name} takes ${min === max ? min : `${min} or ${max}`} argument${max > 1 ? 's' : ''}, got ${args.length}`);
  }
}

function directive(l: LogicalLine, st: FileState, sh: Shared): void {
  const [d, ...args] = l.tokens.map((t) => t.text);
  const name = d.toUpperCase();
  switch (name) {
    case '$ORIGIN':
      want(name, args, 1, 1);
      st.origin = parseName(args[0], st.origin);
      return;
    case '$TTL':
      want(name, args, 1, 1);
      sh.dollarTtl = parseTtl(args[0], MAX_TTL);
      return;
    default:
      throw new Error(`unsupported directive ${d}`);
  }
}

function* include(l: LogicalLine, st: FileState, sh: Shared): Generator<void, void> {
  const args = l.tokens.slice(1).map((t) => t.text);
  want('$INCLUDE', args, 1, 2);
  const path = args[0];
  const origin = args[1] === undefined ? st.origin : parseName(args[1], st.origin);
  const read = sh.opts.include;
  if (!read) throw new Error(`$INCLUDE ${path}: includes are not allowed here`);
  if (sh.includeStack.includes(path)) throw new Error(`$INCLUDE ${path}: include loop (${[...sh.includeStack, path].join(' -> ')})`);
  if (sh.includeStack.length > MAX_INCLUDE_DEPTH) throw new Error(`$INCLUDE ${path}: nested more than ${MAX_INCLUDE_DEPTH} deep`);
  if (++sh.includes > MAX_INCLUDES) throw new Error(`$INCLUDE ${path}: more than ${MAX_INCLUDES} includes in one zone`);
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    throw new Error(`$INCLUDE ${path}: ${(err as Error).message}`);
  }
  sh.includeStack.push(path);
  try {
    // A fresh FileState: the includer's origin and owner are untouched by the included file.
    yield* parseText(text, { file: path, origin }, sh);
  } finally {
    sh.includeStack.pop();
  }
}

function record(l: LogicalLine, st: FileState, sh: Shared): RR {
  const t = l.tokens;
  let i = 0;
  if (l.indented) {
    if (st.owner === undefined) throw new Error('record has no owner name and there is no previous owner');
  } else {
    st.owner = parseName(t[0].text, st.origin);
    i = 1;
  }
  const owner = st.owner;
  let ttl: number | undefined;
  let cls: number | undefined;
  let clsText = '';
  for (; i < t.length && (ttl === undefined || cls === undefined); i++) {
    const w = t[i];
    if (w.quoted) break;
    const c = w.text.charCodeAt(0);
    if (ttl === undefined && c >= 0x30 && c <= 0x39) ttl = parseTtl(w.text, MAX_TTL);
    else if (cls === undefined && isClass(w)) { cls = classCode(w.text); clsText = w.text; }
    else break;
  }
  if (i >= t.length) throw new Error('record has no type');
  const type = typeCode(t[i].text);
  if (type === undefined || t[i].quoted) throw new Error(`unknown record type "${t[i].text}"`);
  if (cls !== undefined && cls !== CLASS_IN) throw new Error(`class ${clsText} is not supported; only IN`);
  const data = parseRdataTokens(type, t, st.origin, i + 1);
  return { name: owner, type, class: CLASS_IN, ttl: resolveTtl(ttl, type, data, sh), data };
}

function isClass(w: Token): boolean {
  const u = w.text.toUpperCase();
  return CLASSES[u] !== undefined || /^CLASS[0-9]{1,5}$/.test(u);
}

function classCode(text: string): number {
  const u = text.toUpperCase();
  return CLASSES[u] ?? Number(u.slice(5));
}

function resolveTtl(explicit: number | undefined, type: number, data: RR['data'], sh: Shared): number {
  if (explicit !== undefined) {
    sh.lastTtl = explicit;
    return explicit;
  }
  if (sh.dollarTtl !== undefined) return sh.dollarTtl;
  if (sh.lastTtl !== undefined) return sh.lastTtl;
  if (type === TYPE.SOA && data.kind === 'soa') {
    sh.lastTtl = Math.min(data.minimum, MAX_TTL);
    return sh.lastTtl;
  }
  if (sh.opts.defaultTtl !== undefined) return sh.opts.defaultTtl;
  throw new Error('record has no TTL and none to default to: add a $TTL line or a TTL on the record');
}
