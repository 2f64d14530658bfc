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

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      // Secrets must never reach a log line, whatever a caller passes.
      redact: { paths: ['apiKey', 'api_key', 'password', 'licenseKey', 'headers["x-api-key"]', 'req.headers["x-api-key"]'], censor: '[redacted]' },
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}
