// Where things are, relative to the repository root (tests run from anywhere).
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { mkdtempSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';

// Compiled to test/dist/helpers/paths.js: the root is three levels up.
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const GEODNS_MAIN = join(REPO_ROOT, 'packages', 'geodns', 'dist', 'main.js');
/** The example zones geodns serves on its embedded defaults. */
export const DEFAULT_ZONES = join(REPO_ROOT, 'packages', 'geodns', 'zones');

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `geoedge-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A private copy of the example zones, for tests that edit them. */
export function copyZones(): { dir: string; remove: () => void } {
  const t = tempDir('zones');
  cpSync(DEFAULT_ZONES, t.dir, { recursive: true });
  return t;
}
