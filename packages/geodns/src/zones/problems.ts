// Problems found while building a zone, as lines for the log. A zone with a
// million records can have a million of one mistake: each kind keeps its
// first few lines and a count, so the report stays readable.
const KEEP = 10;

export class Problems {
  private readonly lines: string[] = [];
  private readonly counts = new Map<string, number>();
  failed = false;

  /** A problem the zone can be served with (the record is dropped or adjusted). */
  add(kind: string, message: string): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    if (n <= KEEP) this.lines.push(message);
  }

  /** A problem that stops the zone from loading. */
  fatal(kind: string, message: string): void {
    this.failed = true;
    this.add(kind, message);
  }

  list(): string[] {
    const more: string[] = [];
    for (const [kind, n] of this.counts) if (n > KEEP) more.push(`... and ${n - KEEP} more problems of the kind "${kind}"`);
    return [...this.lines, ...more];
  }
}
