// The shapes of LUA record that need no VM, recognised from the code text.
// Most records in the wild are one call of a PowerDNS function with constant
// arguments, or octoDNS's shape: a chain of `if country(..) then return ..`
// branches and a final `return pick..(..)`. This is a parser for exactly that
// subset of Lua; anything else (a variable, an operator, a comment, an escape
// in a string, a function we do not list) returns undefined and the record
// runs in the VM as before. fast-path.ts evaluates what this returns.
//
//   record  := [';'] block | expr                 (no ';': PowerDNS's expression form)
//   block   := { 'if' cond 'then' ret { 'elseif' cond 'then' ret } [ 'else' ret ] 'end' } [ ret ]
//   ret     := 'return' expr [';']
//   cond    := and { 'or' and }      and := not { 'and' not }      not := 'not' not | atom
//   expr    := STRING | NUMBER | table | call | '(' cond ')'  (in a return: also cond)
//   call    := NAME '(' [const { ',' const }] ')' | NAME STRING | NAME table    (NAME in KNOWN)
//   table   := '{' [ field { (','|';') field } [','|';'] ] '}'   field := const | NAME '=' const
//   const   := STRING | NUMBER | table | 'true' | 'false'
import { LuaTable, type LuaValue } from './wasmoon.js';

export type Expr =
  | { k: 'const'; v: LuaValue }
  | { k: 'call'; fn: string; args: LuaValue[] }
  | { k: 'not'; a: Expr }
  | { k: 'and' | 'or'; a: Expr; b: Expr };

/** A block: the branches in order, then the value of a final return (undefined: returns nothing). */
export interface Block {
  branches: Array<{ cond: Expr; value: Expr }>;
  otherwise: Expr | undefined;
}

/** Functions whose host implementation is all they do (no Lua-side wrapper in sandbox.ts). */
export const KNOWN = new Set([
  'pickclosest', 'pickhashed', 'pickwhashed', 'pickchashed', 'pickrandom', 'pickwrandom', 'pickrandomsample', 'all',
  'ifportup', 'ifurlup', 'country', 'continent', 'region', 'asnum', 'netmask',
]);

/** Items a record's constant tables may hold in all (larger ones stay in the VM, which bounds them). */
const MAX_ITEMS = 1000;
const KEYWORDS = new Set(['if', 'then', 'elseif', 'else', 'end', 'return', 'and', 'or', 'not', 'true', 'false']);

type Tok = { t: 'name' | 'kw' | 'str' | 'num' | 'p'; v: string };

/** The recognised block of a record's code, or undefined when it needs the VM. */
export function parseRecord(code: string): Block | undefined {
  const statement = code.startsWith(';');
  const toks = lex(statement ? code.slice(1) : code);
  if (!toks) return undefined;
  const p = new Parser(toks);
  try {
    const b = statement ? p.block() : { branches: [], otherwise: p.cond() };
    return p.atEnd() ? b : undefined;
  } catch {
    return undefined;
  }
}

/** Tokens of the subset; undefined at the first character outside it. */
function lex(s: string): Tok[] | undefined {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
      const w = s.slice(i, j);
      out.push({ t: KEYWORDS.has(w) ? 'kw' : 'name', v: w });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(s.slice(i, i + 40))!;
      // 0x10, 1e5, 1..2, and integers past 2^53 (Lua reads them as 64-bit): VM
      if (/[A-Za-z0-9_.]/.test(s[i + m[0].length] ?? ' ') || m[0].length > 15) return undefined;
      out.push({ t: 'num', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      // Printable ASCII only, no escapes: the text is the value, as Lua reads it.
      while (j < s.length && s[j] !== c) {
        const o = s.charCodeAt(j);
        if (o < 0x20 || o > 0x7e || o === 0x5c) return undefined;
        j++;
      }
      if (j >= s.length) return undefined;
      out.push({ t: 'str', v: s.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if ('(){},;='.includes(c) && !(c === '=' && s[i + 1] === '=')) { out.push({ t: 'p', v: c }); i++; continue; }
    return undefined;
  }
  return out;
}

class Parser {
  private i = 0;
  private items = 0;
  constructor(private readonly toks: Tok[]) {}

  atEnd(): boolean { return this.i === this.toks.length; }
  private peek(v: string): boolean { const t = this.toks[this.i]; return t !== undefined && (t.t === 'kw' || t.t === 'p') && t.v === v; }
  private eat(v: string): boolean { if (!this.peek(v)) return false; this.i++; return true; }
  private need(v: string): void { if (!this.eat(v)) throw new Error(`expected ${v}`); }

  block(): Block {
    const b: Block = { branches: [], otherwise: undefined };
    while (this.eat('if')) {
      // An `if` chain without `else` falls through to what follows; with `else`, nothing may follow.
      const arms: Block['branches'] = [];
      do {
        const cond = this.cond();
        this.need('then');
        arms.push({ cond, value: this.ret() });
      } while (this.eat('elseif'));
      b.branches.push(...arms);
      if (this.eat('else')) {
        b.otherwise = this.ret();
        this.need('end');
        this.eat(';');
        return b;
      }
      this.need('end');
      this.eat(';');
    }
    if (this.peek('return')) b.otherwise = this.ret();
    return b;
  }

  private ret(): Expr {
    this.need('return');
    const e = this.cond();
    this.eat(';');
    return e;
  }

  cond(): Expr {
    let a = this.and();
    while (this.eat('or')) a = { k: 'or', a, b: this.and() };
    return a;
  }

  private and(): Expr {
    let a = this.not();
    while (this.eat('and')) a = { k: 'and', a, b: this.not() };
    return a;
  }

  private not(): Expr {
    if (this.eat('not')) return { k: 'not', a: this.not() };
    return this.atom();
  }

  private atom(): Expr {
    if (this.eat('(')) {
      const e = this.cond();
      this.need(')');
      return e;
    }
    const t = this.toks[this.i];
    if (t?.t === 'name') {
      if (!KNOWN.has(t.v)) throw new Error(`${t.v} is not a known function`);
      this.i++;
      return { k: 'call', fn: t.v, args: this.args() };
    }
    return { k: 'const', v: this.constant() };
  }

  private args(): LuaValue[] {
    const t = this.toks[this.i];
    if (t?.t === 'str') { this.i++; return [t.v]; }
    if (this.peek('{')) return [this.table()];
    this.need('(');
    const args: LuaValue[] = [];
    if (this.eat(')')) return args;
    do args.push(this.constant()); while (this.eat(','));
    this.need(')');
    return args;
  }

  private constant(): LuaValue {
    const t = this.toks[this.i];
    if (!t) throw new Error('unexpected end');
    if (t.t === 'str') { this.i++; return t.v; }
    if (t.t === 'num') { this.i++; return Number(t.v); }
    if (t.t === 'kw' && (t.v === 'true' || t.v === 'false')) { this.i++; return t.v === 'true'; }
    if (this.peek('{')) return this.table();
    throw new Error(`not a constant: ${t.v}`);
  }

  private table(): LuaTable {
    this.need('{');
    const tab = new LuaTable();
    while (!this.eat('}')) {
      if (++this.items > MAX_ITEMS) throw new Error('table too large');
      const t = this.toks[this.i], next = this.toks[this.i + 1];
      if (t?.t === 'name' && next?.t === 'p' && next.v === '=') {
        this.i += 2;
        if (tab.map.has(t.v)) throw new Error('duplicate key');
        const v = this.constant();
        // The VM hands string keys over in Lua's hash order; a nested table under one
        // (ifurlup's headers) is serialised in that order, which only the VM knows.
        if (v instanceof LuaTable) throw new Error('nested table under a key');
        tab.map.set(t.v, v);
      } else tab.list.push(this.constant());
      if (!this.eat(',') && !this.eat(';')) { this.need('}'); break; }
    }
    return tab;
  }
}
