// Turns TypeBox's validation errors into one line per mistake that names the key
// and what it accepts: "/upstreams/a/proxy_protocol: expected one of "none",
// "v1", "v2", got 2" instead of "Expected union value". The expected form is
// derived from the schema itself (literals, integer ranges, list lengths, keys),
// or taken from an `expected` option a schema carries where a pattern alone
// would say nothing to an operator (durations, host:port, names). A schema with
// `secret: true` never has its value echoed.
import { Value } from '@sinclair/typebox/value';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { TSchema } from '@sinclair/typebox';

/** Every problem of `value` against `schema`, one line per path, at most `limit`. */
export function explainErrors(schema: TSchema, value: unknown, limit = 50, prefix = ''): string[] {
  const lines = new Map<string, string>();
  for (const e of Value.Errors(schema, value)) {
    const path = prefix + e.path;
    if (lines.has(path)) continue; // TypeBox may report one mistake twice (missing, then wrong type)
    const nested = unionMember(e);
    if (nested) {
      // Defaults are filled only inside a member that matched: fill this one's, or a
      // defaulted key would be reported missing.
      const filled = Value.Default(nested, structuredClone(e.value));
      for (const l of explainErrors(nested, filled, limit, path)) lines.set(l.slice(0, l.indexOf(': ')), l);
    } else {
      lines.set(path, `${path || '/'}: ${problem(e)}`);
    }
    if (lines.size >= limit) break;
  }
  return [...lines.values()];
}

function problem(e: ValueError): string {
  if (e.type === ValueErrorType.ObjectAdditionalProperties) {
    const keys = Object.keys((e.schema as { properties?: object }).properties ?? {});
    return keys.length ? `unknown key; the keys here are ${keys.join(', ')}` : 'unknown key';
  }
  if (e.value === undefined) return `missing: expected ${describe(e.schema)}`;
  // A key marked secret (API keys, URLs with a password) is never echoed: errors reach logs.
  const got = e.schema.secret === true ? `a ${kindOf(e.value)}${typeof e.value === 'string' ? ` of ${e.value.length} characters` : ''}` : show(e.value);
  return `expected ${describe(e.schema)}, got ${got}`;
}

/**
 * The member of a union the value was evidently meant for (the only member of
 * the value's kind: a mapping for the object member, a string for the string
 * member), so its own errors are reported instead of "expected A or B".
 */
function unionMember(e: ValueError): TSchema | undefined {
  if (e.type !== ValueErrorType.Union) return undefined;
  const members = (e.schema as { anyOf?: TSchema[] }).anyOf ?? [];
  const kind = kindOf(e.value);
  const same = members.filter((m) => m.type === kind && m.const === undefined);
  return same.length === 1 ? same[0] : undefined;
}

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** What a schema accepts, in words. */
export function describe(s: TSchema): string {
  if (typeof s.expected === 'string') return s.expected;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.anyOf)) {
    const members = s.anyOf as TSchema[];
    if (members.every((m) => m.const !== undefined)) return `one of ${members.map((m) => JSON.stringify(m.const)).join(', ')}`;
    return members.map(describe).join(', or ');
  }
  switch (s.type) {
    case 'boolean': return 'true or false';
    case 'integer': return `an integer${range(s.minimum, s.maximum)}`;
    case 'number': return `a number${range(s.minimum, s.maximum)}`;
    case 'string': return describeString(s);
    case 'array': return describeArray(s);
    case 'object': {
      const keys = Object.keys(s.properties ?? {});
      return keys.length ? `a mapping with keys ${keys.join(', ')}` : 'a mapping';
    }
    default: return 'a value';
  }
}

function range(min: unknown, max: unknown): string {
  if (typeof min === 'number' && typeof max === 'number') return ` from ${min} to ${max}`;
  if (typeof min === 'number') return ` ≥ ${min}`;
  if (typeof max === 'number') return ` ≤ ${max}`;
  return '';
}

function describeString(s: TSchema): string {
  if (typeof s.pattern === 'string') return `a string matching ${s.pattern}`;
  if (s.minLength === 1) return 'a non-empty string';
  if (typeof s.minLength === 'number') return `a string of at least ${s.minLength} characters`;
  return 'a string';
}

function describeArray(s: TSchema): string {
  const n = typeof s.minItems === 'number' && s.minItems > 0 ? ` of at least ${s.minItems} item${s.minItems > 1 ? 's' : ''}` : '';
  const each = s.items ? `, each ${describe(s.items as TSchema)}` : '';
  return `a list${n}${each}`;
}

function show(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list of ${v.length}`;
  if (v !== null && typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
