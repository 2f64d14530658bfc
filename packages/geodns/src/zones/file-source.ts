// Zones from a directory of master files (RFC 1035 §5), one zone per file,
// in the BIND/PowerDNS-bind-backend habit:
//   - the origin is the file name without `.zone` or `.db` ("example.com.zone"
//     → "example.com."), unless the file's first line is an $ORIGIN directive;
//   - dotfiles, editor leftovers (`x~`, `#x#`, `.x.swp`, vim's `4913`) and
//     package-manager leftovers are not zones; neither are subdirectories,
//     which is where $INCLUDE files can live (paths relative to the zone dir);
//   - any syntax error fails the zone (as BIND refuses a zone with errors),
//     reported as file:line so nothing is silently lost (the parser stops
//     after its first few dozen errors);
//   - a file is parsed and built in slices (zones/slices.ts), so a huge one
//     does not stop the answers for every other zone while it loads.
import { readFile, readdir, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Tokenizer, parseMasterFileSteps, parseName } from '@geoedge/dnsdata';
import { buildZoneSteps, drain, withoutLua, type ZoneData } from './zone.js';
import { runInSlices } from './slices.js';
import type { ZoneKeySource } from './key-dir.js';
import { withSigning } from '../dnssec/secure-zone.js';

export type ZoneFileResult =
  | { kind: 'ok'; file: string; origin: string; zone: ZoneData; warnings: string[]; includes: string[] }
  | { kind: 'error'; file: string; origin?: string; errors: string[]; includes: string[] };

export type ZoneDirResult =
  | { kind: 'ok'; files: ZoneFileResult[] }
  | { kind: 'error'; message: string };

const SKIP_SUFFIXES = ['~', '.swp', '.swo', '.swx', '.tmp', '.bak', '.orig', '.rej', '.dpkg-old', '.dpkg-new', '.dpkg-dist', '.rpmnew', '.rpmsave'];

/** Whether a directory entry name can be a zone file (not a dotfile or an editor's temp file). */
export function isZoneFileName(name: string): boolean {
  if (name.startsWith('.') || name === '4913') return false; // 4913: vim's can-I-write probe
  if (name.startsWith('#') && name.endsWith('#')) return false; // emacs auto-save
  return !SKIP_SUFFIXES.some((s) => name.endsWith(s));
}

/** The origin a file name implies: "example.com.zone" / "example.com.db" / "example.com" → "example.com.". */
export function originFromFileName(name: string): string {
  const bare = name.replace(/\.(zone|db)$/i, '');
  return bare.endsWith('.') ? bare : `${bare}.`;
}

/** The $ORIGIN of the file's first line, if it has one. */
export function leadingOrigin(text: string): string | undefined {
  const first = new Tokenizer(text).next();
  const t = first?.tokens;
  if (!first || first.error || first.indented || !t || t.length < 2) return undefined;
  return t[0]!.text.toUpperCase() === '$ORIGIN' && !t[0]!.quoted ? t[1]!.text : undefined;
}

/** Every candidate zone file in `dir`, sorted, as absolute paths; an error if the directory can't be read. */
export async function listZoneFiles(dir: string): Promise<{ kind: 'ok'; paths: string[] } | { kind: 'error'; message: string }> {
  let names: string[];
  try {
    const ents = await readdir(dir, { withFileTypes: true });
    names = ents.filter((e) => (e.isFile() || e.isSymbolicLink()) && isZoneFileName(e.name)).map((e) => e.name);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'does not exist' : e.code === 'ENOTDIR' ? 'is not a directory' : e.message;
    return { kind: 'error', message: `zone directory ${dir} ${why}` };
  }
  const abs = resolve(dir);
  return { kind: 'ok', paths: names.sort().map((n) => join(abs, n)) };
}

/**
 * Reads, parses and builds one zone file in slices (zones/slices.ts). Never
 * throws: every problem is in the result; undefined only if `stop()` turned true.
 * `lua` false (enable-lua-records: no) drops LUA records, keeping their names (NODATA).
 */
export async function loadZoneFileSliced(path: string, stop: () => boolean, lua = true, keys?: ZoneKeySource): Promise<ZoneFileResult | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { kind: 'error', file: path, errors: [`${path}: cannot read: ${(err as Error).message}`], includes: [] };
  }
  return runInSlices(loadZoneTextSteps(path, text, lua, keys), stop);
}

/** loadZoneFileSliced run to its end. */
export async function loadZoneFile(path: string, lua = true): Promise<ZoneFileResult> {
  return (await loadZoneFileSliced(path, () => false, lua))!;
}

/** The pure part of loadZoneFile, for a file already read ($INCLUDEs are still read from disk). */
export function loadZoneText(path: string, text: string, lua = true): ZoneFileResult {
  return drain(loadZoneTextSteps(path, text, lua));
}

function* loadZoneTextSteps(path: string, text: string, lua = true, keys?: ZoneKeySource): Generator<void, ZoneFileResult> {
  const includes: string[] = [];
  const dir = resolve(path, '..');
  let origin: string;
  try {
    origin = parseName(leadingOrigin(text) ?? originFromFileName(basename(path)), '.');
  } catch (err) {
    return { kind: 'error', file: path, errors: [`${path}:1: no usable origin: ${(err as Error).message}`], includes };
  }
  if (text.includes('\u0000')) {
    return { kind: 'error', file: path, origin, errors: [`${path}:${lineOf(text, text.indexOf('\u0000'))}: NUL byte: this is not a text zone file`], includes };
  }
  const include = (p: string) => {
    const full = resolve(dir, p);
    includes.push(full);
    return readFileSync(full, 'utf8');
  };
  const parsed = yield* parseMasterFileSteps(text, { origin, file: path, include });
  if (parsed.errors.length > 0) {
    return { kind: 'error', file: path, origin, errors: parsed.errors.map((e) => `${e.file}:${e.line}: ${e.message}`), includes };
  }
  const off = lua ? undefined : withoutLua(parsed.records);
  // DNSSEC keys (dnssec.keyDir): key records join the apex; their files are watched like includes.
  const secured = keys?.(origin, off ? off.records : parsed.records);
  if (secured) includes.push(...secured.files);
  const records = secured ? secured.records : off ? off.records : parsed.records;
  const built = yield* buildZoneSteps(origin, records, `file:${path}`, off?.emptyNames ?? []);
  if (built.ok) built.zone = withSigning(built.zone, secured?.signing);
  const prefixed = built.problems.map((p) => `${path}: ${p}`);
  if (off?.dropped) prefixed.push(`${path}: ${off.dropped} LUA records not served (enable-lua-records is no)`);
  if (!built.ok) return { kind: 'error', file: path, origin, errors: prefixed, includes };
  return { kind: 'ok', file: path, origin, zone: built.zone, warnings: prefixed, includes };
}

/**
 * Loads every zone file of `dir`. Two files for one origin: the first by
 * name is kept and the other reported, so the result never depends on luck.
 */
export async function loadZoneDir(dir: string, lua = true): Promise<ZoneDirResult> {
  const list = await listZoneFiles(dir);
  if (list.kind === 'error') return list;
  const files: ZoneFileResult[] = [];
  const owner = new Map<string, string>();
  for (const path of list.paths) {
    const r = await loadZoneFile(path, lua);
    files.push(claimOrigin(r, owner));
  }
  return { kind: 'ok', files };
}

/** Records which file serves each origin; a second file for one origin becomes an error. */
export function claimOrigin(r: ZoneFileResult, owner: Map<string, string>): ZoneFileResult {
  if (r.kind !== 'ok') return r;
  const first = owner.get(r.origin);
  if (first !== undefined && first !== r.file) {
    return { kind: 'error', file: r.file, origin: r.origin, includes: r.includes, errors: [`${r.file}: zone ${r.origin} is already loaded from ${first}; this file is ignored`] };
  }
  owner.set(r.origin, r.file);
  return r;
}

/** A cheap fingerprint of a file: changes when it is rewritten, renamed over, or touched. */
export async function fileSignature(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    // A directory too (a zone's key directory, key-dir.ts): adding, removing or renaming an
    // entry changes its mtime.
    return s.isFile() || s.isDirectory() ? `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 0x0a) n++;
  return n;
}
