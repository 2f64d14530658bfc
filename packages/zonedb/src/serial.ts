// SOA serial increases as PowerDNS applies them after an API change
// (pdns/serialtweaker.cc, calculateIncreaseSOA / calculateEditSOA, 4.7):
//   SOA-EDIT-API DEFAULT            YYYYMMDD01 of today (local time) if that is larger, else serial + 1
//   SOA-EDIT-API INCREASE           serial + 1
//   SOA-EDIT-API EPOCH              seconds since 1970
//   SOA-EDIT-API SOA-EDIT           the zone's SOA-EDIT rule applied to the serial
//   SOA-EDIT-API SOA-EDIT-INCREASE  the SOA-EDIT rule, but at least serial + 1
//   anything else (NONE, empty)     unchanged
// Serials are 32-bit unsigned: arithmetic wraps as in C.

const U32 = 0x1_0000_0000;

/** YYYYMMDDnn of `now` in local time, as PowerDNS's localtime_format_YYYYMMDDSS. */
export function dateSerial(now: Date, nn: number): number {
  return (now.getFullYear() * 10000 + (now.getMonth() + 1) * 100 + now.getDate()) * 100 + nn;
}

/** The SOA-EDIT rules (the DNSSEC-era metadata) that PowerDNS 4.7 still knows. */
export function editSerial(serial: number, soaEdit: string, now: Date): number {
  const kind = soaEdit.toUpperCase();
  const epoch = Math.floor(now.getTime() / 1000);
  // Inception is the start of the current week as PowerDNS's getStartOfWeek
  // counts it: now - now % 7 days, i.e. Thursday 00:00 UTC (1970-01-01 was a Thursday).
  const inception = epoch - (epoch % (7 * 86400));
  switch (kind) {
    case 'INCREMENT-WEEKS': return (serial + Math.floor(inception / (7 * 86400))) % U32;
    case 'EPOCH': return epoch % U32;
    case 'INCEPTION-EPOCH': return serial < inception ? inception : serial;
    case 'INCEPTION-INCREMENT': {
      // <inceptionday>00 and 01 are kept for the weekly jump: older serials
      // become <inceptionday>01, those two become 02, later ones up to
      // <inception + 2 days>99 count up by one, and after that the serial stays.
      const day = dateSerial(new Date(inception * 1000), 1);
      const dontIncrementAfter = dateSerial(new Date((inception + 2 * 86400) * 1000), 99);
      if (serial < day - 1) return day;
      if (serial < day + 1) return day + 1;
      return serial <= dontIncrementAfter ? (serial + 1) % U32 : serial;
    }
    default: return serial;
  }
}

/** The serial after an API change, for SOA-EDIT-API `kind` (and the zone's SOA-EDIT `soaEdit`). */
export function increaseSerial(serial: number, kind: string, soaEdit: string, now: Date): number {
  switch (kind.toUpperCase()) {
    case 'DEFAULT': {
      const today = dateSerial(now, 1);
      return serial < today ? today : (serial + 1) % U32;
    }
    case 'INCREASE': return (serial + 1) % U32;
    case 'EPOCH': return Math.floor(now.getTime() / 1000) % U32;
    case 'SOA-EDIT': return editSerial(serial, soaEdit, now);
    case 'SOA-EDIT-INCREASE': {
      const edited = soaEdit === '' ? serial : editSerial(serial, soaEdit, now);
      return edited <= serial ? (serial + 1) % U32 : edited;
    }
    default: return serial;
  }
}

/** The serial field (third) of SOA content text, or undefined. */
export function soaSerialOf(content: string): number | undefined {
  const f = content.trim().split(/\s+/);
  if (f.length < 3 || !/^[0-9]+$/.test(f[2])) return undefined;
  const n = Number(f[2]);
  return n < U32 ? n : undefined;
}

/** SOA content with its serial replaced. */
export function withSerial(content: string, serial: number): string {
  const f = content.trim().split(/\s+/);
  f[2] = String(serial);
  return f.join(' ');
}
