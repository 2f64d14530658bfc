// Node/V8 flags geodns is meant to run with. They cannot be set from inside a
// running process (V8 sizes its heap at start), so they live on the command
// line: main.ts's #! line, the root `npm start`, deploy/systemd/geodns.service,
// the cluster workers' execArgv (added here when the primary lacks them) and the
// benchmarks. node-flags.test.ts checks that those places agree with this list.
//
// --min-semi-space-size=16 (MiB): after an idle spell V8's memory reducer
// shrinks the young generation to its 1 MiB minimum, and answers that leave no
// survivors never make it grow back. A small process hardly notices; one
// holding 1,000,000 records pays a ~2 ms scavenge (a fixed cost that grows with
// the heap) every few milliseconds under load: measured in bench geodns-db,
// 20% of the CPU in ScavengerCollector and 0.80× the small zone's QPS, against
// 0.96× with this flag (16 MiB young generation: a scavenge every ~130 ms).
export const NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16'];

/** The flags of NODE_FLAGS that `execArgv` does not already set (any value counts as set). */
export function missingNodeFlags(execArgv: readonly string[]): string[] {
  const name = (f: string) => f.split('=')[0]!.replace(/_/g, '-');
  const have = new Set(execArgv.map(name));
  return NODE_FLAGS.filter((f) => !have.has(name(f)));
}
