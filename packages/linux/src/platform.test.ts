// The native layer runs only where its tables are known and glibc is the C
// library; everywhere else the refusal says why, in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAYOUTS, layoutFor } from './layout.js';
import { nativeRefusal, platformFacts } from './platform.js';

const glibc = '2.36';

test('x64, arm64 and 32-bit ARM with glibc are supported', () => {
  for (const arch of ['x64', 'arm64', 'arm']) assert.equal(nativeRefusal({ platform: 'linux', arch, glibc }), undefined, arch);
  assert.equal(layoutFor('arm')!.word, 4);
  assert.equal(layoutFor('arm64')!.word, 8);
});

test('ia32 is refused explicitly, other architectures as unknown', () => {
  assert.match(nativeRefusal({ platform: 'linux', arch: 'ia32', glibc })!, /does not run on ia32: ia32 has no official Node 20 Linux build/);
  for (const arch of ['riscv64', 'ppc64', 's390x', 'loong64', 'mips', 'constructor', 'toString']) {
    assert.equal(layoutFor(arch), undefined, arch);
    assert.match(nativeRefusal({ platform: 'linux', arch, glibc })!, new RegExp(`does not run on ${arch}: its struct layouts are not known \\(known: ${Object.keys(LAYOUTS).join(', ')}\\)`));
  }
});

test('musl (no glibc version at run time) and other systems are refused', () => {
  assert.match(nativeRefusal({ platform: 'linux', arch: 'x64', glibc: undefined })!, /needs glibc/);
  assert.match(nativeRefusal({ platform: 'darwin', arch: 'arm64', glibc: undefined })!, /Linux-only, this is darwin/);
});

test('this process: facts from process.report, and the verdict follows them', () => {
  const f = platformFacts();
  assert.equal(f.arch, process.arch);
  assert.equal(f.glibc, (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime);
  assert.equal(nativeRefusal() === undefined, layoutFor(process.arch) !== undefined && f.glibc !== undefined && f.platform === 'linux');
});
