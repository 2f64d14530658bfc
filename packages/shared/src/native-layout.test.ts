// The batched UDP paths run only where their struct layouts are known, and the
// known table is what the C headers say: a tiny C program built with the
// system compiler prints sizeof/offsetof on this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchedUdpRefusal, msgLayout } from './native-layout.js';

test('only x64 and arm64 run the batched UDP paths; 32-bit ARM, ia32 and the rest are refused with the reason', () => {
  for (const arch of ['x64', 'arm64']) {
    assert.equal(batchedUdpRefusal(arch), undefined, arch);
    assert.ok(msgLayout(arch));
  }
  for (const arch of ['arm', 'ia32', 'riscv64', 'ppc64', 's390x', 'loong64', 'mips']) {
    assert.equal(msgLayout(arch), undefined, arch);
    assert.match(batchedUdpRefusal(arch)!, new RegExp(`x64 and arm64 only, not ${arch}: using node:dgram$`));
  }
});

const C = `#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>
int main(void) {
  printf("{\\"iovec\\":{\\"size\\":%zu,\\"iov_base\\":%zu,\\"iov_len\\":%zu},", sizeof(struct iovec), offsetof(struct iovec, iov_base), offsetof(struct iovec, iov_len));
  printf("\\"msghdr\\":{\\"size\\":%zu,\\"msg_name\\":%zu,\\"msg_namelen\\":%zu,\\"msg_iov\\":%zu,\\"msg_iovlen\\":%zu,\\"msg_control\\":%zu,\\"msg_controllen\\":%zu,\\"msg_flags\\":%zu},",
    sizeof(struct msghdr), offsetof(struct msghdr, msg_name), offsetof(struct msghdr, msg_namelen), offsetof(struct msghdr, msg_iov), offsetof(struct msghdr, msg_iovlen),
    offsetof(struct msghdr, msg_control), offsetof(struct msghdr, msg_controllen), offsetof(struct msghdr, msg_flags));
  printf("\\"mmsghdr\\":{\\"size\\":%zu,\\"msg_len\\":%zu},\\"word\\":%zu}\\n", sizeof(struct mmsghdr), offsetof(struct mmsghdr, msg_len), sizeof(void *));
  return 0;
}
`;

const hasCc = spawnSync('cc', ['--version']).status === 0;

test('the table matches this machine\'s C headers (cc: sizeof/offsetof of iovec, msghdr, mmsghdr)', { skip: hasCc ? false : 'no C compiler (cc)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'layout-'));
  try {
    writeFileSync(join(dir, 'l.c'), C);
    execFileSync('cc', ['-o', join(dir, 'l'), join(dir, 'l.c')]);
    const got = JSON.parse(execFileSync(join(dir, 'l'), { encoding: 'utf8' }));
    const known = msgLayout(process.arch);
    if (!known) {
      // Refused here: fine, as long as the headers really differ from what we know or we say so.
      assert.ok(batchedUdpRefusal(process.arch));
      return;
    }
    assert.deepEqual(got, known);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
