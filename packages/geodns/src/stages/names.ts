// Label values for metrics and logs: bounded sets, so a flood of odd types can't
// blow up metric cardinality.
import { TYPE } from '@geoedge/dnsdata';

const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v as number, k]));
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export const qtypeLabel = (t: number): string => TYPE_NAMES.get(t) ?? 'other';
export const rcodeLabel = (r: number): string => (r === 16 ? 'BADVERS' : r === 9 ? 'NOTAUTH' : RCODE_NAMES[r] ?? `RCODE${r}`);
