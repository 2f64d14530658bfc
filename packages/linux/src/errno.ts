// errno numbers to the names Node uses (err.code). The same on every supported
// architecture (asm-generic/errno*.h); layout.test.ts checks them against the
// C headers.

export const ERRNO = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14,
  EINVAL: 22, ENFILE: 23, EMFILE: 24, EPIPE: 32, ENOTSOCK: 88, EMSGSIZE: 90, ENOPROTOOPT: 92,
  EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETDOWN: 100, ENETUNREACH: 101,
  ECONNABORTED: 103, ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110,
  ECONNREFUSED: 111, EHOSTDOWN: 112, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
} as const;

const NAMES: string[] = [];
for (const [name, n] of Object.entries(ERRNO)) NAMES[n] = name;

/** 'ECONNREFUSED' for 111; `errno_N` for a number not in the table. */
export const errnoName = (e: number): string => NAMES[e] ?? `errno_${e}`;
