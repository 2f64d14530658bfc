// Test helper: builds ustar archives the way MaxMind's tarballs look
// (a dated directory holding COPYRIGHT.txt, LICENSE.txt and the .mmdb).
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  data?: Buffer;
  type?: '0' | '5' | 'x' | 'L';
}

function header(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write(Math.floor(Date.UTC(2024, 4, 3) / 1000).toString(8).padStart(11, '0') + '\0', 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    parts.push(header(e.name, data.length, e.type ?? (e.name.endsWith('/') ? '5' : '0')), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A .tar.gz shaped like MaxMind's download for `edition`. */
export function maxmindTarGz(edition: string, mmdb: Buffer, date = '20240503'): Buffer {
  return gzipSync(maxmindTar(edition, mmdb, date));
}

export function maxmindTar(edition: string, mmdb: Buffer, date = '20240503'): Buffer {
  const dir = `${edition}_${date}/`;
  return tar([
      { name: dir },
      { name: `${dir}COPYRIGHT.txt`, data: Buffer.from('Database and Contents Copyright (c) MaxMind, Inc.\n') },
      { name: `${dir}LICENSE.txt`, data: Buffer.from('Use of this MaxMind product is governed by ...\n'.repeat(20)) },
      { name: `${dir}${edition}.mmdb`, data: mmdb },
  ]);
}
