// createReverse / createForward / createReverse6 / createForward6 / closestMagic
// name parsing, after PowerDNS lua-record.cc (boost::format %N% placeholders).
import { formatAddress, parseAddress } from '../geo/ip.js';

/** "%1%" … "%N%" replaced by args[N-1]; unknown placeholders are left empty like boost::format with too_few_args off. */
function bformat(fmt: string, args: string[]): string {
  return fmt.replace(/%(\d+)%/g, (_m, n: string) => args[Number(n) - 1] ?? '');
}

function labelsOf(qname: string): string[] {
  return qname.replace(/\.$/, '').split('.');
}

export function createReverse(qname: string, format: string, exceptions?: Map<string, string>): string {
  const l = labelsOf(qname);
  if (l.length < 4) return 'unknown';
  const ip = `${l[3]}.${l[2]}.${l[1]}.${l[0]}`;
  if (exceptions) {
    const want = parseAddress(ip);
    for (const [k, v] of exceptions) {
      const kb = parseAddress(k);
      if (want && kb && formatAddress(kb) === formatAddress(want)) return v;
    }
  }
  const hex = [3, 2, 1, 0].map((i) => (Number.parseInt(l[i]!, 10) & 0xff).toString(16).padStart(2, '0')).join('');
  return bformat(format, [l[3]!, l[2]!, l[1]!, l[0]!, `${l[3]}-${l[2]}-${l[1]}-${l[0]}`, hex]);
}

export function createReverse6(qname: string, format: string, exceptions?: Map<string, string>): string {
  const l = labelsOf(qname);
  if (l.length < 32) return 'unknown';
  const quads: string[] = [];
  for (let chunk = 0; chunk < 8; chunk++) {
    let q = '';
    for (let n = 0; n < 4; n++) q += l[31 - chunk * 4 - n]![0] ?? '';
    quads.push(q);
  }
  const addr = parseAddress(quads.join(':'));
  if (!addr) return 'unknown';
  const text = formatAddress(addr);
  if (exceptions) {
    for (const [k, v] of exceptions) {
      const kb = parseAddress(k);
      if (kb && formatAddress(kb) === text) return v;
    }
  }
  let dashed = text.replace(/:/g, '-');
  if (dashed.endsWith('-')) dashed += '0';
  if (dashed.startsWith('-') || dashed.slice(2, 4) === '--') dashed = '0' + dashed;
  const nibbles: string[] = [];
  for (let b = 31; b >= 0; b--) nibbles.push(l[b]!);
  return bformat(format, [...nibbles, dashed, ...quads]);
}

/**
 * The labels of qname relative to the zone apex, as PowerDNS's createForward
 * takes them (qname.makeRelative(zone)): "1.2.3.4.static" from
 * 1.2.3.4.static.example. in zone example.
 */
function relativeLabels(qname: string, zone: string): string[] | undefined {
  const parent = zone.toLowerCase();
  const q = qname.toLowerCase();
  if (parent === '.') return q.slice(0, -1).split('.');
  if (!q.endsWith('.' + parent)) return undefined;
  return q.slice(0, q.length - parent.length - 1).split('.');
}

export function createForward(qname: string, zone: string): string {
  const zero = '0.0.0.0';
  const parts = relativeLabels(qname, zone);
  if (!parts) return zero;
  if (parts.length >= 4) {
    const a = parseAddress(parts.slice(0, 4).join('.'));
    return a && a.length === 4 ? formatAddress(a) : zero;
  }
  let input = parts[0] ?? '';
  const m = /[0-9a-fA-F]/.exec(input);
  if (m && m.index > 0) input = input.slice(m.index);
  const dashed = input.split('-');
  if (dashed.length >= 4) {
    const oct = dashed.slice(-4);
    if (oct.every((o) => /^\d+$/.test(o) && Number(o) <= 255)) return oct.join('.');
    return zero;
  }
  if (input.length >= 8) {
    const h = input.slice(-8);
    if (/^[0-9a-fA-F]{8}$/.test(h)) return [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');
  }
  return zero;
}

export function createForward6(qname: string, zone: string): string {
  const zero = '::';
  const parts = relativeLabels(qname, zone);
  if (!parts) return zero;
  const text = (() => {
    if (parts.length === 8) return parts.join(':');
    if (parts.length === 1 && parts[0]!.includes('-')) return parts[0]!.replace(/-/g, ':');
    if (parts.length === 1 && parts[0]!.length >= 32) {
      const p = parts[0]!.slice(-32);
      return [0, 4, 8, 12, 16, 20, 24, 28].map((i) => p.slice(i, i + 4)).join(':');
    }
    return undefined;
  })();
  const a = text ? parseAddress(text) : undefined;
  return a && a.length === 16 ? formatAddress(a) : zero;
}

/** closestMagic: candidate addresses from the leading labels, "192-0-2-1.192-0-2-2.magic…". */
export function magicCandidates(qname: string): string[] {
  const out: string[] = [];
  for (const label of labelsOf(qname)) {
    const a = parseAddress(label.replace(/-/g, '.'));
    if (!a) break;
    out.push(formatAddress(a));
  }
  return out;
}
