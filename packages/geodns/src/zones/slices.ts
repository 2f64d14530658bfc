// Long synchronous work cut into slices: a zone file of a million lines takes
// seconds to parse and build, and geodns answers queries on the same thread.
// The parser and the zone builder are generators that yield every few hundred
// items; this driver runs them for `sliceMs` at a time and lets the event loop
// answer whatever arrived (setImmediate runs after pending I/O) in between.
// Why not a worker thread: the built zone is an object graph the query path
// reads in place, and copying a million-record graph back with structured
// clone took longer on the main thread (13 s measured) than building it (4.6 s).

/**
 * Runs `steps` to its end, yielding to the event loop every `sliceMs` of work;
 * undefined if `stop()` turns true between slices (shutdown must not wait out
 * a twenty-second load).
 */
export async function runInSlices<T>(steps: Generator<void, T>, stop: () => boolean = () => false, sliceMs = 8): Promise<T | undefined> {
  let until = performance.now() + sliceMs;
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() >= until) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (stop()) return undefined;
      until = performance.now() + sliceMs;
    }
  }
}
