// The C struct layouts this package writes and reads by hand (recvmmsg/sendmmsg
// arrays, epoll_wait's events), per Node's process.arch. Every figure is what
// the C headers of that architecture say: layout.test.ts compiles a tiny C
// program with the system compiler (and the Debian cross compilers where
// installed, run under qemu-user) and compares. An architecture missing here
// is refused (platform.ts): never a guessed layout.
//   struct iovec   { void *iov_base; size_t iov_len; }
//   struct msghdr  { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov; size_t msg_iovlen;
//                    void *msg_control; size_t msg_controllen; int msg_flags; }
//   struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }
//   struct epoll_event { uint32_t events; epoll_data_t data; }   (packed on x86_64 only)
//   struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; /* data */ }

export interface Layout {
  /** Bytes of a pointer / size_t / long: 8 on LP64, 4 on ILP32. */
  word: 4 | 8;
  iovec: { size: number; iov_base: number; iov_len: number };
  msghdr: { size: number; msg_name: number; msg_namelen: number; msg_iov: number; msg_iovlen: number; msg_control: number; msg_controllen: number; msg_flags: number };
  mmsghdr: { size: number; msg_len: number };
  epoll_event: { size: number; events: number; data: number };
  /** Its data (CMSG_DATA) starts at `size` on every supported architecture (CMSG_ALIGN of the header is the header). */
  cmsghdr: { size: number; cmsg_len: number; cmsg_level: number; cmsg_type: number };
  sockaddr_in: { size: number };
  sockaddr_in6: { size: number };
}

const LP64_MSG = {
  word: 8 as const,
  iovec: { size: 16, iov_base: 0, iov_len: 8 },
  msghdr: { size: 56, msg_name: 0, msg_namelen: 8, msg_iov: 16, msg_iovlen: 24, msg_control: 32, msg_controllen: 40, msg_flags: 48 },
  mmsghdr: { size: 64, msg_len: 56 },
  cmsghdr: { size: 16, cmsg_len: 0, cmsg_level: 8, cmsg_type: 12 },
  sockaddr_in: { size: 16 },
  sockaddr_in6: { size: 28 },
};

export const LAYOUTS: Readonly<Record<string, Layout>> = {
  // x86_64: epoll_event is __attribute__((packed)): 12 bytes, data at 4.
  x64: { ...LP64_MSG, epoll_event: { size: 12, events: 0, data: 4 } },
  // aarch64: LP64, epoll_event naturally aligned.
  arm64: { ...LP64_MSG, epoll_event: { size: 16, events: 0, data: 8 } },
  // 32-bit ARM, EABI hard-float (Raspberry Pi OS 32-bit): 4-byte pointers and
  // size_t, 64-bit members aligned to 8 (so epoll_event is 16, data at 8).
  arm: {
    word: 4,
    iovec: { size: 8, iov_base: 0, iov_len: 4 },
    msghdr: { size: 28, msg_name: 0, msg_namelen: 4, msg_iov: 8, msg_iovlen: 12, msg_control: 16, msg_controllen: 20, msg_flags: 24 },
    mmsghdr: { size: 32, msg_len: 28 },
    epoll_event: { size: 16, events: 0, data: 8 },
    cmsghdr: { size: 12, cmsg_len: 0, cmsg_level: 4, cmsg_type: 8 },
    sockaddr_in: { size: 16 },
    sockaddr_in6: { size: 28 },
  },
};

/**
 * Architectures refused on purpose, with the reason; any other one not in
 * LAYOUTS is refused as unknown.
 */
export const REFUSED: Readonly<Record<string, string>> = {
  ia32: 'ia32 has no official Node 20 Linux build to test the layouts with (its epoll_event and msghdr differ from every supported one)',
};

/** The layouts for `arch` (a process.arch value), or undefined where none is known. */
export function layoutFor(arch: string = process.arch): Layout | undefined {
  return Object.hasOwn(LAYOUTS, arch) ? LAYOUTS[arch] : undefined;
}
