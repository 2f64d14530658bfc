// The text form PowerDNS keeps for TXT, SPF and LUA contents (rcpgenerator.cc,
// RecordTextReader::xfrText with multi=true, 4.7): each "…" string is kept exactly
// as written, escapes included (`\;`, `\059`, `\z`, raw tabs, raw newlines, UTF-8),
// the strings joined by one space; one unquoted word of letters and digits becomes
// a quoted string. Only the wire form decodes the escapes. The API compares a
// content with this form (case aside) and stores it as given, so octoDNS's
// `"v=DMARC1\; p=reject"` is stored, shown and compared back unchanged while
// geodns answers `v=DMARC1; p=reject`.
//
// `parseable` is the same text with every raw newline inside a string written as
// \010 (a backslash-newline too), the form @geoedge/dnsdata's one-line tokenizer
// reads: it is used only to check the data (string lengths, Lua syntax), never stored.
export type TextForm = { ok: true; canonical: string; parseable: string } | { ok: false; error: string };

const BS = '\\';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** The strings of `s` from `start` in PowerDNS's form. */
export function readTextStrings(s: string, start = 0): TextForm {
  let canonical = '';
  let parseable = '';
  let i = start;
  while (i < s.length) {
    if (canonical !== '') { canonical += ' '; parseable += ' '; }
    while (i < s.length && isSpace(s[i])) i++;
    if (s[i] !== '"') {
      const rest = s.slice(i);
      if (/^[A-Za-z0-9]*$/.test(rest)) { canonical += `"${rest}"`; parseable += `"${rest}"`; break; }
      return { ok: false, error: `Data field in DNS should start with quote (") at position ${i} of '${s}'` };
    }
    canonical += '"';
    parseable += '"';
    while (++i < s.length && s[i] !== '"') {
      if (s[i] === BS && i + 1 < s.length) {
        i++;
        canonical += BS + s[i];
        parseable += s[i] === '\n' ? '\\010' : BS + s[i];
        continue;
      }
      canonical += s[i];
      parseable += s[i] === '\n' ? '\\010' : s[i];
    }
    if (i >= s.length) return { ok: false, error: `Data field in DNS should end on a quote (") in '${s}'` };
    canonical += '"';
    parseable += '"';
    i++;
    while (i < s.length && isSpace(s[i])) i++;
  }
  return { ok: true, canonical, parseable };
}

/** LUA: the inner type word (up to the first space, as xfrType reads it), then the strings. */
export function readLuaText(s: string, typeName: (word: string) => string | undefined): TextForm {
  let i = 0;
  while (i < s.length && isSpace(s[i])) i++;
  const end = s.indexOf(' ', i);
  const word = s.slice(i, end < 0 ? s.length : end);
  const type = typeName(word);
  if (type === undefined) return { ok: false, error: `Unknown type '${word}' in LUA record` };
  const rest = readTextStrings(s, end < 0 ? s.length : end);
  if (!rest.ok) return rest;
  return { ok: true, canonical: `${type} ${rest.canonical}`, parseable: `${word} ${rest.parseable}` };
}
