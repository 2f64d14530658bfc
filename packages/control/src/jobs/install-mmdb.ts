// Puts a downloaded database in place without ever exposing a partial or bad
// file: write <edition>.mmdb.temporary while hashing → fsync → check MD5 →
// open and probe as an mmdb → rename over <edition>.mmdb → fsync the directory
// (so the rename itself survives a crash). Any failure removes the temporary
// file and leaves the installed database untouched.
import { createHash } from 'node:crypto';
import { open, rename, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { ExtractResult } from './tar-reader.js';
import type { ProbeResult } from './mmdb-probe.js';

export type InstallResult =
  | { kind: 'installed'; path: string; bytes: number }
  | { kind: 'error'; code: 'ERR_GEOIP_ARCHIVE' | 'ERR_GEOIP_MD5' | 'ERR_GEOIP_CORRUPT' | 'ERR_GEOIP_WRITE'; message: string; retryable: boolean };

export interface InstallRequest {
  dir: string;
  editionId: string;
  expectedMd5: string;
  /** Streams the database bytes into the sink (the tar extraction). */
  produce: (sink: (chunk: Buffer) => Promise<void>) => Promise<ExtractResult>;
  probe: (path: string) => Promise<ProbeResult>;
  /** Set the file's times to this (PreserveFileTimes). */
  mtime?: Date;
}

export const ZERO_MD5 = '00000000000000000000000000000000';

export function dbPath(dir: string, editionId: string): string {
  return join(dir, `${editionId}.mmdb`);
}

/** MD5 of the installed file, ZERO_MD5 when there is none (as geoipupdate sends). */
export async function localMd5(path: string): Promise<string> {
  const h = createHash('md5');
  try {
    for await (const c of createReadStream(path)) h.update(c as Buffer);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ZERO_MD5;
    throw err;
  }
  return h.digest('hex');
}

export async function installMmdb(req: InstallRequest): Promise<InstallResult> {
  const final = dbPath(req.dir, req.editionId);
  const temp = `${final}.temporary`;
  let fh: FileHandle | undefined;
  // Errors thrown while extracting come from the download unless the sink (our disk) threw them.
  let diskError: unknown;
  let extracting = false;
  try {
    fh = await open(temp, 'w', 0o644);
    extracting = true;
    const hash = createHash('md5');
    let bytes = 0;
    const out = fh;
    const extracted = await req.produce(async (chunk) => {
      hash.update(chunk);
      bytes += chunk.length;
      try {
        await writeAll(out, chunk);
      } catch (err) {
        diskError = err;
        throw err;
      }
    });
    extracting = false;
    if (extracted.kind === 'error') return await fail(temp, fh, 'ERR_GEOIP_ARCHIVE', extracted.message, true);
    await fh.sync();
    await fh.close();
    fh = undefined;
    const got = hash.digest('hex');
    if (got !== req.expectedMd5.toLowerCase()) {
      return await fail(temp, fh, 'ERR_GEOIP_MD5', `MD5 of the downloaded ${req.editionId} (${got}) does not match the server's (${req.expectedMd5})`, true);
    }
    const probe = await req.probe(temp);
    if (probe.kind === 'error') return await fail(temp, fh, 'ERR_GEOIP_CORRUPT', `downloaded ${req.editionId} is unusable: ${probe.message}`, false);
    await rename(temp, final);
    await syncDir(req.dir);
    if (req.mtime) await utimes(final, req.mtime, req.mtime);
    return { kind: 'installed', path: final, bytes };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (extracting && err !== diskError) return await fail(temp, fh, 'ERR_GEOIP_ARCHIVE', `download is not a valid tar.gz: ${e.message}`, true);
    // Disk full, read-only or permission problems will not fix themselves within a retry window.
    const permanent = ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOENT', 'ENOTDIR'].includes(e.code ?? '');
    return await fail(temp, fh, 'ERR_GEOIP_WRITE', `writing ${temp}: ${e.message}`, !permanent);
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

async function fail(temp: string, fh: FileHandle | undefined, code: Extract<InstallResult, { kind: 'error' }>['code'], message: string, retryable: boolean): Promise<InstallResult> {
  await fh?.close().catch(() => undefined);
  await unlink(temp).catch(() => undefined);
  return { kind: 'error', code, message, retryable };
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    // Some file systems refuse fsync on directories; the rename already happened.
    await d.sync().catch(() => undefined);
  } finally {
    await d.close();
  }
}
