// The one pino import of the suite. Every program logs JSON lines through this;
// field names are fixed across the suite (see ARCHITECTURE.md: qname qtype rcode
// client ecs zone sni upstream bytes_in bytes_out duration_ms).
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to capture them. */
  destination?: DestinationStream;
}

/** No log line is longer than this (bytes of JSON, newline included): a line is for a person to read. */
export const MAX_LOG_LINE = 64 * 1024;

/**
 * The last guard of MAX_LOG_LINE, whatever a caller logged: an over-long line
 * becomes a valid JSON line with its level, time, message and first 4 KiB, and
 * says how long it was. Callers keep their own lines short (briefList below);
 * this only catches what they missed.
 */
export function capLine(line: string): string {
  if (line.length <= MAX_LOG_LINE / 4 || Buffer.byteLength(line) <= MAX_LOG_LINE) return line;
  let head: { level?: unknown; time?: unknown; pid?: unknown; name?: unknown; msg?: unknown } = {};
  try { head = JSON.parse(line) as typeof head; } catch { /* keep the fields empty */ }
  const msg = typeof head.msg === 'string' ? head.msg.slice(0, 1024) : undefined;
  return `${JSON.stringify({ level: head.level, time: head.time, pid: head.pid, name: head.name, msg, cut: `log line of ${Buffer.byteLength(line)} bytes cut to its start`, start: line.slice(0, 4096) })}\n`;
}

/**
 * A list for a log line: the first `keep` items, each cut to `maxChars`, and
 * "... and N more" when there were more. A million errors stay one short line.
 */
export function briefList(items: readonly string[], keep = 20, maxChars = 300): string[] {
  const out = items.slice(0, keep).map((s) => (s.length > maxChars ? `${s.slice(0, maxChars)}... (${s.length} characters)` : s));
  if (items.length > keep) out.push(`... and ${items.length - keep} more`);
  return out;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      name: opts.name,
      hooks: { streamWrite: capLine },
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      // Secrets must never reach a log line, whatever a caller passes.
      redact: { paths: ['apiKey', 'api_key', 'password', 'licenseKey', 'headers["x-api-key"]', 'req.headers["x-api-key"]'], censor: '[redacted]' },
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}
