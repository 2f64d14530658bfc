// Whether the native layer may run here, decided once from facts, not tried:
// a wrong struct layout does not fail, it corrupts (on 32-bit ARM the old
// LP64-only code answered 0 of 10 datagrams and spun at 100% CPU). Where it
// may not, programs take their portable path (node:net streams, node:dgram)
// and say so in ONE warning line carrying `nativeRefusal()`'s reason.
import { layoutFor, REFUSED, LAYOUTS, type Layout } from './layout.js';

export interface PlatformFacts {
  platform: string;
  arch: string;
  /** glibc's version at run time; undefined on musl (Alpine) and other libcs. */
  glibc: string | undefined;
}

let facts: PlatformFacts | undefined;

/** This process's facts (process.report is read once: it takes a few ms). */
export function platformFacts(): PlatformFacts {
  if (!facts) {
    let glibc: string | undefined;
    if (process.platform === 'linux' && process.report) {
      // Without the network section where Node can leave it out (20.13+): it
      // names the open sockets' peers, which may mean slow reverse lookups.
      const r = process.report as typeof process.report & { excludeNetwork?: boolean };
      const before = r.excludeNetwork;
      if (before !== undefined) r.excludeNetwork = true;
      try {
        glibc = (r.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
      } finally {
        if (before !== undefined) r.excludeNetwork = before;
      }
    }
    facts = { platform: process.platform, arch: process.arch, glibc };
  }
  return facts;
}

/**
 * Why the native layer cannot run with `f` (this process by default), or
 * undefined when it can. The text is whole: callers log it as is, once.
 */
export function nativeRefusal(f: PlatformFacts = platformFacts()): string | undefined {
  if (f.platform !== 'linux') return `the native layer is Linux-only, this is ${f.platform}`;
  const known = Object.keys(LAYOUTS).join(', ');
  if (!layoutFor(f.arch)) {
    const why = Object.hasOwn(REFUSED, f.arch) ? REFUSED[f.arch] : `its struct layouts are not known (known: ${known})`;
    return `the native layer does not run on ${f.arch}: ${why}`;
  }
  if (f.glibc === undefined) return 'the native layer needs glibc (libc.so.6), and this system has another C library (musl?)';
  return undefined;
}

/** This process's layouts; throws with nativeRefusal()'s reason where it is refused. */
export function nativeLayout(): Layout {
  const refused = nativeRefusal();
  if (refused) throw new Error(refused);
  return layoutFor(process.arch)!;
}
