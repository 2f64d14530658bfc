// One direction of a relayed connection (client → upstream or back) as an
// explicit state machine; pump.ts does the reads and writes each state asks for.
//
// The transitions (a link closes when both directions are SHUT):
//
//   READING  ─read all written─────────▶ READING (full read) / DRAINED (short read)
//   READING  ─read, partly written─────▶ FLUSHING
//   READING  ─EAGAIN───────────────────▶ DRAINED
//   READING  ─0 (FIN), short read + FIN▶ CLOSING
//   DRAINED  ─readable edge on src─────▶ READING
//   FLUSHING ─all written──────────────▶ READING, or DRAINED when the source was
//                                         read empty before and has not signalled since
//   CLOSING  ─all written──────────────▶ SHUT (shutdown(dst, SHUT_WR), unless the other is SHUT too)
//   any      ─send/recv error──────────▶ the link closes (client_error / upstream_error)
//
import { EPOLLRDHUP, PEER_ENDING } from './linux.js';

export const READING = 0, DRAINED = 1, FLUSHING = 2, CLOSING = 3, SHUT = 4;
export type DirState = typeof READING | typeof DRAINED | typeof FLUSHING | typeof CLOSING | typeof SHUT;
export const STATE_NAMES = ['reading', 'drained', 'flushing', 'closing', 'shut'] as const;

export class Direction {
  state: DirState;
  /** Bytes read but not written yet (a copy out of the scratch buffer, or the head given at attach). */
  head: Buffer | undefined;
  /** True while `head` holds bytes copied from src (counted when written). */
  headCounts = false;
  /** Spliced (bulk) rather than copied. */
  bulk = false;
  pipe: [number, number] | undefined = undefined;
  /** Bytes in `pipe`. */
  pending = 0;
  /** Written to dst (not counting the head given at attach). */
  bytes = 0;
  /**
   * The peer's end or an error was flagged (EPOLLRDHUP/HUP/ERR): a short read
   * does not mean empty, the end must still be read (no DRAINED).
   */
  rdhup = false;
  /** EPOLLRDHUP alone (a FIN, no reset): every byte is queued, so a short read has reached the end. */
  fin = false;
  /**
   * Where FLUSHING goes once written: DRAINED when the last read was short
   * (or the source was read empty before attach) and no edge came since, so
   * no read just to see EAGAIN.
   */
  afterFlush: DirState;

  constructor(readonly src: number, readonly dst: number, readonly fromClient: boolean, head: Buffer | undefined, srcEmpty = false) {
    this.head = head?.length ? head : undefined;
    this.afterFlush = srcEmpty ? DRAINED : READING;
    this.state = this.head ? FLUSHING : this.afterFlush;
  }

  /** An event on src: a readable edge wakes a drained direction. True if it did. */
  readable(flags: number): boolean {
    this.afterFlush = READING;
    if (flags & PEER_ENDING) this.rdhup = true;
    if ((flags & PEER_ENDING) === EPOLLRDHUP) this.fin = true;
    if (this.state !== DRAINED) return false;
    this.state = READING;
    return true;
  }
}
