// The tables are what the C headers say. A tiny C program, generated from the
// tables themselves (so a new field or constant is checked without touching
// this file), prints sizeof/offsetof of every struct and the value of every
// constant and errno the package uses; it is built with each compiler found
// (the system `cc`, and Debian's cross compilers aarch64-linux-gnu-gcc and
// arm-linux-gnueabihf-gcc, which scripts/setup-test-deps.sh installs), linked
// statically, run natively or under qemu-user, and compared with the table of
// the architecture it was built for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { K } from './constants.js';
import { ERRNO } from './errno.js';
import { LAYOUTS, type Layout } from './layout.js';
import { UV } from './uv-poll.js';

/** The C program printing, as JSON, the layout, constants and errnos of its target. */
export function layoutProgram(): string {
  const L = LAYOUTS.x64!; // the shape (fields) is the same for every architecture
  const lines: string[] = [];
  const out = (fmt: string, ...args: string[]) => lines.push(`  printf(${JSON.stringify(fmt)}${args.map((a) => `, ${a}`).join('')});`);
  out('{"layout":{"word":%zu', 'sizeof(void *)');
  for (const [struct, fields] of Object.entries(L)) {
    if (struct === 'word') continue;
    out(`,"${struct}":{"size":%zu`, `sizeof(struct ${struct})`);
    for (const f of Object.keys(fields as object)) if (f !== 'size') out(`,"${f}":%zu`, `offsetof(struct ${struct}, ${f})`);
    out('}');
  }
  out('},"cmsg_data":%zu', '(size_t)(CMSG_DATA(&cm) - (unsigned char *)&cm)');
  out(',"K":{');
  Object.keys(K).forEach((name, i) => out(`${i ? ',' : ''}"${name}":%lld`, `(long long)(${name})`));
  out('},"ERRNO":{');
  Object.keys(ERRNO).forEach((name, i) => out(`${i ? ',' : ''}"${name}":%lld`, `(long long)(${name})`));
  out('}}\n');
  return `#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
int main(void) {
  struct cmsghdr cm;
${lines.join('\n')}
  return 0;
}
`;
}

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
/** Node's arch name for a compiler's target triplet (`cc -dumpmachine`). */
const ARCH_OF: Array<[RegExp, string]> = [[/^x86_64-/, 'x64'], [/^aarch64-/, 'arm64'], [/^arm.*-gnueabihf$/, 'arm'], [/^i[3-6]86-/, 'ia32']];
const QEMU: Record<string, string> = { arm64: 'qemu-aarch64-static', arm: 'qemu-arm-static', x64: 'qemu-x86_64-static' };
const targetOf = (compiler: string) => {
  const triplet = execFileSync(compiler, ['-dumpmachine'], { encoding: 'utf8' }).trim();
  return ARCH_OF.find(([re]) => re.test(triplet))?.[1] ?? triplet;
};
const hostArch = has('cc') ? targetOf('cc') : undefined;

for (const compiler of ['cc', 'aarch64-linux-gnu-gcc', 'arm-linux-gnueabihf-gcc']) {
  const target = has(compiler) ? targetOf(compiler) : undefined;
  const emulated = target !== undefined && target !== hostArch;
  const skip = !target ? `${compiler} is not installed (scripts/setup-test-deps.sh installs it)`
    : emulated && !has(QEMU[target] ?? 'none') ? `${QEMU[target] ?? `a qemu for ${target}`} is not installed`
    : !LAYOUTS[target] ? `${target} is refused by the package (no table to compare)` : false;
  test(`the tables match the C headers of ${target ?? compiler} (${compiler}${emulated ? `, run under ${QEMU[target!]}` : ''})`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoedge-layout-'));
    try {
      writeFileSync(join(dir, 'l.c'), layoutProgram());
      execFileSync(compiler, ['-static', '-o', join(dir, 'l'), join(dir, 'l.c')]);
      const [cmd, args] = emulated ? [QEMU[target!]!, [join(dir, 'l')]] : [join(dir, 'l'), []];
      const got = JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' })) as { layout: Layout; cmsg_data: number; K: Record<string, number>; ERRNO: Record<string, number> };
      assert.deepEqual(got.layout, LAYOUTS[target!]);
      assert.equal(got.cmsg_data, LAYOUTS[target!]!.cmsghdr.size, 'CMSG_DATA starts right after the header');
      assert.deepEqual(got.K, { ...K });
      assert.deepEqual(got.ERRNO, { ...ERRNO });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Node's headers beside its binary (the official builds and Debian's ship uv.h there). */
const NODE_INCLUDE = join(dirname(process.execPath), '..', 'include', 'node');
const uvSkip = !hostArch ? 'no C compiler (cc)' : !existsSync(join(NODE_INCLUDE, 'uv.h')) ? `no uv.h in ${NODE_INCLUDE}` : false;

test('the libuv constants uv-poll.ts passes (UV_POLL, UV_READABLE) are Node\'s own uv.h values', { skip: uvSkip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'geoedge-uv-'));
  try {
    const fields = Object.keys(UV).map((name, i) => `  printf("${i ? ',' : '{'}\\"${name}\\":%d", (int)(${name}));`).join('\n');
    writeFileSync(join(dir, 'uv.c'), `#include <stdio.h>\n#include <uv.h>\nint main(void) {\n${fields}\n  printf("}\\n");\n  return 0;\n}\n`);
    execFileSync('cc', ['-I', NODE_INCLUDE, '-o', join(dir, 'uv'), join(dir, 'uv.c')]);
    assert.deepEqual(JSON.parse(execFileSync(join(dir, 'uv'), { encoding: 'utf8' })), { ...UV });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
