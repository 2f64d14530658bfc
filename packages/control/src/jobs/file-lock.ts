// A lock file so two update runs (two geoctl processes, or a timer run and a
// manual one) never write the same directory at once. Node has no flock(2), so
// the lock is an O_EXCL-created file holding the owner's pid; a file whose pid
// is no longer alive (a crashed run) is taken over.
import { open, readFile, stat, unlink } from 'node:fs/promises';

export type LockResult =
  | { kind: 'acquired'; release: () => Promise<void> }
  | { kind: 'busy'; message: string }
  | { kind: 'error'; message: string };

/** An empty lock file younger than this may still be getting its pid written. */
const FRESH_MS = 10_000;

export async function acquireLock(path: string): Promise<LockResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      return { kind: 'acquired', release: () => release(path) };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'EEXIST') return { kind: 'error', message: `cannot create lock file ${path}: ${e.message}` };
    }
    const holder = await holderPid(path);
    if (holder === 'gone') continue;
    if (holder !== 'stale') return { kind: 'busy', message: `another update is running (lock file ${path} held by pid ${holder})` };
    await unlink(path).catch(() => undefined);
  }
  return { kind: 'busy', message: `lock file ${path} keeps reappearing; another update is running` };
}

async function holderPid(path: string): Promise<number | 'stale' | 'gone'> {
  let text: string;
  let age: number;
  try {
    text = await readFile(path, 'utf8');
    age = Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return 'gone';
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return age < FRESH_MS ? 0 : 'stale';
  if (pid === process.pid) return pid;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : 'stale';
  }
}

async function release(path: string): Promise<void> {
  // Only remove the file if it is still ours.
  try {
    if (Number((await readFile(path, 'utf8')).trim()) === process.pid) await unlink(path);
  } catch {
    /* already gone */
  }
}
