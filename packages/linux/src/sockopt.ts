// setsockopt/getsockopt of int-valued options, by the constants of
// constants.ts: the one way callers set an option Node does not expose
// (IP_TRANSPARENT, SO_MARK, IP_FREEBIND, …), so no caller needs its own binding.
import type { Libc } from './libc.js';

const val = Buffer.alloc(4), len = Buffer.alloc(4);

/** setsockopt(fd, level, name, &value, 4); the errno (0 on success). */
export function setIntOption(c: Libc, fd: number, level: number, name: number, value: number): number {
  val.writeInt32LE(value);
  return (c.setsockopt(fd, level, name, val, 4) as number) < 0 ? c.errno() : 0;
}

/** getsockopt(fd, level, name) of an int option: the value, or { errno } on failure. */
export function getIntOption(c: Libc, fd: number, level: number, name: number): number | { errno: number } {
  len.writeUInt32LE(4);
  if ((c.getsockopt(fd, level, name, val, len) as number) < 0) return { errno: c.errno() };
  return val.readInt32LE(0);
}

/** setsockopt of a string-valued option (TCP_CONGESTION takes the algorithm's name); the errno (0 on success). */
export function setStringOption(c: Libc, fd: number, level: number, name: number, value: string): number {
  const b = Buffer.from(value, 'latin1');
  return (c.setsockopt(fd, level, name, b, b.length) as number) < 0 ? c.errno() : 0;
}

/** getsockopt of a NUL-terminated string option of at most `max` bytes: the string, or { errno }. */
export function getStringOption(c: Libc, fd: number, level: number, name: number, max: number): string | { errno: number } {
  const b = Buffer.alloc(max);
  len.writeUInt32LE(max);
  if ((c.getsockopt(fd, level, name, b, len) as number) < 0) return { errno: c.errno() };
  const end = b.indexOf(0);
  return b.toString('latin1', 0, end < 0 ? Math.min(max, len.readUInt32LE(0)) : end);
}
