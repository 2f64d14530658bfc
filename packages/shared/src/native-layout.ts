// The <sys/socket.h> struct layouts the batched UDP paths write by hand
// (recvmmsg/sendmmsg arrays: geodns listen/udp-mmsg.ts, relay dataplane/udp.ts),
// per Node's process.arch. Only the LP64 layout of x86_64 and aarch64 is known
// (checked against the C headers by native-layout.test.ts with the system
// compiler). Anywhere else (32-bit ARM such as Raspberry Pi OS 32-bit, ia32, …)
// the batched paths are refused and node:dgram is used, with one warning:
// never a silently wrong layout (on 32-bit ARM the relay answered 0 of 10
// datagrams and geodns spun at 100% CPU on recvmmsg).
//   struct iovec   { void *iov_base; size_t iov_len; }
//   struct msghdr  { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov; size_t msg_iovlen;
//                    void *msg_control; size_t msg_controllen; int msg_flags; }
//   struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }

export interface MsgLayout {
  iovec: { size: number; iov_base: number; iov_len: number };
  msghdr: { size: number; msg_name: number; msg_namelen: number; msg_iov: number; msg_iovlen: number; msg_control: number; msg_controllen: number; msg_flags: number };
  mmsghdr: { size: number; msg_len: number };
  /** Bytes of a pointer / size_t. */
  word: number;
}

const LP64: MsgLayout = {
  iovec: { size: 16, iov_base: 0, iov_len: 8 },
  msghdr: { size: 56, msg_name: 0, msg_namelen: 8, msg_iov: 16, msg_iovlen: 24, msg_control: 32, msg_controllen: 40, msg_flags: 48 },
  mmsghdr: { size: 64, msg_len: 56 },
  word: 8,
};

const KNOWN: Record<string, MsgLayout> = { x64: LP64, arm64: LP64 };

/** The layouts for `arch` (a process.arch value), or undefined where they are not known. */
export function msgLayout(arch: string = process.arch): MsgLayout | undefined {
  return KNOWN[arch];
}

/** Why the batched UDP path cannot run on `arch`, or undefined when it can. */
export function batchedUdpRefusal(arch: string = process.arch): string | undefined {
  if (KNOWN[arch]) return undefined;
  return `batched UDP (recvmmsg/sendmmsg) knows the struct layouts of ${Object.keys(KNOWN).join(' and ')} only, not ${arch}: using node:dgram`;
}
