// The synchronous channel between the query thread and a Lua VM worker: one
// SharedArrayBuffer per worker, a state word both sides wait on
// (Atomics.wait/notify) and a byte area carrying one message at a time.
// Synchronous on purpose: evaluate() stays a plain call on the query path, and
// the query thread's wait has a timeout, which is the hard deadline — the
// worker can be stuck in anything (a C function, a finalizer, a pattern) and
// the query thread still gets control back and terminates it.
//
//   state   who writes it  meaning
//   BOOT    —              the worker is building its VM
//   IDLE    worker/main    nothing in flight
//   REQUEST main           an evaluation is in the byte area
//   HOST    worker         a host-function call is in the byte area (main runs it)
//   REPLY   main           the host function's result is in the byte area
//   DONE    worker         the evaluation's result is in the byte area
//   BROKEN  worker         the VM failed for good (abort/panic): message in the byte area
//   QUIT    main           the worker leaves its loop
import { LuaTable, type LuaValue } from './wasmoon.js';

export interface VmWorkerData {
  sab: SharedArrayBuffer;
  /** Host functions by index: the Lua global each one is defined as. */
  names: string[];
  instructionLimit: number;
  memoryLimit: number;
  codeCacheBytes: number;
}

/** Flag of a DONE message: the VM holds too much memory between evaluations and should be replaced. */
export const RECYCLE = 1;

export const S = { BOOT: 0, IDLE: 1, REQUEST: 2, HOST: 3, REPLY: 4, DONE: 5, BROKEN: 6, QUIT: 7 } as const;

const HEADER = 16; // Int32 state, Int32 message length, Int32 the worker's Linux thread id, 4 spare
/** Largest message: the code of a record, its arguments and results. Past it the evaluation fails. */
export const MAX_MESSAGE = 4 << 20;

export class Channel {
  readonly ctrl: Int32Array;
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly enc = new TextEncoder();
  private readonly dec = new TextDecoder();
  private pos = 0;

  constructor(readonly sab: SharedArrayBuffer = new SharedArrayBuffer(HEADER + MAX_MESSAGE)) {
    this.ctrl = new Int32Array(sab, 0, 4);
    this.bytes = new Uint8Array(sab, HEADER);
    this.view = new DataView(sab, HEADER);
  }

  state(): number {
    return Atomics.load(this.ctrl, 0);
  }

  /** Publishes a state (after the message is written) and wakes the other side. */
  signal(state: number): void {
    Atomics.store(this.ctrl, 1, this.pos);
    Atomics.store(this.ctrl, 0, state);
    Atomics.notify(this.ctrl, 0);
  }

  // ---- writing: begin(), then values, then signal() ----

  begin(): void {
    this.pos = 0;
  }

  private room(n: number): void {
    if (this.pos + n > MAX_MESSAGE) throw new Error(`message larger than ${MAX_MESSAGE} bytes`);
  }

  writeValue(v: LuaValue | undefined): void {
    this.room(9);
    if (v === null || v === undefined) this.bytes[this.pos++] = 0;
    else if (v === false) this.bytes[this.pos++] = 1;
    else if (v === true) this.bytes[this.pos++] = 2;
    else if (typeof v === 'number') {
      this.bytes[this.pos++] = 3;
      this.view.setFloat64(this.pos, v, true);
      this.pos += 8;
    } else if (typeof v === 'string') {
      this.bytes[this.pos++] = 4;
      this.writeString(v);
    } else {
      this.bytes[this.pos++] = 5;
      this.writeU32(v.list.length);
      this.writeU32(v.map.size);
      for (const x of v.list) this.writeValue(x);
      for (const [k, x] of v.map) { this.writeString(k); this.writeValue(x); }
    }
  }

  writeValues(vs: ReadonlyArray<LuaValue | undefined>): void {
    this.writeU32(vs.length);
    for (const v of vs) this.writeValue(v);
  }

  writeU32(n: number): void {
    this.room(4);
    this.view.setUint32(this.pos, n, true);
    this.pos += 4;
  }

  writeString(s: string): void {
    this.room(4 + s.length * 3);
    const { written } = this.enc.encodeInto(s, this.bytes.subarray(this.pos + 4));
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }

  // ---- reading: rewind(), then the values in the order written ----

  rewind(): void {
    this.pos = 0;
  }

  readU32(): number {
    const n = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return n;
  }

  readString(): string {
    const n = this.readU32();
    const start = this.pos;
    this.pos += n;
    // short ASCII (addresses, names, flags): no copy, no decoder
    if (n < 64) {
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = this.bytes[i]!;
        if (c > 127) return this.dec.decode(this.bytes.slice(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    // decode() cannot read a shared buffer's view directly: copy the bytes out first
    return this.dec.decode(this.bytes.slice(start, start + n));
  }

  readValue(): LuaValue {
    switch (this.bytes[this.pos++]) {
      case 0: return null;
      case 1: return false;
      case 2: return true;
      case 3: { const v = this.view.getFloat64(this.pos, true); this.pos += 8; return v; }
      case 4: return this.readString();
      case 5: {
        const t = new LuaTable();
        const nl = this.readU32();
        const nm = this.readU32();
        for (let i = 0; i < nl; i++) t.list.push(this.readValue());
        for (let i = 0; i < nm; i++) { const k = this.readString(); t.map.set(k, this.readValue()); }
        return t;
      }
      default: throw new Error('corrupt channel message');
    }
  }

  readValues(): LuaValue[] {
    const n = this.readU32();
    const out: LuaValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.readValue());
    return out;
  }
}
